using Reconciler.Core.Fields;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The volume step of a node: creates, grows, adopts or takes back each Volume spec placed on the
/// node (a volume that moves in with its domain is left to the move), and releases (Retain) or
/// deletes (Delete) the volumes this source created whose spec is gone. Shrinking is refused; a
/// volume's format never changes in place.
/// </summary>
internal sealed class VolumePlanner(NodeResources r)
{
    /// <summary>
    /// The pool a volume goes to, if it can be used now: null when an error was reported or the check
    /// waits for the pool to start. The errors are about <paramref name="kind"/> <c>meta.Name</c>: the
    /// Volume spec, or the domain whose cloud-init seed it is.
    /// </summary>
    internal static (LivePool? Live, bool Ok) PoolFor(NodeResources r, ResourceKind kind, string what, ResourceMeta meta, string pool, string field)
    {
        if (r.State.FrozenPools.Contains((r.Node.Node, pool))) return (null, false);
        r.LivePools.TryGetValue(pool, out var live);
        if (live is null)
        {
            if (r.PoolsByName.ContainsKey(pool)) return (null, true); // created by this plan
            var elsewhere = r.Desired.Pools.FirstOrDefault(p => p.Name == pool);
            r.Diagnostics.Add((elsewhere is null
                ? Diagnostic.Error("dangling-reference", $"{what} '{meta.Name}' is in pool '{pool}', which is neither in the specs nor on node '{r.Node.Node}'",
                    meta.Origin.Find(field), field, "add a StoragePool spec, create the pool on the node, or fix the name")
                : Diagnostic.Error("cross-node-reference", $"{what} '{meta.Name}' is placed on node '{r.Node.Node}' but its pool '{pool}' is on node '{elsewhere.Node}' (at {elsewhere.Meta.Origin.Location})",
                    meta.Origin.Find(field), field, "remove spec.node from the volume: it follows its pool"))
                .About(kind, meta.Name, r.Node.Node));
            return (null, false);
        }
        if (!live.Active)
        {
            if (r.PoolsByName.ContainsKey(pool)) return (null, false); // its start is planned; volumes are checked on the next plan
            r.Diagnostics.Add(Diagnostic.Error("pool-inactive", $"{what} '{meta.Name}' is in pool '{pool}', which is inactive on node '{r.Node.Node}'",
                meta.Origin.Find(field), field, $"start it (virsh pool-start {pool}) or add a StoragePool spec for it").About(kind, meta.Name, r.Node.Node));
            return (null, false);
        }
        if (live.Ledger is null && live.LedgerError is not null)
        {
            r.Diagnostics.Add(Diagnostic.Error("ledger-unreadable",
                $"Reconciler's ledger in storage pool '{pool}' on node '{r.Node.Node}' cannot be read ({live.LedgerError}); {what} '{meta.Name}' is not changed",
                meta.Origin.Find(field), field, $"inspect it: virsh vol-download {StorageLedger.VolumeName} /dev/stdout --pool {pool}")
                .About(kind, meta.Name, r.Node.Node));
            r.State.FrozenPools.Add((r.Node.Node, pool));
            return (null, false);
        }
        return (live, true);
    }

