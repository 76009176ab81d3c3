using Reconciler.Core.Diagnostics;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Recognises an owned domain whose spec now names another node: it is moved (migrated), never
/// created on the new node and destroyed on the old one. While a migration is in flight the same
/// domain is visible on both nodes; that is left alone, never taken for a duplicate to prune.
/// </summary>
internal sealed class Moves
{
    private readonly Dictionary<string, List<(string Node, LiveDomain Domain)>> owned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> wantedOn = new(StringComparer.Ordinal);

    /// <summary>Indexes the owned domains of every reachable node and the node each spec resolved to.</summary>
    private readonly StorageState storage;

    public Moves(SpecSet desired, IReadOnlyList<LiveNode> live, Dictionary<string, List<DomainSpec>> byNode, StorageState storage)
    {
        this.storage = storage;
        foreach (var (node, specs) in byNode)
        {
            foreach (var spec in specs) wantedOn[spec.Name] = node;
        }
        foreach (var node in live.Where(n => n.Error is null).OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            foreach (var d in node.Domains)
            {
                if (d.Owner?.Source != desired.Source || !d.Persistent) continue;
                if (!owned.TryGetValue(d.Name, out var list)) owned[d.Name] = list = [];
                list.Add((node.Node, d));
            }
        }
    }

    /// <summary>
    /// The move of <paramref name="spec"/> onto <paramref name="node"/> when it is not there but an
    /// owned domain of that name lives on another reachable node; null otherwise.
    /// </summary>
    public DomainMigrate? MoveTo(DomainSpec spec, string node)
    {
        if (!owned.TryGetValue(spec.Name, out var found)) return null;
        var (from, current) = found.FirstOrDefault(f => f.Node != node);
        if (from is null) return null;
        var running = current.RunState is LiveRunState.Running or LiveRunState.Paused;
        var disruption = running ? Disruption.Live : Disruption.None;
        var copy = (spec.Migration ?? MigrationPolicy.Default).Storage == MigrationStorage.Copy;
        var volumes = storage.VolumeMoves.GetValueOrDefault((node, spec.Name)) ?? [];
        var how = !running
            ? volumes.Count > 0
                ? "stopped: its volumes are copied to the target (downloaded from the source, uploaded to the target), then it is defined on the target and undefined on the source (other disks are not copied)"
                : "stopped: defined on the target, then undefined on the source (disks are not copied)"
            : copy ? "live migration copying the disks to the target (storage: copy; persistent on the target, undefined on the source, the source's disk files kept)"
            : "live migration (peer-to-peer, shared storage, persistent on the target, undefined on the source)";
        var fields = new List<FieldChange> { new("spec.node", from, node, disruption) };
        foreach (var v in volumes)
        {
            var after = v.SourcePolicy == DeletionPolicy.Delete
                ? "deleted on the source after the move succeeded (deletionPolicy Delete)"
                : "kept on the source, no longer managed (deletionPolicy Retain)";
            how += $"; volume {v.Name} ({v.Format}, {ByteSize.Format(v.CapacityBytes)}) moves from pool {v.FromPool} to pool {v.ToPool}: created there, "
                + (running ? "copied by the migration" : "copied before the domain is defined there") + ", the source copy " + after;
            fields.Add(new FieldChange($"volume {v.Name}", $"{v.FromPool} on {from}", $"{v.ToPool} on {node}", disruption));
        }
        var seedPool = storage.SourceSeeds.GetValueOrDefault((node, spec.Name));
        if (seedPool is not null) how += $"; its cloud-init seed on the source (pool {seedPool}) is deleted after the move (generated content; the target gets its own)";
        // A live migration carries the TPM state to the target; a cold move defines the domain anew there, with none.
        var kept = KeptState.Of(current, $" on {from}", tpmCarriedTo: running ? node : null);
        return new DomainMigrate(node, spec.Name, from, $"spec.node changed from {from}: {how}", fields,
            spec, current.Uuid, current.Fingerprint, volumes, seedPool)
        {
            Kept = kept is null || running ? kept : kept + $" (not copied to {node})",
            Migration = running ? "live, " + (spec.Migration ?? MigrationPolicy.Default).Describe() : "offline (stopped)",
        };
    }

