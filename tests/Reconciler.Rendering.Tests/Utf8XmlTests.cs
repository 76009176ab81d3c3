using System.Text;
using System.Xml.Linq;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// <see cref="Utf8Xml"/> must build exactly the tree XmlReader builds (<see cref="DomainXmlParser.LoadRead(string)"/>
/// and <see cref="DomainXmlParser.Load(string)"/>), or give up (null) so that XmlReader decides; it
/// must never accept what XmlReader rejects.
/// </summary>
public sealed class Utf8XmlTests
{
    /// <summary>
    /// Compares both loads (filtered and whole) of <paramref name="xml"/> with XmlReader's. When
    /// XmlReader rejects the text, the UTF-8 loader must have given up and the byte overloads must
    /// fail with the same message. Returns whether the UTF-8 loader built both trees itself.
    /// </summary>
    internal static bool AssertSameAsXmlReader(string xml, bool requireBuilt = false) => AssertSameAsXmlReader(Encoding.UTF8.GetBytes(xml), requireBuilt);

    /// <summary>
    /// <see cref="AssertSameAsXmlReader(string, bool)"/> of UTF-8 bytes, which need not be valid UTF-8:
    /// XmlReader reads them decoded as the byte overloads decode them (invalid sequences replaced).
    /// </summary>
    internal static bool AssertSameAsXmlReader(byte[] bytes, bool requireBuilt = false)
    {
        var xml = Encoding.UTF8.GetString(bytes);
        var filtered = Utf8Xml.TryLoad(bytes, DomainXmlParser.ReadFilter);
        var whole = Utf8Xml.TryLoad(bytes);
        XDocument readerFiltered, readerWhole;
        try
        {
            readerFiltered = DomainXmlParser.LoadRead(xml);
            readerWhole = DomainXmlParser.Load(xml);
        }
        catch (DomainParseException e)
        {
            // (Messages are built only on failure: the fuzz tests pass texts of hundreds of kilobytes.)
            if (filtered is not null) Assert.Fail($"XmlReader rejects it ({e.Message}) but Utf8Xml built:\n{filtered}\nfrom:\n{xml}");
            if (whole is not null) Assert.Fail($"XmlReader rejects it ({e.Message}) but Utf8Xml built:\n{whole}\nfrom:\n{xml}");
            Assert.Equal(e.Message, Assert.Throws<DomainParseException>(() => DomainXmlParser.Load(bytes.AsSpan())).Message);
            return false;
        }
        if (requireBuilt && (filtered is null || whole is null)) Assert.Fail("Utf8Xml gave up on:\n" + xml);
        if (filtered is not null) Assert.Equal(Text(readerFiltered), Text(filtered));
        if (whole is not null) Assert.Equal(Text(readerWhole), Text(whole));
        Assert.Equal(Text(readerFiltered), Text(DomainXmlParser.LoadRead(bytes)));
        Assert.Equal(Text(readerWhole), Text(DomainXmlParser.Load(bytes.AsSpan())));
        return filtered is not null && whole is not null;
    }

    /// <summary>The tree with every name expanded and every node kind visible, so that equal texts mean equal trees.</summary>
    private static string Text(XDocument document)
    {
        var s = new StringBuilder();
        void Write(XElement e, int depth)
        {
            s.Append(' ', depth).Append("E ").Append(e.Name.ToString()).Append(e.IsEmpty ? " empty" : "").Append('\n');
            foreach (var a in e.Attributes()) s.Append(' ', depth + 1).Append("A ").Append(a.Name.ToString()).Append('=').Append(Escape(a.Value)).Append('\n');
            foreach (var n in e.Nodes())
            {
                if (n is XElement child) Write(child, depth + 1);
                else if (n is XText t) s.Append(' ', depth + 1).Append(n is XCData ? "C " : "T ").Append(Escape(t.Value)).Append('\n');
                else s.Append(' ', depth + 1).Append(n.NodeType).Append(' ').Append(n).Append('\n');
            }
        }
        Write(document.Root!, 0);
        return s.ToString();
    }

