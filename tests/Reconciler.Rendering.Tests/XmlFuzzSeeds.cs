using System.Text;
using Reconciler.Core.Model;
using Reconciler.Libvirt;
using Reconciler.Specs;

namespace Reconciler.Rendering.Tests;

/// <summary>One domain XML text the differential fuzz test starts from.</summary>
/// <param name="Origin">Where it comes from (for failure reports).</param>
/// <param name="Bytes">The text as UTF-8 bytes, exactly as produced.</param>
/// <param name="Owner">For the adversarial definitions: the spec name of the owner element both readers must find, or null when the domain must read as foreign.</param>
/// <param name="Checked">Whether <paramref name="Owner"/> is an expectation (false for the plain corpus).</param>
internal sealed record XmlSeed(string Origin, byte[] Bytes, string? Owner = null, bool Checked = false)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// The corpus of the differential XML fuzz test: every domain XML the tests produce (the golden
/// files, the renderer's output for the example specs) and libvirt's own <c>dumpxml</c> of domains
/// with adversarial content (defined on the in-process test driver, and on qemu:///system when a
/// daemon answers), plus hand-written texts in shapes libvirt never writes.
/// </summary>
internal static class XmlFuzzSeeds
{
    public const string OwnerNs = OwnerRecord.Namespace;

    /// <summary>Built once per test process (defining the libvirt domains takes a second).</summary>
    public static readonly Lazy<IReadOnlyList<XmlSeed>> All = new(Build);

