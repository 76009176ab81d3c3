using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The one place that says what a field change costs a domain. The class follows libvirt's live
/// versus config semantics and the headroom the running instance has — the memory and vCPU
/// maxima of its definition and its free PCIe hotplug slots — then the domain's update policy:
/// <list type="bullet">
/// <item><c>none</c>: metadata, description, protect, autostart, the placement record; any change to a stopped domain.</item>
/// <item><c>live</c>: memory up to the defined maximum (balloon); more vCPUs up to the maximum;
/// attaching or detaching virtio/usb disks and NICs while a hotplug slot is free; attaching or detaching
/// PCI host devices (while a slot is free) and USB host devices; new cdrom media; a NIC's link state, and
/// its VLAN tags on Open vSwitch (virDomainUpdateDeviceFlags).</item>
/// <item><c>next-boot</c>: everything else: the persistent definition changes, the running guest keeps
/// the old value until it restarts.</item>
/// <item><c>restart</c>: a next-boot change of a domain whose policy lets Reconciler restart it now.</item>
/// <item><c>replace</c>: a different architecture or domain type, which libvirt cannot redefine in place.</item>
/// </list>
/// </summary>
public static class Disruptions
{
    /// <summary>Classifies each differing field of one domain.</summary>
    /// <param name="diffs">The owned fields that differ (desired vs persistent definition).</param>
    /// <param name="desired">The desired spec.</param>
    /// <param name="live">The domain as read.</param>
    /// <param name="now">For restart windows; null means closed.</param>
    public static IReadOnlyList<FieldChange> Classify(IReadOnlyList<FieldDiff> diffs, DomainSpec desired, LiveDomain live, DateTimeOffset? now)
    {
        if (diffs.Count == 0) return [];
        var config = live.Config!;
        var running = live.RunState is LiveRunState.Running or LiveRunState.Paused or LiveRunState.ShuttingDown;
        var mayRestart = MayRestart(desired.Policy, now);
        var items = ItemClasses(diffs, desired, config, live.FreeHotplugSlots, out var slotsLeft);
        var result = new List<FieldChange>(diffs.Count);
        foreach (var diff in diffs)
        {
            var cls = Base(diff, config, running, items);
            // A PCI host device attached live needs a free hotplug slot, like a NIC.
            if (cls == Disruption.Live && HostdevFields.AddedPci(diff) is > 0 and var added && added > slotsLeft) cls = Disruption.NextBoot;
            if (cls == Disruption.NextBoot && mayRestart) cls = Disruption.Restart;
            result.Add(new FieldChange(diff.Path, diff.Before, diff.After, cls));
        }
        return result;
    }

    /// <summary>True when the policy lets Reconciler restart the domain at <paramref name="now"/>.</summary>
    public static bool MayRestart(UpdatePolicy policy, DateTimeOffset? now) => policy.Restart switch
    {
        RestartPolicy.Auto => true,
        RestartPolicy.Window => now is { } t && RestartWindow.TryParse(policy.Window, out var w, out _) && w!.Contains(t),
        _ => false,
    };

    /// <summary>The most disruptive class a change of this domain may have under the gate <paramref name="gate"/>.</summary>
    public static Disruption? Allowed(UpdatePolicy policy, Disruption? gate)
    {
        var max = policy.MaxDisruption ?? gate;
        if (max is null) return null;
        // Opting in to restarts in the spec lets restart-class changes through a lower command-line gate.
        return policy.Restart != RestartPolicy.Never && max < Disruption.Restart ? Disruption.Restart : max;
    }

    private static Disruption Base(FieldDiff diff, DomainSpec config, bool running, IReadOnlyDictionary<string, Disruption> items)
    {
        var path = new FieldPath(diff.Path);
        if (path == DomainPaths.Autostart) return Disruption.None;
        var bound = BoundFields.Find(path);
        var rule = bound?.Change ?? DeclaredFields.Domain.ChangeOf(path);
        if (rule is Disruption.None or Disruption.Replace) return rule.Value;
        if (!running) return Disruption.None;
        if (rule is { } declared) return declared;
        if (bound?.LiveWhen is { } live) return live(diff, config) ? Disruption.Live : Disruption.NextBoot;
        return ItemOf(diff.Path) is { } item && items.TryGetValue(item, out var cls) ? cls : Disruption.NextBoot;
    }

