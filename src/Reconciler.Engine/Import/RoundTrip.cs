using System.Xml.Linq;

namespace Reconciler.Engine.Import;

/// <summary>
/// The round-trip proof of one import: the live definition and the spec's rendering are both
/// defined on a scratch in-process node (libvirt's test driver, <c>test:///default</c>) and libvirt's
/// own normalised XML of the two is compared, with what libvirt assigns set aside (UUID, ownership
/// metadata, addresses, aliases, controller indexes; see <see cref="LiveXmlCleaner"/>). MACs are
/// compared: the spec renders the live ones, as adoption does.
/// </summary>
internal sealed class RoundTrip : IDisposable
{
    private readonly LibvirtConnection _scratch = LibvirtConnection.Open("test:///default");
    private int _count;

    /// <summary>The differences, one line each (empty: equal).</summary>
    public IReadOnlyList<string> Differences(ImportedDomain imported)
    {
        var live = XDocument.Parse(imported.LiveXml).Root!;
        var type = (string?)live.Attribute("type") ?? "kvm";
        var rendered = DomainImporter.Render(imported.Spec, imported.Live, type);
        // The QEMU driver adds its default USB controller by itself; the test driver does not, so it is given here as the live one has it.
        if (rendered.Element("devices") is { } devices && !devices.Elements("controller").Any(c => (string?)c.Attribute("type") == "usb")
            && live.Element("devices")?.Elements("controller").FirstOrDefault(c => (string?)c.Attribute("type") == "usb" && (string?)c.Attribute("model") is "qemu-xhci" or "piix3-uhci") is { } usb)
        {
            var copy = new XElement(usb);
            copy.Elements().Remove();
            devices.Add(copy);
        }
        XElement before, after;
        try
        {
            before = Normalised(live, "live");
        }
        catch (LibvirtException e)
        {
            return [$"the live definition itself is refused by the scratch node: {e.Message}"];
        }
        try
        {
            after = Normalised(rendered, "spec");
        }
        catch (LibvirtException e)
        {
            return [$"the rendered spec is refused by the scratch node: {e.Message}"];
        }
        var diff = PatchDiff.Compute(after, before);
        return [.. diff.Patches.Select(Describe)];
    }

    /// <summary>libvirt's normalised form of <paramref name="domain"/>: defined on the scratch node under a scratch name, read back, undefined.</summary>
    private XElement Normalised(XElement domain, string what)
    {
        var copy = new XElement(domain);
        copy.SetAttributeValue("type", "test");
        var name = $"import-check-{what}-{Environment.ProcessId}-{Interlocked.Increment(ref _count)}";
        copy.Element("name")!.Value = name;
        copy.Element("uuid")?.Remove();
        using var defined = _scratch.DefineDomain(copy.ToString());
        try
        {
            return XDocument.Parse(defined.GetXmlDesc(DomainXmlFlags.Inactive)).Root!;
        }
        finally
        {
            defined.Undefine(UndefineFlags.None);
        }
    }

    /// <summary>One difference in words: what the rendered spec lacks, has too much, or holds differently.</summary>
    private static string Describe(XmlPatch patch) =>
        patch.Remove ? $"{patch.XPath}: rendered but not live"
        : patch.Add is not null ? $"{patch.XPath}: live has {patch.Add} that the spec does not render"
        : $"{patch.XPath}: live '{patch.Set}', the spec renders otherwise";

    public void Dispose() => _scratch.Dispose();
}
