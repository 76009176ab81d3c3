using System.Xml.Linq;
using Reconciler.Libvirt;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Benchmarks;

/// <summary>
/// The raw baseline: only the libvirt calls a plan or an apply cannot avoid, made through the same
/// binding (<see cref="LibvirtConnection"/>) from one connection, one after the other, plus the
/// minimal pure work (parse the YAML, build the XML) the pure steps are compared with.
/// </summary>
internal static class RawLibvirt
{
    /// <summary>The read side of a plan: open, list all, inactive XML of each, XDocument parse, close. A domain undefined meanwhile is skipped.</summary>
    public static int Read(string uri)
    {
        using var connection = LibvirtConnection.Open(uri);
        var count = 0;
        foreach (var domain in connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    var document = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive));
                    if (document.Root is not null) count++;
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined by someone else since the listing (the node is shared).
                }
            }
        }
        return count;
    }

    /// <summary>Open, define each XML (the same XML and validate flag Reconciler sends), close.</summary>
    public static void Define(string uri, IReadOnlyList<string> xmls)
    {
        using var connection = LibvirtConnection.Open(uri);
        foreach (var xml in xmls)
        {
            using var _ = connection.DefineDomain(xml, validate: true);
        }
    }

    /// <summary>Open, look up and start each domain one after the other, close.</summary>
    public static void StartSequentially(string uri, IReadOnlyList<string> names)
    {
        using var connection = LibvirtConnection.Open(uri);
        foreach (var name in names)
        {
            using var domain = connection.LookupDomainByName(name) ?? throw new InvalidOperationException($"{name} is not defined");
            domain.Create();
        }
    }

    /// <summary>The YAML floor of loading: read every file and build YamlDotNet's document model (no mapping, no validation).</summary>
    public static int ParseYaml(string directory)
    {
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using var reader = new StringReader(File.ReadAllText(file));
            stream.Load(reader);
            count += stream.Documents.Count;
        }
        return count;
    }

    /// <summary>A template made from one rendered domain: its name becomes a placeholder.</summary>
    public static string TemplateOf(string renderedXml, string name) =>
        renderedXml.Replace(">" + name + "<", ">\u0001<", StringComparison.Ordinal).Replace("'" + name + "'", "'\u0001'", StringComparison.Ordinal);

    /// <summary>The XML floor of rendering: the same document from a string template, with the name escaped and substituted.</summary>
    public static string FillTemplate(string template, string name) =>
        template.Replace("\u0001", System.Security.SecurityElement.Escape(name), StringComparison.Ordinal);

    /// <summary>Removes every domain whose name starts with <paramref name="prefix"/> (default <see cref="SpecGenerator.Root"/>), stopping it first. Returns how many.</summary>
    public static int RemoveBenchDomains(string uri, string? prefix = null)
    {
        using var connection = LibvirtConnection.Open(uri);
        var removed = 0;
        foreach (var domain in connection.ListAllDomains())
        {
            using (domain)
            {
                if (!domain.Name.StartsWith(prefix ?? SpecGenerator.Root, StringComparison.Ordinal)) continue;
                if (domain.IsActive) domain.Destroy();
                if (domain.IsPersistent) domain.Undefine(UndefineFlags.KeepNvram);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Stops (hard) every running domain in <paramref name="names"/>.</summary>
    public static void DestroyAll(string uri, IEnumerable<string> names)
    {
        using var connection = LibvirtConnection.Open(uri);
        foreach (var name in names)
        {
            using var domain = connection.LookupDomainByName(name);
            if (domain is not null && domain.IsActive) domain.Destroy();
        }
    }
}