    /// <summary>
    /// The class of each disk or NIC that changed, as a whole: attaching and detaching are live for
    /// hot-pluggable buses while free slots last (in order), new cdrom media is live, any other
    /// change to an existing device waits for the next boot.
    /// </summary>
    private static Dictionary<string, Disruption> ItemClasses(IReadOnlyList<FieldDiff> diffs, DomainSpec desired, DomainSpec config, int freeSlots, out int slotsLeft)
    {
        var result = new Dictionary<string, Disruption>(StringComparer.Ordinal);
        var aligned = DomainFields.AlignDisks(desired.Disks, config.Disks);
        foreach (var item in diffs.Select(d => ItemOf(d.Path)).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var isDisk = new FieldPath(item).TryItemOf(DomainPaths.Disks, out _, out var index);
            if (!isDisk) new FieldPath(item).TryItemOf(DomainPaths.Interfaces, out _, out index);
            Disruption cls;
            if (isDisk)
            {
                var want = index < desired.Disks.Count ? desired.Disks[index] : null;
                var have = index < aligned.Count ? aligned[index] : null;
                var bus = (want ?? have)?.Bus;
                var pluggable = bus is "virtio" or "usb";
                if (want is null || have is null)
                {
                    var needsSlot = want is not null && bus == "virtio";
                    cls = !pluggable ? Disruption.NextBoot
                        : !needsSlot ? Disruption.Live
                        : freeSlots-- > 0 ? Disruption.Live : Disruption.NextBoot;
                }
                else
                {
                    // Only owned fields differ (a tuning field the spec leaves out is libvirt's, never a difference).
                    var mediaOnly = want.Device == DiskDevice.Cdrom && have.Device == DiskDevice.Cdrom
                                    && diffs.Where(d => ItemOf(d.Path) == item).All(d => MediaFields.Contains(d.Path[(item.Length + 1)..]));
                    cls = mediaOnly ? Disruption.Live : Disruption.NextBoot;
                }
            }
            else
            {
                var added = index >= config.Interfaces.Count;
                var removed = index >= desired.Interfaces.Count;
                cls = removed ? Disruption.Live
                    : added ? (freeSlots-- > 0 ? Disruption.Live : Disruption.NextBoot)
                    : UpdatableLive(diffs, item, desired.Interfaces[index]) ? Disruption.Live : Disruption.NextBoot;
            }
            result[item] = cls;
        }
        slotsLeft = Math.Max(0, freeSlots);
        return result;
    }

    /// <summary>The fields of a cdrom whose change is new media (virDomainUpdateDeviceFlags on the running domain).</summary>
    private static readonly HashSet<string> MediaFields = new(["path", "format", "volume", "pool", "network"], StringComparer.Ordinal);

    /// <summary>Whether every changed field of the existing NIC <paramref name="item"/> can be updated in the running NIC (link state; VLAN tags on Open vSwitch).</summary>
    private static bool UpdatableLive(IReadOnlyList<FieldDiff> diffs, string item, InterfaceSpec nic) =>
        diffs.Where(d => d.Path.Length > item.Length + 1 && d.Path.StartsWith(item + ".", StringComparison.Ordinal))
            .All(d => NicFields.UpdatableLive(d.Path[(item.Length + 1)..], nic));

    /// <summary><c>spec.disks[2]</c> for <c>spec.disks[2].path</c>; null for fields outside the disk and NIC lists.</summary>
    public static string? ItemOf(string path) => ItemOf(new FieldPath(path))?.Text;

    /// <summary>The disk or NIC item <paramref name="path"/> is in; null for fields outside the disk and NIC lists.</summary>
    public static FieldPath? ItemOf(FieldPath path) =>
        path.TryItemOf(DomainPaths.Disks, out var item, out _) || path.TryItemOf(DomainPaths.Interfaces, out item, out _) ? item : null;
}
