using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The pool step of a node: creates, starts, updates or adopts each StoragePool spec placed on the
/// node, and destroys the pools this source created whose spec is gone unless something still uses
/// them. A pool whose ledger cannot be read, or that is not ours and not adopted, is recorded in
/// <see cref="StorageState.FrozenPools"/>: the volume and seed steps change nothing in it.
/// </summary>
internal sealed class PoolPlanner(NodeResources r)
{
    public void Plan()
    {
        foreach (var spec in r.Pools)
        {
            var where = spec.Meta.Origin.Find("metadata.name");
            if (!r.LivePools.TryGetValue(spec.Name, out var current))
            {
                var clash = spec.Path.Length == 0 ? null : r.Node.Pools.FirstOrDefault(p => p.Path == spec.Path);
                if (clash is not null)
                {
                    r.Diagnostics.Add(Diagnostic.Error("pool-path-in-use",
                        $"storage pool '{spec.Name}': path {spec.Path} is already the target of pool '{clash.Name}' on node '{r.Node.Node}'",
                        spec.Meta.Origin.Find("spec.path"), "spec.path", $"use another directory, or reference pool '{clash.Name}' from your volumes instead")
                        .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                    continue;
                }
                var checks = DeviceChecks(spec);
                if (checks.FirstOrDefault(c => c.Outcome == CheckOutcome.Refused) is { } refused)
                {
                    r.Diagnostics.Add(Diagnostic.Error(Planner.CheckRefusedCode,
                        $"storage pool '{spec.Name}' cannot be built on node '{r.Node.Node}': {refused.Detail}",
                        spec.Meta.Origin.Find("spec.devices"), "spec.devices", "name a block device the node has (virsh nodedev-list --cap storage)")
                        .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                    continue;
                }
                foreach (var skipped in checks.Where(c => c.Outcome == CheckOutcome.Skipped))
                {
                    r.Diagnostics.Add(Diagnostic.Note(Planner.CheckSkippedCode, $"storage pool '{spec.Name}' on node '{r.Node.Node}': {skipped.Check} check skipped: {skipped.Detail}",
                        spec.Meta.Origin.Find("spec.devices"), "spec.devices").About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                }
                r.Changes.Add(new PoolChange(r.Node.Node, spec.Name, ChangeAction.Create, "not on the node", [], null, null) { Spec = spec });
                continue;
            }
            if (!current.Persistent)
            {
                r.Diagnostics.Add(Diagnostic.Error("transient-conflict", $"a transient storage pool named '{spec.Name}' exists on node '{r.Node.Node}'; Reconciler does not touch it",
                    where, "metadata.name", "rename the spec, or remove that pool yourself").About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                continue;
            }
            var fields = new List<FieldChange>();
            var reason = "";
            var adopt = false;
            if (current.Ledger is null && current.LedgerError is not null)
            {
                if (!current.Active)
                {
                    // The ledger lives in the pool and can only be read while it runs; starting a pool is harmless.
                    r.Changes.Add(new PoolChange(r.Node.Node, spec.Name, ChangeAction.Start,
                        "inactive (stopped behind our back?): start it; ownership and volumes are checked once it runs",
                        [new FieldChange("spec.state", "stopped", "running", Disruption.None)], current.Uuid, current.Fingerprint) { Spec = spec });
                    continue;
                }
                r.Diagnostics.Add(Diagnostic.Error("ledger-unreadable",
                    $"Reconciler's ledger in storage pool '{spec.Name}' on node '{r.Node.Node}' cannot be read ({current.LedgerError}); nothing in that pool is changed",
                    where, null, $"inspect it: virsh vol-download {StorageLedger.VolumeName} /dev/stdout --pool {spec.Name}")
                    .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                r.State.FrozenPools.Add((r.Node.Node, spec.Name));
                continue;
            }
            var owner = current.Ledger?.Pool;
            if (owner is null || owner.Source != r.Source)
            {
                if (!r.Options.Adopt)
                {
                    r.Diagnostics.Add(OwnershipRefusal.For(ResourceKind.StoragePool, spec.Name, r.Node.Node, $"storage pool '{spec.Name}'", owner?.Source, where,
                        "was not created by Reconciler", "to take it over, run again with --adopt; or delete the StoragePool spec and let volumes reference the pool as it is (external)"));
                    r.State.FrozenPools.Add((r.Node.Node, spec.Name));
                    continue;
                }
                adopt = true;
                reason = owner is null ? "adopt an unmanaged pool" : $"adopt from {owner.Source}";
                fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
            }
            if (current.Type != PoolTypes.Xml(spec.Type))
            {
                r.Diagnostics.Add(Diagnostic.Error("immutable-field", $"storage pool '{spec.Name}' on node '{r.Node.Node}' is of type {current.Type}, not {PoolTypes.Xml(spec.Type)}; a pool's type cannot change",
                    spec.Meta.Origin.Find("spec.type"), "spec.type", "give the spec another name to create a new pool")
                    .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                continue;
            }
            if (spec.Source is { } source && current.Source is { } liveSource && liveSource.Canonical(spec.Type) != source.Canonical(spec.Type))
            {
                r.Diagnostics.Add(Diagnostic.Error("immutable-field",
                    $"storage pool '{spec.Name}' on node '{r.Node.Node}' has source {liveSource.Canonical(spec.Type)}, not {source.Canonical(spec.Type)}; a pool's source cannot change in place (its volumes live there)",
                    spec.Meta.Origin.Find("spec.type"), "spec.type", "write the node's source back, or create a new pool with another name")
                    .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                continue;
            }
            if (spec.Path.Length > 0 && current.Path is not null && current.Path.TrimEnd('/') != spec.Path.TrimEnd('/'))
            {
                r.Diagnostics.Add(Diagnostic.Error("immutable-field",
                    $"storage pool '{spec.Name}' on node '{r.Node.Node}' has path {current.Path}; a pool's path cannot change in place (its volumes live there)",
                    spec.Meta.Origin.Find("spec.path"), "spec.path", $"write path: {current.Path} back, or create a new pool with another name")
                    .About(ResourceKind.StoragePool, spec.Name, r.Node.Node));
                continue;
            }
            if (current.Autostart != spec.Autostart)
            {
                fields.Add(new FieldChange("spec.autostart", NodeResources.Bool(current.Autostart), NodeResources.Bool(spec.Autostart), Disruption.None));
            }
            if (!current.Active)
            {
                fields.Add(new FieldChange("spec.state", "stopped", "running", Disruption.None));
            }
            if (fields.Count == 0)
            {
                r.Unchanged.Add("storagepool/" + spec.Name);
                continue;
            }
            if (reason.Length == 0) reason = fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
            r.Changes.Add(new PoolChange(r.Node.Node, spec.Name, ChangeAction.Update, reason, fields, current.Uuid, current.Fingerprint) { Spec = spec, Adopt = adopt });
        }

        foreach (var current in r.Node.Pools)
        {
            if (r.PoolsByName.ContainsKey(current.Name) || current.Ledger?.Pool is not { } owner || owner.Source != r.Source) continue;
            var users = new List<string>();
            users.AddRange(r.Volumes.Where(v => v.Pool == current.Name).Select(v => $"volume {v.Name} (in the specs)"));
            users.AddRange(r.Resolved.Values.Where(d => d.Disks.Any(x => x.Pool == current.Name && x.Volume is not null)).Select(d => $"domain {d.Name} (in the specs)"));
            users.AddRange(r.Kept.Where(d => current.Volumes.Any(v => StoragePlanner.Uses(d, current.Name, v.Name, v.Path))).Select(d => $"domain {d.Name}"));
            if (users.Count > 0)
            {
                r.Diagnostics.Add(Diagnostic.Error("pool-in-use",
                    $"storage pool '{current.Name}' on node '{r.Node.Node}' is no longer in the specs but is still used by {string.Join(", ", users.Distinct())}; it is kept",
                    hint: "put its StoragePool spec back, or remove what uses it first").About(ResourceKind.StoragePool, current.Name, r.Node.Node));
                continue;
            }
            r.Changes.Add(new PoolChange(r.Node.Node, current.Name, ChangeAction.Destroy,
                current.Type == "dir" ? "no longer in the specs (stopped and undefined; its directory and files are kept)" : $"no longer in the specs (stopped and undefined; its {current.Type} storage and volumes are kept)", [], current.Uuid, current.Fingerprint) { Spec = null });
        }
    }

    /// <summary>The node check of a new <c>logical</c> pool's devices (none for other types): a device the node lacks refuses the pool; one libvirt does not list is skipped, and said.</summary>
    private IReadOnlyList<CheckResult> DeviceChecks(StoragePoolSpec spec) =>
        spec.Type == StoragePoolType.Logical && spec.Source is { Devices.Count: > 0 } source
            ? NodeChecks.PoolDevices(source.Devices, r.Node)
            : [];
}
