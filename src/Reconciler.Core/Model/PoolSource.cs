namespace Reconciler.Core.Model;

/// <summary>
/// The source of a pool that is not a plain directory, as written in the spec. Which members are
/// set depends on <see cref="StoragePoolSpec.Type"/>: logical uses <see cref="Devices"/> and
/// <see cref="Name"/> (the volume group); netfs <see cref="Host"/>, <see cref="Export"/> and
/// <see cref="Format"/>; rbd <see cref="Hosts"/>, <see cref="Name"/> (the Ceph pool) and
/// <see cref="Auth"/>; iscsi <see cref="Host"/> and <see cref="Iqn"/>. Unused members are empty/null.
/// </summary>
/// <param name="Devices">Block devices (physical volumes) of a logical pool, as absolute paths.</param>
/// <param name="Name">The volume group (logical) or Ceph pool (rbd) name.</param>
/// <param name="Host">The NFS server (netfs) or iSCSI portal host (iscsi), optionally <c>host:port</c> for iscsi.</param>
/// <param name="Export">The exported directory (netfs).</param>
/// <param name="Format">The file system of a netfs pool: auto, nfs, glusterfs or cifs; null: auto.</param>
/// <param name="Hosts">Ceph monitors (rbd), each <c>host</c> or <c>host:port</c>.</param>
/// <param name="Auth">Ceph authentication (rbd), or null.</param>
/// <param name="Iqn">The iSCSI target's IQN (iscsi).</param>
public sealed record PoolSource(
    IReadOnlyList<string> Devices,
    string? Name = null,
    string? Host = null,
    string? Export = null,
    string? Format = null,
    IReadOnlyList<string>? Hosts = null,
    PoolAuth? Auth = null,
    string? Iqn = null)
{
    /// <summary>Splits <c>host:port</c>; <c>[v6]:port</c> and a bare host (also a bare IPv6 address) work too.</summary>
    public static (string Host, string? Port) SplitHostPort(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close > 0) return (text[1..close], close + 2 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : null);
        }
        var colon = text.LastIndexOf(':');
        return colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon ? (text[..colon], text[(colon + 1)..]) : (text, null);
    }

    /// <summary>The monitors, never null.</summary>
    public IReadOnlyList<string> MonitorHosts => Hosts ?? [];

    /// <summary>A canonical one-line text of the source, what the planner compares (an unset format is auto).</summary>
    public string Canonical(StoragePoolType type) => type switch
    {
        StoragePoolType.Logical => $"vg={Name} devices={string.Join(",", Devices)}",
        StoragePoolType.Netfs => $"{Host}:{Export} format={Format ?? "auto"}",
        StoragePoolType.Rbd => $"{Name}@{string.Join(",", MonitorHosts)} auth={Auth?.Username}/{Auth?.SecretUuid}",
        StoragePoolType.Iscsi => $"{Host} {Iqn}",
        _ => "",
    };
}

/// <summary>Ceph (cephx) authentication of an rbd pool: the user and the libvirt secret holding its key.</summary>
/// <param name="Username">The Ceph user (without <c>client.</c>).</param>
/// <param name="SecretUuid">The UUID of the libvirt secret (usage ceph) with the key.</param>
public sealed record PoolAuth(string Username, string SecretUuid);

/// <summary>Where Reconciler records the ownership of a pool and of the volumes it made in it (point 5 of issue 19; specs/storage.md).</summary>
public enum LedgerPlace
{
    /// <summary>A small volume <see cref="StorageLedger.VolumeName"/> inside the pool (dir and netfs: a file in its directory).</summary>
    InPool,
    /// <summary>A libvirt secret on the node named after the pool (logical, rbd, iscsi: their volumes are not files, or not Reconciler's).</summary>
    NodeSecret,
}

/// <summary>Per pool type: where its ledger lives and whether Reconciler creates volumes in it.</summary>
public static class PoolTypes
{
    /// <summary>The libvirt spelling of a pool type.</summary>
    public static string Xml(StoragePoolType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses libvirt's spelling; null for a type Reconciler does not manage.</summary>
    public static StoragePoolType? Parse(string? text) => text switch
    {
        "dir" => StoragePoolType.Dir,
        "logical" => StoragePoolType.Logical,
        "netfs" => StoragePoolType.Netfs,
        "rbd" => StoragePoolType.Rbd,
        "iscsi" => StoragePoolType.Iscsi,
        _ => null,
    };

    /// <summary>
    /// Where the ledger of a pool of this type lives. A directory (dir, netfs) holds it as a file
    /// volume. A logical pool's volumes are LVs (an LV ledger would take a whole extent and needs
    /// device-mapper to be written), an rbd pool's are Ceph images and libvirt cannot create iSCSI
    /// LUNs at all: their ledger is a libvirt secret on the node (<see cref="SecretUsage"/>).
    /// </summary>
    public static LedgerPlace LedgerOf(StoragePoolType type) => type is StoragePoolType.Dir or StoragePoolType.Netfs ? LedgerPlace.InPool : LedgerPlace.NodeSecret;

    /// <summary>Whether Reconciler creates Volume specs in a pool of this type (not iSCSI: its LUNs come from the target).</summary>
    public static bool HoldsVolumes(StoragePoolType type) => type != StoragePoolType.Iscsi;

    /// <summary>Whether a volume in a pool of this type can be qcow2 (dir and netfs: files; logical and rbd hold raw data).</summary>
    public static bool HoldsQcow2(StoragePoolType type) => type is StoragePoolType.Dir or StoragePoolType.Netfs;

    /// <summary>The description of the node secret that holds a pool's ledger; the secret is found by it.</summary>
    public static string SecretUsage(string pool) => "reconciler-ledger:" + pool;
}
