using System.Xml.Linq;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// A disk running on the overlays of Reconciler's external snapshots: the live and the persistent
/// definition name the newest overlay as the source and carry the chain down to the spec's path
/// (as libvirt 9.0 writes it after <c>snapshot-create --disk-only</c>). It reads back as the spec's
/// path and format (no diff), and a redefine writes the overlays back instead of dropping them.
/// </summary>
public sealed class ExternalOverlayTests
{
    private const string Root = "/srv/snx/root.qcow2";
    private const string Data = "/srv/snx/data.img";

    private static DomainSpec Spec() => Cases.Base("snx-overlay") with
    {
        Disks = [Cases.Disk(Root), Cases.Disk(Data, format: "raw"), Cases.Cdrom("/srv/snx/seed.iso")],
    };

    private static string Render(DomainSpec spec, DomainSpec? live = null) =>
        DomainRenderer.Render(spec, Cases.Options("snx-overlay", "kvm") with { Live = live });

    /// <summary>
    /// <paramref name="xml"/> as libvirt writes it after external snapshots <paramref name="snapshots"/> of the disk
    /// at <paramref name="path"/>: the newest overlay as source, qcow2, and the chain below it (with
    /// libvirt's <c>index</c> attributes and closing empty <c>&lt;backingStore/&gt;</c> when <paramref name="live"/>).
    /// </summary>
    private static string AfterSnapshots(string xml, string path, bool live, params string[] snapshots)
    {
        var document = XDocument.Parse(xml);
        var disk = document.Root!.Element("devices")!.Elements("disk").Single(d => (string?)d.Element("source")?.Attribute("file") == path);
        var format = (string)disk.Element("driver")!.Attribute("type")!;
        var index = 1;
        XElement Store(string file, string type, XElement? below)
        {
            var store = new XElement("backingStore", new XAttribute("type", "file"));
            if (live) store.Add(new XAttribute("index", index++));
            store.Add(new XElement("format", new XAttribute("type", type)), new XElement("source", new XAttribute("file", file)));
            if (below is not null) store.Add(below);
            else if (live) store.Add(new XElement("backingStore"));
            return store;
        }
        var chain = Store(path, format, null);
        foreach (var snapshot in snapshots[..^1]) chain = Store(ExternalOverlays.PathFor(path, snapshot), "qcow2", chain);
        var source = disk.Element("source")!;
        source.SetAttributeValue("file", ExternalOverlays.PathFor(path, snapshots[^1]));
        if (live) source.SetAttributeValue("index", index);
        disk.Element("driver")!.SetAttributeValue("type", "qcow2");
        source.AddAfterSelf(chain);
        return document.ToString();
    }

