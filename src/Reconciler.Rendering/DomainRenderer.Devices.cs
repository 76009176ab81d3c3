namespace Reconciler.Rendering;

/// <summary>Disks, interfaces and graphics: rendering, and the targets, buses, formats and MACs resolved against the live definition.</summary>
public static partial class DomainRenderer
{
    private static XElement RenderDisk(DiskSpec disk, ResolvedDisk resolved, int index)
    {
        if (disk.Volume is not null && disk.Pool is null)
        {
            throw new RenderException($"spec.disks[{index}]: volume '{disk.Volume}' has no pool; the pool must be resolved before rendering")
            { FieldPath = $"spec.disks[{index}].pool" };
        }
        if (disk.Volume is null && disk.Path is null && disk.Network is null && disk.Device != DiskDevice.Cdrom)
        {
            throw new RenderException($"spec.disks[{index}]: a disk needs a path or a volume") { FieldPath = $"spec.disks[{index}]" };
        }
        var element = DiskFields.Render(disk with { Bus = resolved.Bus, Format = resolved.Format, Target = resolved.Target });
        if (resolved.Overlays is { } overlays) ExternalOverlays.Write(element, overlays);
        return element;
    }

    private static XElement RenderInterface(InterfaceSpec nic, string? mac, int index)
    {
        if (new object?[] { nic.Network, nic.Bridge, nic.Direct, nic.Hostdev, nic.User ? "" : null }.Count(a => a is not null) != 1)
        {
            throw new RenderException($"spec.interfaces[{index}]: exactly one of network, bridge, direct, hostdev or user is required") { FieldPath = $"spec.interfaces[{index}]" };
        }
        return InterfaceFields.Render(nic with { Mac = mac });
    }

    /// <summary>Bus, format and target of each disk after defaults, carry-over from the live definition, and assignment.</summary>
    /// <param name="Bus">The bus.</param>
    /// <param name="Format">The image format.</param>
    /// <param name="Target">The guest device name.</param>
    /// <param name="Overlays">The external-snapshot overlays the live disk of the same path runs on, kept on a redefine; null when none.</param>
    internal sealed record ResolvedDisk(string Bus, string Format, string Target, DiskOverlayChain? Overlays = null);

    internal static IReadOnlyList<ResolvedDisk> ResolveDisks(DomainSpec spec, DomainSpec? live)
    {
        var buses = spec.Disks.Select(d => d.Bus ?? (d.Device == DiskDevice.Cdrom ? "sata" : "virtio")).ToArray();
        var targets = spec.Disks.Select(d => d.Target).ToArray();
        var used = new HashSet<string>(targets.OfType<string>(), StringComparer.Ordinal);

        // Keep the target a disk already has on the node when the spec leaves it open: inserting a
        // disk before others must not rename them inside the guest.
        if (live is not null)
        {
            var claimed = new HashSet<int>();
            for (var i = 0; i < spec.Disks.Count; i++)
            {
                if (targets[i] is not null) continue;
                var prefix = DiskTargets.PrefixFor(buses[i]);
                for (var j = 0; j < live.Disks.Count; j++)
                {
                    var old = live.Disks[j];
                    if (claimed.Contains(j) || old.Target is null || used.Contains(old.Target)) continue;
                    if (!SameSource(spec.Disks[i], old) || !DiskTargets.HasPrefix(old.Target, prefix)) continue;
                    if (old.Bus is not null && old.Bus != buses[i]) continue;
                    targets[i] = old.Target;
                    used.Add(old.Target);
                    claimed.Add(j);
                    break;
                }
            }
        }

        var resolved = new ResolvedDisk[spec.Disks.Count];
        for (var i = 0; i < spec.Disks.Count; i++)
        {
            var disk = spec.Disks[i];
            var target = targets[i];
            if (target is null)
            {
                target = DiskTargets.NextFree(DiskTargets.PrefixFor(buses[i]), used);
                used.Add(target);
            }
            var name = disk.Path ?? disk.Volume ?? "";
            var format = disk.Format ?? (name.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw");
            var overlays = disk.Path is null ? null
                : live?.Disks.FirstOrDefault(d => d.Overlays is not null && d.Device == disk.Device && d.Path == disk.Path)?.Overlays;
            resolved[i] = new ResolvedDisk(buses[i], format, target, overlays);
        }
        return resolved;
    }

    private static bool SameSource(DiskSpec a, DiskSpec b)
    {
        if (a.Device != b.Device) return false;
        if (a.Path is not null || b.Path is not null) return a.Path == b.Path;
        if (a.Volume is not null || b.Volume is not null) return a.Volume == b.Volume && (a.Pool is null || a.Pool == b.Pool);
        if (a.Network is not null || b.Network is not null) return a.Network is not null && b.Network is not null && DiskTuningFields.Canonical(a.Network) == DiskTuningFields.Canonical(b.Network);
        return true; // two empty cdrom drives
    }

    /// <summary>The MAC of each interface: the spec's, else the one libvirt gave the matching live interface, else none (libvirt picks).</summary>
    internal static IReadOnlyList<string?> ResolveMacs(DomainSpec spec, DomainSpec? live)
    {
        var macs = spec.Interfaces.Select(n => n.Mac).ToArray();
        if (live is null) return macs;
        var explicitMacs = new HashSet<string>(macs.OfType<string>(), StringComparer.OrdinalIgnoreCase);
        var claimed = new HashSet<int>();
        for (var i = 0; i < macs.Length; i++)
        {
            if (macs[i] is not null) continue;
            var nic = spec.Interfaces[i];
            bool Usable(int j) =>
                !claimed.Contains(j)
                && live.Interfaces[j].Mac is { } mac && !explicitMacs.Contains(mac)
                && live.Interfaces[j].Attachment == nic.Attachment;
            // The same position first, then the first unclaimed interface with the same attachment.
            var match = i < live.Interfaces.Count && Usable(i) ? i : Enumerable.Range(0, live.Interfaces.Count).FirstOrDefault(Usable, -1);
            if (match < 0) continue;
            claimed.Add(match);
            macs[i] = live.Interfaces[match].Mac;
        }
        return macs;
    }
}