    /// <summary>Adversarial content for a domain's description and metadata: a label, the elements to put in the domain, and the owner both readers must see (or null).</summary>
    private static IEnumerable<(string Label, string Inner, string? Owner)> Adversarial()
    {
        var evil = "xmlns:reconciler=\"urn:evil\"";
        var ours = $"xmlns:reconciler=\"{OwnerNs}\"";
        yield return ("foreign namespace under the reconciler prefix",
            $"<metadata><reconciler:owner {evil} name=\"evil\" specHash=\"sha256:00\" protect=\"false\"/></metadata>", null);
        yield return ("our namespace under another prefix",
            $"<metadata><r:owner xmlns:r=\"{OwnerNs}\" name=\"mine\" specHash=\"sha256:1\" source=\"s\" revision=\"r\" protect=\"true\" state=\"running\" autostart=\"yes\"><r:label key=\"k\" value=\"v\"/></r:owner></metadata>", "mine");
        yield return ("our namespace as the default namespace",
            $"<metadata><owner xmlns=\"{OwnerNs}\" name=\"dflt\"><label key=\"a\" value=\"b\"/><patch index=\"0\" xpath=\"/domain/clock/@offset\" set=\"localtime\"/></owner></metadata>", "dflt");
        yield return ("the owner element inside comments",
            $"<metadata><!-- <reconciler:owner {ours} name=\"in-comment\"/> --><x:w xmlns:x=\"urn:x\"><!-- <reconciler:owner {ours} name=\"in-comment-2\"/> --></x:w></metadata>", null);
        yield return ("the owner element nested in a foreign element, with CDATA and processing instructions",
            $"<metadata><x:w xmlns:x=\"urn:x\" {ours}><reconciler:owner name=\"nested\"/><![CDATA[<reconciler:owner {ours} name=\"cdata\"/>]]><?reconciler owner name=\"pi\"?></x:w></metadata>", null);
        yield return ("owner metadata in the description and the title",
            $"<title>&lt;reconciler:owner {ours.Replace("\"", "&quot;", StringComparison.Ordinal)} name='t'/&gt;</title>"
            + $"<description><![CDATA[<metadata><reconciler:owner {ours} name=\"desc\"/></metadata>]]> and &lt;reconciler:owner {ours.Replace("\"", "&quot;", StringComparison.Ordinal)}/&gt;</description>", null);
        yield return ("character references in the owner's attributes",
            $"<description>&#x1F600; &#233;t&#xE9; &#60;&#62;&#38;</description><metadata><reconciler:owner {ours} name=\"&#x77;&#101;b&#x1F600;\" specHash=\"a&#9;b&#10;c&#13;d\" source=\"&lt;&amp;&gt;&quot;&apos;\" revision=\"r\" protect=\"&#116;rue\"><reconciler:label key=\"&#x6B;\" value=\"&#xD;&#xA;\"/></reconciler:owner></metadata>", "web😀");
        yield return ("non-BMP characters",
            $"<description>😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010FFFD</description><metadata><reconciler:owner {ours} name=\"𝔴𝔢𝔟\" source=\"😀\"><reconciler:label key=\"𝔨\" value=\"😀😀\"/></reconciler:owner></metadata>", "𝔴𝔢𝔟");
        yield return ("very long attributes",
            $"<metadata><x:big xmlns:x=\"urn:x\" v=\"{new string('x', 100_000)}\"/><reconciler:owner {ours} name=\"long\" source=\"{new string('s', 70_000)}\"><reconciler:label key=\"k\" value=\"{string.Concat(Enumerable.Repeat("&lt;&amp;😀", 5_000))}\"/></reconciler:owner></metadata>", "long");
        yield return ("a foreign reconciler-prefixed owner next to ours",
            $"<metadata><reconciler:owner {evil} name=\"evil\"/><owner xmlns=\"{OwnerNs}\" name=\"real\"/></metadata>", "real");
        yield return ("xml:space and xml:lang in metadata",
            $"<metadata><y:s xmlns:y=\"urn:y\" xml:space=\"preserve\" xml:lang=\"en\">  <y:t xml:space=\"default\"/>  </y:s><reconciler:owner {ours} name=\"spaced\" xml:lang=\"de\"/></metadata>", "spaced");
        yield return ("an invalid xml:space value, which libvirt keeps and XmlReader rejects",
            $"<metadata><y:s xmlns:y=\"urn:y\" xml:space=\"bogus\"/><reconciler:owner {ours} name=\"bogus-space\" xml:space=\"bogus\"/></metadata>", null);
        yield return ("declarations of the reserved namespaces, which libvirt drops",
            $"<metadata><p:a xmlns:p=\"urn:x\"><b xmlns:q=\"http://www.w3.org/XML/1998/namespace\"/><c xmlns:r=\"http://www.w3.org/2000/xmlns/\"/></p:a><reconciler:owner {ours} name=\"reserved\"/></metadata>", "reserved");
        yield return ("two owner elements in our namespace",
            $"<metadata><reconciler:owner {ours} name=\"first\"/><r:owner xmlns:r=\"{OwnerNs}\" name=\"second\"/></metadata>", "first");
    }

    private static string TestDomain(string name, string inner) => $"""
        <domain type='test'>
          <name>{name}</name>
          {inner}
          <memory unit='MiB'>128</memory>
          <vcpu placement='static'>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><source file='/var/lib/libvirt/images/{name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><model type='virtio'/></interface>
            <graphics type='vnc' port='-1' autoport='yes'/>
          </devices>
        </domain>
        """;

    private static string QemuDomain(string name, string inner) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          {inner}
          <memory unit='MiB'>64</memory>
          <vcpu placement='static'>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/{name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
          </devices>
        </domain>
        """;

    /// <summary>Texts libvirt never writes but a reader must still get right (or leave to XmlReader).</summary>
    private static IEnumerable<(string Label, string Xml, string? Owner)> HandWritten()
    {
        var ours = $"xmlns:reconciler=\"{OwnerNs}\"";
        string D(string inner) => $"<domain type='kvm'>\n  <name>hw</name>\n  <memory unit='KiB'>1024</memory>\n  {inner}\n</domain>\n";
        yield return ("owner in a top-level comment, CRLF line ends",
            D($"<metadata>\r\n<!-- <reconciler:owner {ours} name=\"c\"/> -->\r\n</metadata>"), null);
        yield return ("CDATA and a processing instruction directly in metadata",
            D($"<metadata><![CDATA[<reconciler:owner {ours} name=\"c\"/>]]><?pi <reconciler:owner/>?></metadata>"), null);
        yield return ("an internal DTD entity that would expand to the owner element",
            $"<!DOCTYPE domain [<!ENTITY o '<reconciler:owner {ours} name=\"dtd\"/>'>]>" + D("<metadata>&o;</metadata>"), null);
        yield return ("the reconciler prefix redeclared on metadata",
            D($"<metadata xmlns:reconciler=\"urn:evil\"><reconciler:owner name=\"x\"/></metadata>"), null);
        yield return ("metadata itself in our namespace",
            D($"<metadata xmlns=\"{OwnerNs}\"><owner name=\"y\"/></metadata>"), null);
        yield return ("the prefix declared on the root",
            $"<domain type='kvm' {ours}><name>hw</name><memory>1</memory><metadata><reconciler:owner name=\"root-declared\"/></metadata></domain>", "root-declared");
        yield return ("two metadata elements, the owner in the second",
            D($"<metadata/><metadata><reconciler:owner {ours} name=\"second\"/></metadata>"), null);
        yield return ("an invalid xml:space value on a read element",
            D($"<metadata><reconciler:owner {ours} name=\"s\" xml:space=\"bogus\"/></metadata>"), null);
        yield return ("a prefix bound to the xml namespace",
            D($"<metadata><x:a xmlns:x=\"http://www.w3.org/XML/1998/namespace\"/><reconciler:owner {ours} name=\"x\"/></metadata>"), null);
        yield return ("a prefix bound to the xmlns namespace",
            D($"<metadata><reconciler:owner xmlns:reconciler=\"http://www.w3.org/2000/xmlns/\" name=\"x\"/></metadata>"), null);
        // Decoded as libvirt's UTF-8 text, a byte order mark is a character before the root: rejected.
        yield return ("a byte order mark and an XML declaration",
            "\uFEFF<?xml version='1.0' encoding='UTF-8'?>\n" + D($"<metadata><reconciler:owner {ours} name=\"bom\"/></metadata>"), null);
        yield return ("an XML declaration naming another encoding",
            "<?xml version='1.0' encoding='ISO-8859-1'?>\n" + D($"<metadata><reconciler:owner {ours} name=\"é\"/></metadata>"), "é");
        yield return ("an undeclared default namespace under a foreign one",
            D($"<metadata><a:w xmlns:a=\"urn:a\" xmlns=\"{OwnerNs}\"><b xmlns=\"\"><owner name=\"no\"/></b></a:w></metadata>"), null);
        yield return ("the owner element empty and unclosed attributes",
            D($"<metadata><reconciler:owner {ours}></reconciler:owner></metadata>"), "");
    }

    private static IReadOnlyList<XmlSeed> Build()
    {
        var seeds = new List<XmlSeed>();
        var golden = Path.Combine(Tools.SourceDir(), "Golden");
        foreach (var file in Directory.GetFiles(golden, "*.xml").Order(StringComparer.Ordinal))
        {
            seeds.Add(new XmlSeed("golden " + Path.GetFileName(file), File.ReadAllBytes(file)));
        }
        seeds.AddRange(RenderedExamples());
        foreach (var (label, xml, owner) in HandWritten())
        {
            seeds.Add(new XmlSeed("hand-written: " + label, Encoding.UTF8.GetBytes(xml), owner, Checked: true));
        }
        seeds.AddRange(Dumped("test:///default", TestDomain, Adversarial()));
        if (Tools.QemuSystemAvailable.Value)
        {
            seeds.AddRange(Dumped("qemu:///system", QemuDomain, Adversarial()));
        }
        else if (Tools.RequireLibvirtd)
        {
            throw new InvalidOperationException("RECONCILER_REQUIRE_LIBVIRTD=1 but qemu:///system does not answer");
        }
        return seeds;
    }

    /// <summary>The renderer's output for every domain of the example specs (examples/*), as kvm and as test domains.</summary>
    private static IEnumerable<XmlSeed> RenderedExamples()
    {
        var examples = Path.Combine(RepoRoot(), "examples");
        foreach (var dir in Directory.GetDirectories(examples).Order(StringComparer.Ordinal))
        {
            var manifests = Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories)
                .Any(f => File.ReadAllText(f).Contains("apiVersion: reconciler/v1", StringComparison.Ordinal));
            if (!manifests) continue; // a workflow file, not specs
            foreach (var spec in LoadExample(dir))
            {
                // The engine resolves a volume's pool before rendering; here any pool does.
                var resolved = spec with { Disks = [.. spec.Disks.Select(d => d.Volume is not null && d.Pool is null ? d with { Pool = "default" } : d)] };
                foreach (var type in new[] { "kvm", "test" })
                {
                    var xml = DomainRenderer.Render(resolved, Cases.Options(spec.Name, type));
                    yield return new XmlSeed($"rendered example {Path.GetFileName(dir)}/{spec.Name} ({type})", Encoding.UTF8.GetBytes(xml));
                }
            }
        }
    }

    /// <summary>
    /// The domains of an example directory. Local files it names but does not ship (a downloaded
    /// base image) are stood in for by empty files in a copy of it.
    /// </summary>
    private static IReadOnlyList<DomainSpec> LoadExample(string dir)
    {
        var copy = Directory.CreateTempSubdirectory("reconciler-fuzz-example-").FullName;
        try
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(dir, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            var result = SpecLoader.LoadDirectory(copy);
            var missing = result.Diagnostics
                .Select(d => System.Text.RegularExpressions.Regex.Match(d.Message, @"does not exist \((/[^)]+)\)"))
                .Where(m => m.Success && m.Groups[1].Value.StartsWith(copy, StringComparison.Ordinal))
                .Select(m => m.Groups[1].Value)
                .ToList();
            foreach (var file in missing) File.WriteAllBytes(file, []);
            if (missing.Count > 0) result = SpecLoader.LoadDirectory(copy);
            return result.Specs?.Domains ?? throw new InvalidOperationException($"{dir}:\n" + string.Join("\n", result.Diagnostics));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>
    /// Defines each adversarial domain on <paramref name="uri"/> and keeps libvirt's <c>dumpxml --inactive</c>
    /// bytes; also sets metadata through <c>virDomainSetMetadata</c>, as another tool would. Every domain is undefined again.
    /// </summary>
    private static List<XmlSeed> Dumped(string uri, Func<string, string, string> domain, IEnumerable<(string Label, string Inner, string? Owner)> cases)
    {
        var seeds = new List<XmlSeed>();
        using var connection = LibvirtConnection.Open(uri);
        var prefix = $"fuzzxml-{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}";
        var n = 0;
        foreach (var (label, inner, owner) in cases)
        {
            var name = $"{prefix}-{n++}";
            var defined = connection.DefineDomain(domain(name, inner), validate: false);
            try
            {
                seeds.Add(new XmlSeed($"{uri} dumpxml: {label}", defined.ReadXmlDesc(DomainXmlFlags.Inactive, utf8 => utf8.ToArray()), owner, Checked: true));
            }
            finally
            {
                defined.Undefine();
                defined.Dispose();
            }
        }
        // Metadata set through the API: the element's namespace is the one given, whatever the text says.
        (string Xml, string Prefix, string Uri, string? Owner)[] viaApi =
        [
            ("<owner name='api-evil'/>", "reconciler", "urn:evil", null),
            // libvirt keeps the element's own xmlns and only adds xmlns:reconciler='urn:evil': the element is in our namespace.
            ($"<owner xmlns='{OwnerNs}' name='api-own-xmlns'/>", "reconciler", "urn:evil", "api-own-xmlns"),
            ("<owner name='api-ours'><label key='k' value='&lt;&#x1F600;'/></owner>", "x", OwnerNs, "api-ours"),
        ];
        foreach (var (xml, metaPrefix, metaUri, owner) in viaApi)
        {
            var name = $"{prefix}-{n++}";
            var defined = connection.DefineDomain(domain(name, ""), validate: false);
            try
            {
                defined.SetMetadata(xml, metaPrefix, metaUri, DomainModificationImpact.Config);
                seeds.Add(new XmlSeed($"{uri} dumpxml after virDomainSetMetadata({xml}, {metaPrefix}, {metaUri})",
                    defined.ReadXmlDesc(DomainXmlFlags.Inactive, utf8 => utf8.ToArray()), owner, Checked: true));
            }
            finally
            {
                defined.Undefine();
                defined.Dispose();
            }
        }
        return seeds;
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Reconciler.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