    private static void AssertParsesTheSameEveryWay(string xml)
    {
        var whole = System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(DomainXmlParser.Load(xml)));
        Assert.Equal(whole, System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(xml)));
        Assert.Equal(whole, System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(System.Text.Encoding.UTF8.GetBytes(xml))));
        Utf8XmlTests.AssertSameAsXmlReader(xml, requireBuilt: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_overlay_chain_reads_back_as_the_spec_path_and_format_with_no_diff(bool live)
    {
        var spec = Spec();
        var xml = AfterSnapshots(Render(spec), Root, live, "reconciler-20261203T220000Z", "reconciler-20261203T230000Z", "reconciler-20261204T000000Z");
        xml = AfterSnapshots(xml, Data, live, "reconciler-20261204T000000Z");
        Assert.Contains("root.qcow2.reconciler-20261204T000000Z", xml, StringComparison.Ordinal);

        var parsed = DomainXmlParser.Parse(xml).Spec;

        Assert.Empty(DomainFields.Diff(spec, parsed));
        Assert.Equal(Root, parsed.Disks[0].Path);
        Assert.Equal("qcow2", parsed.Disks[0].Format);
        Assert.Equal(
            new[] { "20261204T000000Z", "20261203T230000Z", "20261203T220000Z" },
            parsed.Disks[0].Overlays!.Files.Select(f => f[(Root.Length + ".reconciler-".Length)..]));
        Assert.Equal(Data, parsed.Disks[1].Path);
        Assert.Equal("raw", parsed.Disks[1].Format);           // the base's format, not the overlay's qcow2
        Assert.Equal(new[] { Data + ".reconciler-20261204T000000Z" }, parsed.Disks[1].Overlays!.Files);
        Assert.Null(parsed.Disks[2].Overlays);
        AssertParsesTheSameEveryWay(xml);
    }

    [Fact]
    public void A_redefine_writes_the_overlays_back_and_reads_back_the_same()
    {
        var spec = Spec();
        var live = DomainXmlParser.Parse(AfterSnapshots(Render(spec), Data, live: false, "reconciler-a", "reconciler-b")).Spec;
        var changed = spec with { MemoryBytes = 1024 * Cases.MiB };

        var redefined = Render(changed, live);

        var disk = XDocument.Parse(redefined).Root!.Element("devices")!.Elements("disk").Single(d => (string?)d.Element("target")?.Attribute("dev") == "vdb");
        Assert.Equal(Data + ".reconciler-b", (string?)disk.Element("source")!.Attribute("file"));
        Assert.Equal("qcow2", (string?)disk.Element("driver")!.Attribute("type"));
        var middle = disk.Element("backingStore")!;
        Assert.Equal(Data + ".reconciler-a", (string?)middle.Element("source")!.Attribute("file"));
        Assert.Equal("raw", (string?)middle.Element("backingStore")!.Element("format")!.Attribute("type"));
        Assert.Equal(Data, (string?)middle.Element("backingStore")!.Element("source")!.Attribute("file"));
        Assert.Equal("target", disk.Element("backingStore")!.ElementsAfterSelf().First().Name.LocalName);   // libvirt's order

        var reparsed = DomainXmlParser.Parse(redefined).Spec;
        Assert.Empty(DomainFields.Diff(changed, reparsed));
        Assert.Equal(live.Disks[1].Overlays, reparsed.Disks[1].Overlays);
        // Without a live definition (a new domain) nothing of the kind is written.
        Assert.DoesNotContain("backingStore", Render(changed), StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_that_is_not_ours_or_not_written_stays_a_diff()
    {
        var spec = Spec();
        // Someone else's overlay (virsh's default name) is the disk's source: a real difference.
        var foreign = XDocument.Parse(AfterSnapshots(Render(spec), Root, true, "reconciler-x"));
        var source = foreign.Descendants("source").First(s => ((string?)s.Attribute("file"))?.EndsWith("reconciler-x", StringComparison.Ordinal) == true);
        source.SetAttributeValue("file", "/srv/snx/root.users-own");
        var parsed = DomainXmlParser.Parse(foreign.ToString()).Spec;
        Assert.Equal("/srv/snx/root.users-own", parsed.Disks[0].Path);
        Assert.Contains(DomainFields.Diff(spec, parsed), d => d.Path == "spec.disks[0].path");

        // Our name but no chain written (nothing shows where it leads): read as it is.
        var bare = XDocument.Parse(AfterSnapshots(Render(spec), Root, false, "reconciler-x"));
        bare.Descendants("backingStore").Remove();
        var unchained = DomainXmlParser.Parse(bare.ToString()).Spec;
        Assert.Equal(Root + ".reconciler-x", unchained.Disks[0].Path);
        Assert.Null(unchained.Disks[0].Overlays);

        // A chain that leads to another file than the overlay names: read as it is.
        var elsewhere = XDocument.Parse(AfterSnapshots(Render(spec), Root, false, "reconciler-x"));
        elsewhere.Descendants("backingStore").Single().Element("source")!.SetAttributeValue("file", "/srv/other.qcow2");
        Assert.Equal(Root + ".reconciler-x", DomainXmlParser.Parse(elsewhere.ToString()).Spec.Disks[0].Path);
    }

    [Fact]
    public void Overlay_names_map_back_only_for_reconcilers_snapshots()
    {
        Assert.Equal("/a/b.qcow2.reconciler-1", ExternalOverlays.PathFor("/a/b.qcow2", "reconciler-1"));
        Assert.Equal("/a/b.qcow2", ExternalOverlays.BaseOf("/a/b.qcow2.reconciler-1"));
        Assert.Null(ExternalOverlays.BaseOf("/a/b.qcow2.users-own"));
        Assert.Null(ExternalOverlays.BaseOf("/a/.reconciler-1"));
        Assert.Null(ExternalOverlays.BaseOf("/a.reconciler-1/b.qcow2"));
        Assert.Throws<ArgumentException>(() => ExternalOverlays.PathFor("/a/b", "users-own"));
        Assert.Throws<ArgumentException>(() => ExternalOverlays.PathFor("/a/b", "reconciler-../x"));
    }
}
