using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// What apply needs for a change to a pool, a volume (or cloud-init seed) or a network. The exact
/// libvirt calls (which DHCP hosts to add, how far to grow) are worked out again from the live
/// state when the step runs, so a step never acts on stale details.
/// </summary>
/// <param name="Pool">The pool of a volume or seed; for a pool change, its name.</param>
/// <param name="PoolSpec">The desired pool (create/update).</param>
/// <param name="Volume">The desired volume (create/update).</param>
/// <param name="Network">The desired network (create/update).</param>
/// <param name="Seed">The desired cloud-init seed (create/update).</param>
/// <param name="Recreate">Network: destroy and define again. Volume or seed: delete the half-written one, then create.</param>
/// <param name="Release">Volume: its spec was removed with Retain; it is kept and no longer managed.</param>
/// <param name="Adopt">Record a volume or pool that Reconciler did not create as owned (--adopt).</param>
/// <param name="Affected">Running domains the change affects (connectivity lost, disk grown).</param>
public sealed record StorageChange(
    string? Pool = null,
    StoragePoolSpec? PoolSpec = null,
    VolumeSpec? Volume = null,
    NetworkSpec? Network = null,
    SeedChange? Seed = null,
    bool Recreate = false,
    bool Release = false,
    bool Adopt = false,
    IReadOnlyList<string>? Affected = null);

/// <summary>A cloud-init seed to write.</summary>
/// <param name="Domain">The domain it belongs to.</param>
/// <param name="CloudInit">Its content (pool resolved).</param>
public sealed record SeedChange(string Domain, CloudInitSpec CloudInit);

/// <summary>
/// A Reconciler-owned volume that moves to another node with the domain that uses it (the Volume
/// spec's pool and the Domain's node changed together). Carried out by the domain's
/// <see cref="ChangeAction.Migrate"/> step: the volume is created empty in <see cref="ToPool"/> on
/// the target (same format and capacity), filled by the migration (a live one copies it with
/// VIR_MIGRATE_NON_SHARED_DISK; a stopped domain's is downloaded and uploaded), recorded as owned in
/// the target pool's ledger, and the source copy in <see cref="FromPool"/> is then kept (released)
/// or, with deletionPolicy Delete, deleted — only after the move succeeded.
/// </summary>
/// <param name="Name">The volume name (the same on both nodes).</param>
/// <param name="FromPool">Its pool on the source node.</param>
/// <param name="ToPool">Its pool on the target node (the Volume spec's pool).</param>
/// <param name="Format">Its format on the source (qcow2 or raw), which the target copy gets.</param>
/// <param name="CapacityBytes">Its capacity on the source, which the target copy gets.</param>
/// <param name="SourcePolicy">What happens to the source copy after a successful move: Retain keeps it (no longer managed), Delete deletes it.</param>
/// <param name="Spec">The Volume spec (recorded in the target's ledger).</param>
public sealed record VolumeMove(string Name, string FromPool, string ToPool, string Format, ulong CapacityBytes, DeletionPolicy SourcePolicy, VolumeSpec Spec);
