namespace Reconciler.Core.Model;

/// <summary>Why Reconciler keeps a volume record.</summary>
public enum VolumeRole
{
    /// <summary>A volume from a Volume spec.</summary>
    Volume,
    /// <summary>A cloud-init seed generated for a domain (no user data: always regenerated).</summary>
    Seed,
    /// <summary>A base image uploaded as the shared backing file of qcow2 volumes (kept while anything may use it).</summary>
    Base,
}

/// <summary>
/// What Reconciler remembers about one volume it created (pools and volumes have no
/// <c>&lt;metadata&gt;</c> in libvirt, so this lives in the pool's ledger; see specs/storage.md).
/// </summary>
/// <param name="Role">Volume, seed or base image.</param>
/// <param name="SpecName">The spec (or, for a seed, the domain) it belongs to.</param>
/// <param name="Source">The spec source that created it.</param>
/// <param name="Revision">The source revision last applied to it.</param>
/// <param name="DeletionPolicy">The policy the spec had at the last apply (what a removal obeys).</param>
/// <param name="Complete">False while it is being created and filled: a record left false means a half-written volume.</param>
/// <param name="Released">True when its spec was removed with Retain: kept, no longer managed; a spec with its name takes it back.</param>
/// <param name="BaseImage">The base image it was made from (source and sha256), or null.</param>
/// <param name="ContentHash">For a seed: <see cref="CloudInitSpec.ContentHash"/> of what it holds.</param>
/// <param name="InstanceId">For a seed: the instance-id it holds.</param>
public sealed record VolumeRecord(
    VolumeRole Role,
    string SpecName,
    string Source,
    string Revision,
    DeletionPolicy DeletionPolicy,
    bool Complete,
    bool Released = false,
    string? BaseImage = null,
    string? ContentHash = null,
    string? InstanceId = null);

/// <summary>
/// The ledger Reconciler keeps in every pool it created or put volumes into: who owns the pool, and
/// a record per volume it created.
/// </summary>
/// <param name="Pool">The pool's owner when Reconciler created it; null for a pool it only uses.</param>
/// <param name="Volumes">Records by volume name.</param>
public sealed record StorageLedger(OwnerRecord? Pool, IReadOnlyDictionary<string, VolumeRecord> Volumes)
{
    /// <summary>Version of the ledger format.</summary>
    public const int FormatVersion = 1;

    /// <summary>The libvirt volume name of the ledger in a pool.</summary>
    public const string VolumeName = "reconciler-ledger.json";

    /// <summary>An empty ledger.</summary>
    public static StorageLedger Empty { get; } = new(null, new Dictionary<string, VolumeRecord>());
}

/// <summary>One volume as read from a pool.</summary>
/// <param name="Name">Volume name.</param>
/// <param name="Path">Path on the node.</param>
/// <param name="CapacityBytes">Capacity.</param>
/// <param name="Format">Format as libvirt reports it (qcow2, raw, iso, …), or null.</param>
/// <param name="BackingPath">The backing file, if any.</param>
public sealed record LiveVolume(string Name, string Path, ulong CapacityBytes, string? Format, string? BackingPath)
{
    /// <summary>What a saved plan depends on.</summary>
    public string Fingerprint => $"{Path}|{CapacityBytes}|{Format}|{BackingPath}";
}

/// <summary>One storage pool as read from a node.</summary>
/// <param name="Name">Pool name.</param>
/// <param name="Uuid">UUID.</param>
/// <param name="Active">Running.</param>
/// <param name="Autostart">Autostart flag.</param>
/// <param name="Persistent">Has a persistent definition.</param>
/// <param name="Type">Pool type as libvirt writes it (dir, logical, …).</param>
/// <param name="Path">Target path, if any.</param>
/// <param name="Volumes">Volumes (empty when inactive), the ledger volume excluded.</param>
/// <param name="Ledger">Reconciler's ledger in the pool, or null when there is none or it could not be read.</param>
/// <param name="LedgerError">Why the ledger could not be read (inactive pool, corrupt), else null.</param>
/// <param name="Fingerprint">A digest of the definition, state, autostart and ledger.</param>
/// <param name="Source">The pool's source read back into the model (logical, netfs, rbd, iscsi), or null (dir, unknown types).</param>
public sealed record LivePool(
    string Name,
    string Uuid,
    bool Active,
    bool Autostart,
    bool Persistent,
    string Type,
    string? Path,
    IReadOnlyList<LiveVolume> Volumes,
    StorageLedger? Ledger,
    string? LedgerError,
    string Fingerprint,
    PoolSource? Source = null)
{
    /// <summary>True when Reconciler created the pool (per its ledger).</summary>
    public bool Owned => Ledger?.Pool is not null;
}

/// <summary>One network as read from a node.</summary>
/// <param name="Name">Network name.</param>
/// <param name="Uuid">UUID.</param>
/// <param name="Active">Running.</param>
/// <param name="Autostart">Autostart flag.</param>
/// <param name="Persistent">Has a persistent definition.</param>
/// <param name="Owner">Our metadata, or null for a foreign network.</param>
/// <param name="Config">The persistent definition parsed into the model, or null when it could not be.</param>
/// <param name="Fingerprint">A digest of the inactive XML, state and autostart.</param>
public sealed record LiveNetwork(
    string Name,
    string Uuid,
    bool Active,
    bool Autostart,
    bool Persistent,
    OwnerRecord? Owner,
    NetworkSpec? Config,
    string Fingerprint);
