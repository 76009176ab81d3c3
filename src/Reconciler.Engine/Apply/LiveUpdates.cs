using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries the <c>live</c>-class fields of an update into the running instance, after the
/// persistent definition was redefined: balloon, vCPU hotplug, vCPU and emulator pinning, device attach/detach,
/// new cdrom media, a NIC's link state and VLAN (update-device). The devices are taken from the freshly defined persistent XML, so the running instance
/// gets the same MACs and targets as the definition; PCI addresses are left to libvirt.
/// </summary>
internal static class LiveUpdates
{
    public static void Apply(LibvirtDomain domain, ResourceChange change, DomainSpec desired, DomainSpec previousConfig)
    {
        var live = change.Fields.Where(f => f.Disruption == Disruption.Live).ToList();
        if (live.Count == 0 || !domain.IsActive) return;
        foreach (var operation in live.Select(f => BoundFields.Find(new FieldPath(f.Path))?.Live ?? LiveOperation.None).Distinct())
        {
            switch (operation)
            {
                case LiveOperation.SetMemory: domain.SetMemory(desired.MemoryBytes / 1024, DomainModificationImpact.Live); break;
                case LiveOperation.SetVcpus: domain.SetVcpus((uint)desired.Vcpus, DomainVcpuFlags.Live); break;
                case LiveOperation.PinVcpus: LivePinning.PinVcpus(domain, desired, previousConfig); break;
                case LiveOperation.PinEmulator: LivePinning.PinEmulator(domain, desired); break;
                case LiveOperation.Hostdevs: LiveHostdevs.Apply(domain, desired, previousConfig); break;
            }
        }

        var items = live.Select(f => Disruptions.ItemOf(new FieldPath(f.Path))).OfType<FieldPath>().Distinct().ToList();
        if (items.Count == 0) return;
        var config = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive)).Root!.Element("devices")!;
        var running = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.None)).Root!.Element("devices")!;
        var aligned = DomainFields.AlignDisks(desired.Disks, previousConfig.Disks);
        foreach (var item in items)
        {
            if (item.TryItemOf(DomainPaths.Disks, out _, out var index))
            {
                var want = index < desired.Disks.Count ? desired.Disks[index] : null;
                var had = index < aligned.Count ? aligned[index] : null;
                if (want is null && had is not null)
                {
                    domain.DetachDevice(FindDisk(running, had)?.ToString() ?? throw new ApplyStepException($"{item} is not in the running domain"), DomainModificationImpact.Live);
                }
                else if (want is not null && had is null)
                {
                    domain.AttachDevice(WithoutAddress(FindDisk(config, want)), DomainModificationImpact.Live);
                }
                else if (want is not null)
                {
                    domain.UpdateDevice(WithoutAddress(FindDisk(config, want)), DomainModificationImpact.Live);
                }
            }
            else if (item.TryItemOf(DomainPaths.Interfaces, out _, out index))
            {
                var nics = config.Elements("interface").ToList();
                if (index < desired.Interfaces.Count && index < previousConfig.Interfaces.Count)
                {
                    // An existing NIC whose link state or VLAN changed: libvirt finds it by its MAC.
                    domain.UpdateDevice(WithoutAddress(index < nics.Count ? nics[index] : null), DomainModificationImpact.Live);
                }
                else if (index < desired.Interfaces.Count)
                {
                    domain.AttachDevice(WithoutAddress(index < nics.Count ? nics[index] : null), DomainModificationImpact.Live);
                }
                else if (index < previousConfig.Interfaces.Count && previousConfig.Interfaces[index].Mac is { } mac)
                {
                    var nic = running.Elements("interface").FirstOrDefault(n => (string?)n.Element("mac")?.Attribute("address") == mac)
                              ?? throw new ApplyStepException($"{item} ({mac}) is not in the running domain");
                    domain.DetachDevice(nic.ToString(), DomainModificationImpact.Live);
                }
            }
        }
    }

    private static XElement? FindDisk(XElement devices, DiskSpec disk) =>
        devices.Elements("disk").FirstOrDefault(d =>
        {
            var source = d.Element("source");
            // A disk on external-snapshot overlays has the newest overlay as its source; its chain names the path.
            if (disk.Path is { } path) return (string?)source?.Attribute("file") == path || (string?)source?.Attribute("dev") == path || ExternalOverlays.Read(d)?.Path == path;
            if (disk.Volume is { } volume) return (string?)source?.Attribute("volume") == volume && (disk.Pool is null || (string?)source?.Attribute("pool") == disk.Pool);
            if (disk.Network is { } network) return (string?)d.Attribute("type") == "network" && DiskFields.Read(d).Network is { } n && DiskTuningFields.Canonical(n) == DiskTuningFields.Canonical(network);
            return (string?)d.Element("target")?.Attribute("dev") == disk.Target || (disk.Target is null && (string?)d.Attribute("device") == "cdrom" && source is null);
        });

    private static string WithoutAddress(XElement? device)
    {
        if (device is null) throw new ApplyStepException("the device is not in the redefined domain");
        var copy = new XElement(device);
        copy.Elements("address").Remove();
        return copy.ToString();
    }
}