    /// <summary>
    /// The move as it may go given the domain's snapshots (libvirt refuses to migrate a domain
    /// that has any, and to undefine one without removing their metadata): unchanged when none
    /// are known; with Reconciler's own listed for deletion when the spec allows it
    /// (<c>spec.migration.snapshots: delete</c>); otherwise null, with a plan error naming the
    /// snapshots that block it — a user's always do.
    /// </summary>
    public DomainMigrate? WithSnapshots(DomainMigrate move, List<Diagnostic> diagnostics)
    {
        var current = owned[move.Name].First(f => f.Node == move.FromNode).Domain;
        if (current.Snapshots is not { Count: > 0 } snapshots) return move;
        var theirs = snapshots.Where(n => !MigrationPolicy.IsOwnSnapshot(n)).ToList();
        var ours = snapshots.Where(MigrationPolicy.IsOwnSnapshot).ToList();
        var spec = move.Desired;
        var mayDelete = (spec.Migration ?? MigrationPolicy.Default).Snapshots == MigrationSnapshots.Delete;
        if (theirs.Count == 0 && mayDelete)
        {
            return move with
            {
                Snapshots = ours,
                Reason = move.Reason + $"; Reconciler's snapshot(s) {string.Join(", ", ours)} are deleted first (spec.migration.snapshots: delete)",
            };
        }
        var field = theirs.Count == 0 ? "spec.migration.snapshots" : DomainPaths.Node.Text;
        diagnostics.Add(Diagnostic.Error(Planner.SnapshotsBlockMoveCode,
            $"domain '{move.Name}' cannot move from node '{move.FromNode}' to '{move.Node}': libvirt refuses to migrate a domain with snapshots, and it has "
            + (theirs.Count > 0 ? $"snapshot(s) Reconciler did not make: {string.Join(", ", theirs)}" : $"Reconciler's snapshot(s) {string.Join(", ", ours)}"),
            spec.Meta.Origin.Find(field), field,
            theirs.Count > 0
                ? $"Reconciler never deletes a user's snapshots: delete them yourself (virsh snapshot-delete {move.Name} SNAPSHOT) or keep the domain on '{move.FromNode}'"
                : "set spec.migration.snapshots: delete to let Reconciler delete its own snapshots before the move, or keep the domain where it is")
            .About(ResourceKind.Domain, move.Name, move.FromNode));
        return null;
    }

    /// <summary>
    /// The prune of <paramref name="current"/> given its snapshots: with Reconciler's own listed for
    /// metadata removal; null, with a plan error naming them, while anyone else's remain.
    /// </summary>
    public static DomainDestroy? PruneWithSnapshots(DomainDestroy prune, LiveDomain current, List<Diagnostic> diagnostics)
    {
        if (current.Snapshots is not { Count: > 0 } snapshots) return prune;
        var theirs = snapshots.Where(n => !MigrationPolicy.IsOwnSnapshot(n)).ToList();
        if (theirs.Count == 0)
        {
            return prune with
            {
                Snapshots = snapshots,
                Reason = prune.Reason + $"; the metadata of Reconciler's snapshot(s) {string.Join(", ", snapshots)} is removed with it",
            };
        }
        diagnostics.Add(Diagnostic.Error(Planner.SnapshotsBlockPruneCode,
            $"domain '{current.Name}' on node '{prune.Node}' is no longer in the specs but has snapshot(s) Reconciler did not make: {string.Join(", ", theirs)}; it is not pruned",
            hint: $"Reconciler never deletes a user's snapshots: delete them yourself (virsh snapshot-delete {current.Name} SNAPSHOT), then plan again; or put its spec back")
            .About(ResourceKind.Domain, current.Name, prune.Node));
        return null;
    }

    /// <summary>
    /// True when <paramref name="current"/> on <paramref name="node"/> belongs to a spec placed on
    /// another node: it is being (or is to be) moved there and must not be pruned here. When it is
    /// visible on both nodes at once (a migration in flight, or one that half failed), a warning says so.
    /// </summary>
    public bool IsMoving(LiveDomain current, string node, List<Diagnostic> diagnostics)
    {
        if (!wantedOn.TryGetValue(current.Name, out var target) || target == node) return false;
        if (owned.TryGetValue(current.Name, out var found) && found.Any(f => f.Node == target))
        {
            diagnostics.Add(Diagnostic.Warning("move-in-progress",
                $"domain '{current.Name}' is on node '{node}' and on node '{target}' (its spec's node); a migration is in flight or did not finish, so it is left alone on '{node}'",
                hint: $"if no migration runs, check both copies (virsh dominfo {current.Name}) and undefine the stale one on '{node}' by hand")
                .About(ResourceKind.Domain, current.Name, node));
        }
        return true;
    }
}