    private static string Escape(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private const string Domain = """
        <domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>web-1</name>
          <uuid>0cd7672b-ea42-4287-81ab-042257ced3fa</uuid>
          <description>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#233;t&#xE9; &#x1F600; — ünïcode</description>
          <metadata>
            <other:thing xmlns:other="https://example.com/other" name="x &amp; y" other:flag="1"/>
            <plain xmlns="https://example.com/default"><inner a="1"/><undeclared xmlns=""><x/></undeclared></plain>
            <reconciler:owner xmlns:reconciler="https://reconciler.dev/xmlns/owner/1" name="web-1" specHash="sha256:abc">
              <reconciler:label key="tier" value="a&#9;tab and&#10;newline"/>
              <reconciler:patch index="0" xpath="/domain/clock/@offset" set="local	time
        with literal whitespace"/>
            </reconciler:owner>
          </metadata>
          <memory unit='KiB'>4194304</memory>
          <currentMemory unit='KiB'>2097152</currentMemory>
          <vcpu placement='static' current='2'>4</vcpu>
          <resource><partition>/machine</partition></resource>
          <os>
            <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
            <boot dev='hd'/>
            <empty></empty>
          </os>
          <features><acpi/><apic/></features>
          <cpu mode='host-model' check='partial'/>
          <devices attribute='dropped by the filtered load'>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/var/lib/libvirt/images/web 1 &amp; more.qcow2'/>
              <target dev='vda' bus='virtio'/>
              <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
            </disk>
            <controller type='pci' index='1' model='pcie-root-port'><address type='pci' bus='0x00'/></controller>
            <interface type='network'>
              <mac address='52:54:00:12:34:56'/>
              <source network='default'/>
              <model type='virtio'/>
            </interface>
            <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>
              <listen type='address' address='127.0.0.1'/>
            </graphics>
          </devices>
          <qemu:commandline><qemu:arg value='-no-hpet'/></qemu:commandline>
        </domain>

        """;

    [Fact]
    public void Builds_what_xml_reader_builds_for_everything_libvirt_writes()
    {
        Assert.True(AssertSameAsXmlReader(Domain, requireBuilt: true));
        // Not vacuous: the comparison sees a changed attribute, text, or element.
        var built = Utf8Xml.TryLoad(Encoding.UTF8.GetBytes(Domain))!;
        Assert.Equal("local time with literal whitespace", (string)built.Descendants(XName.Get("patch", "https://reconciler.dev/xmlns/owner/1")).Single().Attribute("set")!);
        Assert.Equal("a\ttab and\nnewline", (string)built.Descendants(XName.Get("label", "https://reconciler.dev/xmlns/owner/1")).Single().Attribute("value")!);
        Assert.Equal("a <b> & \"c\" 'd' été 😀 — ünïcode", built.Root!.Element("description")!.Value);
        Assert.Equal("https://example.com/default", built.Descendants().Single(e => e.Name.LocalName == "inner").Name.NamespaceName);
        Assert.Equal("", built.Descendants().Single(e => e.Name.LocalName == "x").Name.NamespaceName);
        var filtered = DomainXmlParser.LoadRead(Encoding.UTF8.GetBytes(Domain));
        Assert.Null(filtered.Root!.Element("devices")!.Attribute("attribute"));
        // Controllers are read (spec.devices: the USB controller, the free root ports).
        Assert.NotNull(filtered.Root.Element("devices")!.Element("controller"));
        Assert.Null(filtered.Root.Element("resource"));
        Assert.NotNull(filtered.Root.Element("devices")!.Element("graphics"));
    }

    [Theory]
    [InlineData("<?xml version='1.0'?><domain type='kvm'><name>a</name></domain>")]
    [InlineData("<!DOCTYPE domain><domain type='kvm'><name>a</name></domain>")]
    [InlineData("<domain type='kvm'><!-- a comment --><name>a</name></domain>")]
    [InlineData("<domain type='kvm'><name><![CDATA[a<b]]></name></domain>")]
    [InlineData("<domain type='kvm'><?pi x?><name>a</name></domain>")]
    [InlineData("<domain type='kvm'>\r\n<name>a</name></domain>")]
    [InlineData("<domain type='kvm'><name>a</name><nämé/></domain>")]
    [InlineData("<domain type='kvm'><metadata><x a:b='1' xmlns:a='u'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><devices><x a:b='1' xmlns:a='u'/></devices></domain>")]
    [InlineData("<domain xmlns='urn:other' type='kvm'><name>a</name></domain>")]
    [InlineData("<network><name>n</name></network>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns='u' xml:space=' preserve\t'><y xml:space='default'/></x></metadata></domain>")]
    [InlineData("<domain type='kvm'><metadata><xml:x xml:y='1'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns='u' xmlns:a='urn:a' xmlns:b='urn:a' a:k='1' b:j='2'/></metadata></domain>")]
    public void What_it_does_not_handle_is_left_to_xml_reader_with_the_same_result(string xml)
    {
        AssertSameAsXmlReader(xml);
    }

    [Theory]
    [InlineData("<domain type='kvm'><name>a</nam></domain>")]
    [InlineData("<domain type='kvm'><name>a</name>")]
    [InlineData("<domain type='kvm' type='qemu'><name>a</name></domain>")]
    [InlineData("<domain type='kvm'><devices><controller a='1' a='2'/></devices></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns:p='u' xmlns:q='u' p:a='1' q:a='2'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><devices><x xmlns:p='u' xmlns:q='u' p:a='1' q:a='2'/></devices></domain>")]
    [InlineData("<domain type='kvm'><name>&nbsp;</name></domain>")]
    [InlineData("<domain type='kvm'><clock>&bogus;</clock></domain>")]
    [InlineData("<domain type='kvm'><name>&#0;</name></domain>")]
    [InlineData("<domain type='kvm'><clock a='&#xD800;'/></domain>")]
    [InlineData("<domain type='kvm'><name>a\u0001</name></domain>")]
    [InlineData("<domain type='kvm'><name a='<'>a</name></domain>")]
    [InlineData("<domain type='kvm'><name>a]]>b</name></domain>")]
    [InlineData("<domain type='kvm'><p:name>a</p:name></domain>")]
    [InlineData("<domain type='kvm'><clock><p:x/></clock></domain>")]
    [InlineData("<domain type='kvm'><name>a</name></domain><extra/>")]
    [InlineData("<domain type='kvm'><name>a</name></domain>trailing")]
    [InlineData("<domain type='kvm'name='x'><name>a</name></domain>")]
    [InlineData("<domain type=kvm><name>a</name></domain>")]
    [InlineData("<domain type='kvm'><1name>a</1name></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns:p=''/></metadata></domain>")]
    // Found by XmlDifferentialFuzzTests: libvirt keeps these in <metadata>, XmlReader rejects them, Utf8Xml built them.
    [InlineData("<domain type='kvm'><metadata><x xmlns='u' xml:space='bogus'/></metadata></domain>")]
    [InlineData("<domain type='kvm' xml:space='x'><name>a</name></domain>")]
    [InlineData("<domain type='kvm'><metadata><x:a xmlns:x='http://www.w3.org/XML/1998/namespace'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns:p='http://www.w3.org/2000/xmlns/'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns='http://www.w3.org/2000/xmlns/'/></metadata></domain>")]
    [InlineData("<domain type='kvm'><metadata><x xmlns='http://www.w3.org/XML/1998/namespace'/></metadata></domain>")]
    [InlineData("")]
    public void What_xml_reader_rejects_is_never_built(string xml)
    {
        Assert.False(AssertSameAsXmlReader(xml));
        Assert.Throws<DomainParseException>(() => DomainXmlParser.Parse(Encoding.UTF8.GetBytes(xml)));
    }

    [Fact]
    public void Invalid_utf8_is_left_to_the_decoder_and_xml_reader()
    {
        byte[] bytes = [.. "<domain type='kvm'><name>a"u8, 0xC3, 0x28, .. "</name></domain>"u8];
        Assert.Null(Utf8Xml.TryLoad(bytes));
        // Decoded with replacement characters, as a string from libvirt always was.
        Assert.Equal("a\uFFFD(", DomainXmlParser.Load(bytes.AsSpan()).Root!.Element("name")!.Value);
    }

    /// <summary>
    /// Random damage to a definition libvirt could write: whatever the loader builds equals
    /// XmlReader's tree, and it builds nothing XmlReader rejects (seeded, so a failure repeats).
    /// </summary>
    [Fact]
    public void Random_damage_never_gives_a_tree_xml_reader_would_not()
    {
        var random = new Random(20261126);
        string[] inserts = ["<", ">", "&", ";", "'", "\"", "/", "=", " ", "\t", "\n", ":", "&amp;", "&#x41;", "&lt", "<x>", "</x>", "<x/>", "xmlns:p='u'", "p:", "]]>", "é", "<!--", "?"];
        var built = 0;
        var rejected = 0;
        for (var i = 0; i < 3000; i++)
        {
            var xml = Domain;
            for (var k = random.Next(1, 3); k > 0; k--)
            {
                var at = random.Next(xml.Length);
                xml = random.Next(3) switch
                {
                    0 => xml.Remove(at, 1),
                    1 => xml.Insert(at, inserts[random.Next(inserts.Length)]),
                    _ => xml.Remove(at, 1).Insert(at, inserts[random.Next(inserts.Length)]),
                };
            }
            bool ok;
            try
            {
                ok = AssertSameAsXmlReader(xml);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException("on:\n" + xml, e);
            }
            if (ok) built++;
            else rejected++;
        }
        // Both outcomes occur, so both branches of the comparison ran.
        Assert.True(built > 100, $"only {built} damaged texts were built");
        Assert.True(rejected > 100, $"only {rejected} damaged texts were rejected");
    }
}
