using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// A change to a resource domains use — a storage pool, a volume, a cloud-init seed or a network.
/// Apply reads the object from the node again when the step runs, so a step never acts on stale
/// details (which DHCP hosts to add, how far to grow).
/// </summary>
/// <param name="Node">Node name.</param>
/// <param name="Name">The object's name.</param>
/// <param name="Action">What is done: Create, Start (pools), Update or Destroy.</param>
/// <param name="Reason">Why, in a few words.</param>
/// <param name="Fields">Field-level before → after.</param>
/// <param name="LiveUuid">The live object's UUID; null for create, volumes and seeds.</param>
/// <param name="LiveFingerprint">The live object's fingerprint at plan time; null for create.</param>
public abstract record StorageOrNetworkChange(string Node, string Name, ChangeAction Action, string Reason, IReadOnlyList<FieldChange> Fields,
    string? LiveUuid, string? LiveFingerprint)
    : ResourceChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <inheritdoc/>
    public override ChangeAction Action { get; } = Action;

    /// <summary>
    /// Take the object over although Reconciler did not create it, or another source did (--adopt):
    /// record it as owned; a seed's volume is overwritten.
    /// </summary>
    public bool Adopt { get; init; }
}

/// <summary>
/// A change to a storage pool: create (define, build, start, record ownership), start, update
/// (autostart, adoption) or destroy.
/// </summary>
public sealed record PoolChange(string Node, string Name, ChangeAction Action, string Reason, IReadOnlyList<FieldChange> Fields,
    string? LiveUuid, string? LiveFingerprint)
    : StorageOrNetworkChange(Node, Name, Action, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <summary>The desired pool; null for destroy.</summary>
    public required StoragePoolSpec? Spec { get; init; }

    /// <inheritdoc/>
    public override ResourceKind Kind => ResourceKind.StoragePool;
}

/// <summary>
/// A change to a volume of a Volume spec: create, update (grow, adopt, take back, redo a
/// half-written create, or release) or destroy.
/// </summary>
public sealed record VolumeChange(string Node, string Name, ChangeAction Action, string Reason, IReadOnlyList<FieldChange> Fields,
    string? LiveFingerprint)
    : StorageOrNetworkChange(Node, Name, Action, Reason, Fields, null, LiveFingerprint)
{
    /// <summary>The pool the volume is in.</summary>
    public required string Pool { get; init; }

    /// <summary>The desired volume; null for a release and a destroy.</summary>
    public required VolumeSpec? Spec { get; init; }

    /// <inheritdoc/>
    public override ResourceKind Kind => ResourceKind.Volume;

    /// <summary>Delete the half-written volume a previous create left, then create it.</summary>
    public bool Recreate { get; init; }

    /// <summary>Its spec was removed with deletionPolicy Retain: it is kept and no longer managed.</summary>
    public bool Release { get; init; }

    /// <summary>Running domains the change affects (a disk grown live).</summary>
    public IReadOnlyList<string> Affected { get; init; } = [];
}

/// <summary>
/// A change to the cloud-init seed volume of a domain: write it (create, or update when its content
/// changed or a previous write did not finish) or delete it once no domain needs it.
/// </summary>
public sealed record SeedChange(string Node, string Name, ChangeAction Action, string Reason, IReadOnlyList<FieldChange> Fields,
    string? LiveFingerprint)
    : StorageOrNetworkChange(Node, Name, Action, Reason, Fields, null, LiveFingerprint)
{
    /// <summary>The pool the seed is in.</summary>
    public required string Pool { get; init; }

    /// <summary>The domain it belongs to.</summary>
    public required string Domain { get; init; }

    /// <summary>The content to write (pool resolved); null for destroy.</summary>
    public required CloudInitSpec? CloudInit { get; init; }

    /// <inheritdoc/>
    public override ResourceKind Kind => ResourceKind.Volume;
}

/// <summary>
/// A change to a network: create, update (live where libvirt allows it, else destroy and define
/// again), adopt, start, or destroy.
/// </summary>
public sealed record NetworkChange(string Node, string Name, ChangeAction Action, string Reason, IReadOnlyList<FieldChange> Fields,
    string? LiveUuid, string? LiveFingerprint)
    : StorageOrNetworkChange(Node, Name, Action, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <summary>The desired network; null for destroy.</summary>
    public required NetworkSpec? Spec { get; init; }

    /// <inheritdoc/>
    public override ResourceKind Kind => ResourceKind.Network;

    /// <summary>Destroy and define the network again (a field that cannot change on a running network).</summary>
    public bool Recreate { get; init; }

    /// <summary>Running domains that lose connectivity when it is recreated.</summary>
    public IReadOnlyList<string> Affected { get; init; } = [];
}

/// <summary>
/// A Reconciler-owned volume that moves to another node with the domain that uses it (the Volume
/// spec's pool and the Domain's node changed together). Carried out by the domain's
/// <see cref="DomainMigrate"/> step: the volume is created empty in <see cref="ToPool"/> on
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
