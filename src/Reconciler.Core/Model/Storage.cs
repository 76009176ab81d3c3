namespace Reconciler.Core.Model;

/// <summary>The kind of storage pool.</summary>
public enum StoragePoolType
{
    /// <summary>A directory on the node (<c>&lt;pool type='dir'&gt;</c>).</summary>
    Dir,
    /// <summary>An LVM volume group (<c>&lt;pool type='logical'&gt;</c>); its volumes are logical volumes.</summary>
    Logical,
    /// <summary>A network file system mounted on the node (<c>&lt;pool type='netfs'&gt;</c>).</summary>
    Netfs,
    /// <summary>A Ceph RADOS block device pool (<c>&lt;pool type='rbd'&gt;</c>).</summary>
    Rbd,
    /// <summary>An iSCSI target's LUNs (<c>&lt;pool type='iscsi'&gt;</c>).</summary>
    Iscsi,
}

/// <summary>A storage pool Reconciler defines, builds, starts and keeps.</summary>
/// <param name="Meta">Metadata; the name is the libvirt pool name.</param>
/// <param name="Node">Node name, or null for the only/default node.</param>
/// <param name="Type">Pool type.</param>
/// <param name="Path">Absolute target path on the node (dir and netfs pools); empty for the other types.</param>
/// <param name="Autostart">Start the pool with the node.</param>
/// <param name="Source">Where a non-directory pool's storage is (devices, host, export…); null for a dir pool.</param>
/// <param name="Build">For a logical pool: build it (vgcreate on the devices) when it is created. Dir and netfs pools are always built (mkdir).</param>
public sealed record StoragePoolSpec(ResourceMeta Meta, string? Node, StoragePoolType Type, string Path, bool Autostart,
    PoolSource? Source = null, bool Build = false)
{
    /// <summary>The pool name.</summary>
    public string Name => Meta.Name;
}

/// <summary>Image format of a volume.</summary>
public enum VolumeFormat
{
    /// <summary>qcow2 (thin, supports backing files).</summary>
    Qcow2,
    /// <summary>raw.</summary>
    Raw,
}

/// <summary>What happens to a volume when its spec is removed (Kubernetes' reclaim policies).</summary>
public enum DeletionPolicy
{
    /// <summary>The volume and its data are kept; Reconciler stops managing it.</summary>
    Retain,
    /// <summary>The volume is deleted, if Reconciler created it and no domain uses it.</summary>
    Delete,
}

/// <summary>How a base image is used.</summary>
public enum BaseImageMode
{
    /// <summary>The volume starts as a full copy of the image (then grows to its size).</summary>
    Copy,
    /// <summary>The image is uploaded once per pool and the qcow2 volume uses it as its backing file.</summary>
    Backing,
}

/// <summary>Where a new volume's first content comes from.</summary>
/// <param name="Source">As written: an http(s) URL or a file path.</param>
/// <param name="LocalPath">For a file: its absolute path where Reconciler runs; null for a URL.</param>
/// <param name="Sha256">Expected SHA-256 of the image (lower-case hex), or null to skip the check.</param>
/// <param name="Mode">Copy or backing file.</param>
public sealed record BaseImageSpec(string Source, string? LocalPath, string? Sha256, BaseImageMode Mode)
{
    /// <summary>True when the source is an http(s) URL.</summary>
    public bool IsUrl => LocalPath is null;
}

/// <summary>A volume in a pool. Its libvirt name is <see cref="Name"/>.</summary>
/// <param name="Meta">Metadata.</param>
/// <param name="Node">Node name, or null: the pool's node (or the only node).</param>
/// <param name="Pool">The pool's name.</param>
/// <param name="SizeBytes">Capacity.</param>
/// <param name="Format">qcow2 or raw.</param>
/// <param name="BaseImage">Optional first content.</param>
/// <param name="DeletionPolicy">What happens when the spec is removed.</param>
public sealed record VolumeSpec(ResourceMeta Meta, string? Node, string Pool, ulong SizeBytes, VolumeFormat Format,
    BaseImageSpec? BaseImage, DeletionPolicy DeletionPolicy)
{
    /// <summary>The volume name.</summary>
    public string Name => Meta.Name;
}

