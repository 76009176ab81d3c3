using Reconciler.Core.Model;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// The pool and network specs behind Golden/pools and Golden/networks: every pool type and network
/// mode (issue 19). Linked into the Engine tests, whose import property reads them too.
/// </summary>
public static class PoolNetworkCases
{
    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory());

    public static readonly IReadOnlyDictionary<string, StoragePoolSpec> Pools = new Dictionary<string, StoragePoolSpec>
    {
        ["dir"] = new(Meta("lab"), null, StoragePoolType.Dir, "/srv/pools/lab", true),
        ["logical"] = new(Meta("vg-vms"), null, StoragePoolType.Logical, "", true, new PoolSource(["/dev/sdb", "/dev/sdc"], "vg-vms"), Build: true),
        ["netfs"] = new(Meta("nfs-vms"), null, StoragePoolType.Netfs, "/var/lib/libvirt/nfs-vms", true, new PoolSource([], Host: "nfs1.lab", Export: "/exports/vms", Format: "nfs")),
        ["netfs-auto"] = new(Meta("share"), null, StoragePoolType.Netfs, "/mnt/share", false, new PoolSource([], Host: "192.0.2.7", Export: "/share")),
        ["rbd"] = new(Meta("ceph"), null, StoragePoolType.Rbd, "", true,
            new PoolSource([], "rbd", Hosts: ["ceph-mon1:6789", "ceph-mon2", "[2001:db8::6]:6789"], Auth: new PoolAuth("libvirt", "11111111-2222-3333-4444-555555555555"))),
        ["rbd-noauth"] = new(Meta("ceph2"), null, StoragePoolType.Rbd, "", true, new PoolSource([], "images", Hosts: ["192.0.2.10"])),
        ["iscsi"] = new(Meta("san"), null, StoragePoolType.Iscsi, "", true, new PoolSource([], Host: "san1.lab:3260", Iqn: "iqn.2004-04.com.example:storage.lun1")),
    };

    private static NetworkSpec Net(string name, NetworkMode mode, NetworkIpv4? ipv4 = null) =>
        new(Meta(name), null, mode, null, ipv4, [], true);

    private static readonly NetworkIpv4 V4 = new("198.51.100.1", 24, "198.51.100.100", "198.51.100.199", []);

    public static readonly IReadOnlyDictionary<string, NetworkSpec> Networks = new Dictionary<string, NetworkSpec>
    {
        ["route-full"] = Net("rt", NetworkMode.Route, V4) with
        {
            Bridge = "virbr-rt", Mtu = 9000, Domain = "lab.example", DnsForwarders = ["192.0.2.53", "2001:db8::53"],
            Ipv6 = new NetworkIpv6("2001:db8:ca2:2::1", 64, "2001:db8:ca2:2::100", "2001:db8:ca2:2::1ff"),
            DnsHosts = [new DnsHost("198.51.100.11", "web-1.lab.example")],
        },
        ["open-ipv6"] = Net("op", NetworkMode.Open) with { Ipv6 = new NetworkIpv6("fd00:1::1", 64, null, null) },
        ["nat-ipv6"] = Net("nat6", NetworkMode.Nat, V4) with { Ipv6 = new NetworkIpv6("fd00:2::1", 64, null, null), Mtu = 1400 },
        ["isolated-ipv6-only"] = Net("iso6", NetworkMode.Isolated) with { Ipv6 = new NetworkIpv6("fd00:3::1", 64, "fd00:3::10", "fd00:3::20") },
        ["hostdev"] = Net("sriov-eth0", NetworkMode.Hostdev) with { ForwardDev = "eth0" },
        ["direct-bridge"] = Net("mv", NetworkMode.Direct) with { ForwardDev = "eth1", DirectMode = "bridge" },
        ["direct-passthrough"] = Net("mvp", NetworkMode.Direct) with { ForwardDev = "eth2", DirectMode = "passthrough" },
    };
}