    public void Plan()
    {
        foreach (var spec in r.Volumes)
        {
            var (pool, ok) = PoolFor(r, ResourceKind.Volume, "volume", spec.Meta, spec.Pool, "spec.pool");
            if (!ok) continue;
            var current = pool?.Volumes.FirstOrDefault(v => v.Name == spec.Name);
            var record = pool?.Ledger?.Volumes.GetValueOrDefault(spec.Name);
            var where = spec.Meta.Origin.Find("metadata.name");
            if (current is null && r.State.MovingIn.Contains((r.Node.Node, spec.Pool, spec.Name)))
            {
                continue; // created and filled by the move of the domain that uses it (its Migrate change shows it)
            }
            if (current is null)
            {
                var reason = record is { Released: false, Complete: true } ? "missing on the node (deleted behind our back?)" : "not on the node";
                r.Changes.Add(new VolumeChange(r.Node.Node, spec.Name, ChangeAction.Create, reason, [], null) { Pool = spec.Pool, Spec = spec });
                continue;
            }
            var fields = new List<FieldChange>();
            string? why = null;
            var adopt = false;
            if (record is null || record.Role != VolumeRole.Volume || (record.Source != r.Source && !record.Released))
            {
                if (!r.Options.Adopt)
                {
                    r.Diagnostics.Add(OwnershipRefusal.For(ResourceKind.Volume, spec.Name, r.Node.Node, $"volume '{spec.Name}' in pool '{spec.Pool}'",
                        record is null || record.Role != VolumeRole.Volume ? null : record.Source, where,
                        "was not created by Reconciler", "to take it over, run again with --adopt (its data is kept); or reference it from domains without a Volume spec (external)"));
                    continue;
                }
                why = record is null ? "adopt an unmanaged volume (data kept)" : $"adopt from {record.Source} (data kept)";
                adopt = true;
                fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
            }
            else if (!record.Complete)
            {
                r.Changes.Add(new VolumeChange(r.Node.Node, spec.Name, ChangeAction.Update,
                    "a previous create did not finish: the half-written volume is deleted and created again",
                    [new FieldChange("state", "incomplete", "complete", Disruption.None)], current.Fingerprint) { Pool = spec.Pool, Spec = spec, Recreate = true });
                continue;
            }
            else if (record.Released)
            {
                why = "take back a volume Reconciler created and retained";
                fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
            }
            var format = spec.Format.ToString().ToLowerInvariant();
            if (current.Format is { } liveFormat && liveFormat != format)
            {
                r.Diagnostics.Add(Diagnostic.Error("immutable-field",
                    $"volume '{spec.Name}' in pool '{spec.Pool}' is {liveFormat}, not {format}; a volume's format cannot change in place",
                    spec.Meta.Origin.Find("spec.format"), "spec.format", $"write format: {liveFormat}, or give the spec another name for a new volume")
                    .About(ResourceKind.Volume, spec.Name, r.Node.Node));
                continue;
            }
            var want = StoragePlanner.RoundedSize(spec.SizeBytes, r.LivePools.GetValueOrDefault(spec.Pool)?.Type);
            var users = r.Kept.Where(d => StoragePlanner.Uses(d, spec.Pool, spec.Name, current.Path)).ToList();
            var running = users.Where(NodeResources.IsRunning).Select(d => d.Name).ToList();
            if (current.CapacityBytes > want)
            {
                r.Diagnostics.Add(Diagnostic.Error("shrink-refused",
                    $"volume '{spec.Name}' in pool '{spec.Pool}' on node '{r.Node.Node}' is {ByteSize.Format(current.CapacityBytes)}; shrinking it to {ByteSize.Format(spec.SizeBytes)} would destroy data and is refused",
                    spec.Meta.Origin.Find("spec.size"), "spec.size", $"write size: {ByteSize.Format(current.CapacityBytes)} (or more); to start over smaller, create a new volume")
                    .About(ResourceKind.Volume, spec.Name, r.Node.Node));
                continue;
            }
            if (current.CapacityBytes < want)
            {
                fields.Add(new FieldChange(VolumePaths.Size.Text, ByteSize.Format(current.CapacityBytes), ByteSize.Format(spec.SizeBytes),
                    running.Count > 0 ? Disruption.Live : Disruption.None));
            }
            if (record is not null && record.DeletionPolicy != spec.DeletionPolicy)
            {
                fields.Add(new FieldChange("spec.deletionPolicy", record.DeletionPolicy.ToString(), spec.DeletionPolicy.ToString(), Disruption.None));
            }
            if (record is { BaseImage: { } made } && spec.BaseImage is { } b && made != BaseImageKey(b) && !made.EndsWith(" " + (b.Sha256 ?? "?"), StringComparison.Ordinal))
            {
                r.Diagnostics.Add(Diagnostic.Warning("base-image-changed",
                    $"volume '{spec.Name}' was made from {made}; its baseImage now says {BaseImageKey(b)}, which only matters when a volume is created: the existing data is kept",
                    spec.Meta.Origin.Find("spec.baseImage"), "spec.baseImage", "to start from the new image, create a volume with another name")
                    .About(ResourceKind.Volume, spec.Name, r.Node.Node));
            }
            if (fields.Count == 0)
            {
                r.Unchanged.Add("volume/" + spec.Name);
                continue;
            }
            why ??= fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
            if (running.Count > 0 && fields.Any(f => new FieldPath(f.Path) == VolumePaths.Size))
            {
                why += $"; grown live in running domain(s) {string.Join(", ", running)}";
            }
            r.Changes.Add(new VolumeChange(r.Node.Node, spec.Name, ChangeAction.Update, why, fields, current.Fingerprint)
            {
                Pool = spec.Pool,
                Spec = spec,
                Adopt = adopt,
                Affected = running,
            });
        }

        // Volumes this source created whose spec is gone: Retain releases them, Delete deletes them.
        foreach (var (pool, name, record) in r.LedgerRecords())
        {
            if (record.Role != VolumeRole.Volume || record.Released || record.Source != r.Source) continue;
            if (r.VolumesByName.TryGetValue(name, out var still) && still.Pool == pool.Name) continue;
            if (r.State.MovingOut.Contains((r.Node.Node, pool.Name, name))) continue; // kept or deleted by the move, after it succeeded
            var current = pool.Volumes.FirstOrDefault(v => v.Name == name);
            if (record.DeletionPolicy == DeletionPolicy.Retain || current is null || !record.Complete && current is null)
            {
                var reason = current is null
                    ? "no longer in the specs and already gone from the node: forgotten"
                    : "no longer in the specs; deletionPolicy Retain: the volume and its data are kept, Reconciler stops managing it";
                r.Changes.Add(new VolumeChange(r.Node.Node, name, ChangeAction.Update, reason,
                    [new FieldChange("managed", "true", "false", Disruption.None)], current?.Fingerprint) { Pool = pool.Name, Spec = null, Release = true });
                continue;
            }
            var users = r.Kept.Where(d => StoragePlanner.Uses(d, pool.Name, name, current.Path)).Select(d => d.Name)
                .Concat(r.Resolved.Values.Where(d => d.Disks.Any(x => x.Volume == name && x.Pool == pool.Name)).Select(d => d.Name))
                .Distinct().ToList();
            if (users.Count > 0)
            {
                r.Diagnostics.Add(Diagnostic.Error("volume-in-use",
                    $"volume '{name}' in pool '{pool.Name}' on node '{r.Node.Node}' is no longer in the specs (deletionPolicy Delete) but is attached to domain(s) {string.Join(", ", users)}; it is not deleted",
                    hint: "detach it from those domains first (or put its Volume spec back)").About(ResourceKind.Volume, name, r.Node.Node));
                continue;
            }
            r.Changes.Add(new VolumeChange(r.Node.Node, name, ChangeAction.Destroy,
                "no longer in the specs; deletionPolicy Delete: the volume and its data are deleted", [], current.Fingerprint) { Pool = pool.Name, Spec = null });
        }
    }

    internal static string BaseImageKey(BaseImageSpec b) => b.Source + " " + (b.Sha256 ?? "?");
}