/// <summary>How a virtual network reaches the outside.</summary>
public enum NetworkMode
{
    /// <summary>No forwarding: guests and host only.</summary>
    Isolated,
    /// <summary>NAT to the host's uplinks.</summary>
    Nat,
    /// <summary>An existing host bridge (no DHCP or DNS by libvirt).</summary>
    Bridge,
    /// <summary>Routed to the host's uplinks without NAT (<c>&lt;forward mode='route'/&gt;</c>).</summary>
    Route,
    /// <summary>Like route, but libvirt adds no firewall rules (<c>&lt;forward mode='open'/&gt;</c>).</summary>
    Open,
    /// <summary>A pool of SR-IOV virtual functions of one physical function (<c>&lt;forward mode='hostdev' managed='yes'&gt;&lt;pf dev/&gt;</c>).</summary>
    Hostdev,
    /// <summary>A pool of macvtap connections on a host interface (<c>&lt;forward mode='bridge|vepa|private|passthrough'&gt;&lt;interface dev/&gt;</c>).</summary>
    Direct,
}

/// <summary>The IPv6 side of a network.</summary>
/// <param name="Address">The host's IPv6 address on the network.</param>
/// <param name="Prefix">Prefix length.</param>
/// <param name="DhcpStart">First address of the DHCPv6 range, or null for none (then router advertisements only).</param>
/// <param name="DhcpEnd">Last address of the DHCPv6 range.</param>
public sealed record NetworkIpv6(string Address, int Prefix, string? DhcpStart, string? DhcpEnd);

/// <summary>A static DHCP lease.</summary>
/// <param name="Mac">Client MAC, lower case.</param>
/// <param name="Ip">The address it gets.</param>
/// <param name="Name">Host name handed out (and resolvable through the network's DNS), or null.</param>
public sealed record DhcpHost(string Mac, string Ip, string? Name);

/// <summary>A DNS host entry served by the network's dnsmasq.</summary>
/// <param name="Ip">Address.</param>
/// <param name="Hostname">Name that resolves to it.</param>
public sealed record DnsHost(string Ip, string Hostname);

/// <summary>The IPv4 side of a network.</summary>
/// <param name="Address">The host's address on the network (the guests' gateway).</param>
/// <param name="Prefix">Prefix length (8..30).</param>
/// <param name="DhcpStart">First address of the DHCP range, or null for no DHCP range.</param>
/// <param name="DhcpEnd">Last address of the DHCP range.</param>
/// <param name="Hosts">Static DHCP leases.</param>
public sealed record NetworkIpv4(string Address, int Prefix, string? DhcpStart, string? DhcpEnd, IReadOnlyList<DhcpHost> Hosts);

/// <summary>A libvirt virtual network.</summary>
/// <param name="Meta">Metadata; the name is the libvirt network name.</param>
/// <param name="Node">Node name, or null for the only/default node.</param>
/// <param name="Mode">isolated, nat or bridge.</param>
/// <param name="Bridge">Bridge device: for bridge mode the existing host bridge; otherwise the one libvirt creates (null: libvirt picks virbrN).</param>
/// <param name="Ipv4">Address, DHCP range and static leases; null for none (required for isolated and nat).</param>
/// <param name="DnsHosts">DNS host entries.</param>
/// <param name="Autostart">Start with the node.</param>
/// <param name="Ipv6">IPv6 address, prefix and DHCPv6 range; null for none.</param>
/// <param name="ForwardDev">hostdev: the SR-IOV physical function; direct: the host interface of the macvtap connections; else null.</param>
/// <param name="DirectMode">direct: the macvtap mode (bridge, vepa, private, passthrough); else null.</param>
/// <param name="Mtu">The MTU of the bridge libvirt creates, or null for libvirt's default.</param>
/// <param name="Domain">The DNS domain of the network (guests' names resolve under it), or null.</param>
/// <param name="DnsForwarders">Upstream DNS servers the network's dnsmasq asks, or null/empty for the host's.</param>
public sealed record NetworkSpec(ResourceMeta Meta, string? Node, NetworkMode Mode, string? Bridge, NetworkIpv4? Ipv4,
    IReadOnlyList<DnsHost> DnsHosts, bool Autostart, NetworkIpv6? Ipv6 = null, string? ForwardDev = null, string? DirectMode = null,
    int? Mtu = null, string? Domain = null, IReadOnlyList<string>? DnsForwarders = null)
{
    /// <summary>True for the modes libvirt builds no bridge, addresses or DNS for (hostdev, direct, and bridge: an existing one).</summary>
    public bool IsPassThrough => Mode is NetworkMode.Hostdev or NetworkMode.Direct or NetworkMode.Bridge;

    /// <summary>The upstream DNS servers, never null.</summary>
    public IReadOnlyList<string> Forwarders => DnsForwarders ?? [];

    /// <summary>The network name.</summary>
    public string Name => Meta.Name;
}

