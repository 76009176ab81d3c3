using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries a live <c>spec.hostdevs</c> change into the running instance: each PCI or USB device the
/// previous definition had and the desired one has not is detached, each new one is attached
/// (virDomainDetachDeviceFlags / virDomainAttachDeviceFlags with LIVE). The persistent definition
/// was already redefined; the attached element is the one rendered for it, without a guest address.
/// </summary>
internal static class LiveHostdevs
{
    public static void Apply(LibvirtDomain domain, DomainSpec desired, DomainSpec previousConfig)
    {
        var want = desired.Hostdevs.Where(h => h.HotPluggable).ToList();
        var had = previousConfig.Hostdevs.Where(h => h.HotPluggable).ToList();
        var running = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.None)).Root!.Element("devices");
        foreach (var gone in had.Where(h => !want.Any(w => Same(w, h))))
        {
            var element = running?.Elements("hostdev").FirstOrDefault(e => HostdevFields.Read(e) is { } r && Same(r, gone))
                          ?? throw new ApplyStepException($"host device {gone.Text} is not in the running domain");
            domain.DetachDevice(element.ToString(), DomainModificationImpact.Live);
        }
        foreach (var added in want.Where(w => !had.Any(h => Same(w, h))))
        {
            var element = HostdevFields.Render(added) ?? throw new ApplyStepException($"host device {added.Text} has no address to attach");
            domain.AttachDevice(element.ToString(), DomainModificationImpact.Live);
        }
    }

    private static bool Same(HostdevSpec a, HostdevSpec b) => a.Text == b.Text;
}