/// <summary>
/// A domain's cloud-init NoCloud seed: the final file contents, rendered as an ISO (label
/// <c>cidata</c>) stored as volume <see cref="SeedVolume"/> in <see cref="Pool"/> and attached as a cdrom.
/// </summary>
/// <param name="UserData">The <c>user-data</c> file.</param>
/// <param name="MetaData">The <c>meta-data</c> file, with <c>instance-id</c> and <c>local-hostname</c>.</param>
/// <param name="NetworkConfig">The <c>network-config</c> file, or null for none.</param>
/// <param name="InstanceId">The instance-id written into meta-data (cloud-init reruns only when it changes).</param>
/// <param name="Pool">The pool of the seed volume; null until resolved (the pool of the first volume disk).</param>
/// <param name="SeedVolume">The seed volume's name.</param>
public sealed record CloudInitSpec(string UserData, string MetaData, string? NetworkConfig, string InstanceId, string? Pool, string SeedVolume)
{
    /// <summary>The seed volume name for a domain: <c>NAME-cidata.iso</c>.</summary>
    public static string SeedVolumeName(string domain) => domain + "-cidata.iso";

    /// <summary>
    /// The version of the seed image's layout (Reconciler.Rendering's CloudInitSeed writes it). It is
    /// part of <see cref="ContentHash"/>, so a seed the ledger records with an older version's hash is
    /// rewritten once, as an update with no disruption (the files are the same). Bump it with every
    /// change to the image bytes for the same files.
    /// 1: unpadded (its hash holds no version); 2: 150 zero sectors after the data.
    /// </summary>
    public const int SeedFormat = 2;

    /// <summary>
    /// A digest of the three files (what the guest sees) and the image layout
    /// (<see cref="SeedFormat"/>), <c>sha256:</c> + 16 hex digits; the ledger records it per seed.
    /// </summary>
    public string ContentHash => ContentHashAt(SeedFormat);

    /// <summary>
    /// <see cref="ContentHash"/> as the image layout <paramref name="format"/> (1 to
    /// <see cref="SeedFormat"/>) computed it: what a seed with these files, written then, is recorded with.
    /// </summary>
    public string ContentHashAt(int format)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(format, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(format, SeedFormat);
        var text = $"user-data\n{UserData.Length}\n{UserData}\nmeta-data\n{MetaData.Length}\n{MetaData}\nnetwork-config\n{NetworkConfig?.Length ?? -1}\n{NetworkConfig}";
        if (format > 1) text = $"seed-format\n{format}\n" + text;
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>
    /// True when <paramref name="recorded"/> (a ledger's hash) is this seed's files in an older image
    /// layout: only the layout changed, and rewriting it changes nothing the guest reads.
    /// </summary>
    public bool IsOlderFormatOf(string? recorded)
    {
        for (var format = 1; format < SeedFormat; format++)
        {
            if (recorded == ContentHashAt(format)) return true;
        }
        return false;
    }
}
