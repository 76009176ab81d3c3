using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// Every pool type and network mode of issue 19 against reviewed files in Golden/pools and
/// Golden/networks (<c>RECONCILER_UPDATE_GOLDEN=1</c> rewrites them), each valid by libvirt's own
/// schema (virt-xml-validate storagepool / network) — including the forms that cannot run on this
/// machine (rbd, iscsi, netfs, hostdev) — and each read back into the model it was rendered from.
/// </summary>
public sealed class PoolNetworkGoldenTests
{
    private static readonly OwnerRecord Owner = new("lab", "sha256:x", "/specs", "rev", false);
    private static bool Update => Environment.GetEnvironmentVariable("RECONCILER_UPDATE_GOLDEN") == "1";

    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory());

    public static readonly Dictionary<string, StoragePoolSpec> Pools = new()
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

    public static readonly Dictionary<string, NetworkSpec> Networks = new()
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

    public static TheoryData<string> PoolCases() => new(Pools.Keys);

    public static TheoryData<string> NetworkCases() => new(Networks.Keys);

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool_xml_matches_its_golden_file_validates_and_reads_back(string name)
    {
        var spec = Pools[name];
        var xml = StorageXml.Pool(spec);
        Golden("pools", name, xml, "storagepool");
        var (type, path) = StorageXml.ParsePool(xml);
        Assert.Equal(PoolTypes.Xml(spec.Type), type);
        if (spec.Type is StoragePoolType.Dir or StoragePoolType.Netfs) Assert.Equal(spec.Path, path);
        var source = StorageXml.ParsePoolSource(xml);
        if (spec.Source is null)
        {
            Assert.Null(source);
        }
        else
        {
            Assert.Equal(spec.Source.Canonical(spec.Type), source!.Canonical(spec.Type));
        }
    }

    [Theory]
    [MemberData(nameof(NetworkCases))]
    public void Network_xml_matches_its_golden_file_validates_and_reads_back_without_a_diff(string name)
    {
        var spec = Networks[name];
        var xml = NetworkXml.Render(spec, Owner);
        Golden("networks", name, xml, "network");
        var parsed = NetworkXml.Parse(xml);
        Assert.Equal(spec.Mode, parsed.Spec.Mode);
        Assert.Empty(NetworkFields.Diff(spec, parsed.Spec));
    }

    [Fact]
    public void What_libvirt_writes_back_for_a_macvtap_and_an_sriov_network_reads_as_direct_and_hostdev()
    {
        // As virsh net-dumpxml --inactive shows them (libvirt adds the forward dev attribute).
        var direct = NetworkXml.Parse("<network><name>mv</name><forward dev='eth1' mode='vepa'><interface dev='eth1'/></forward></network>").Spec;
        Assert.Equal((NetworkMode.Direct, "eth1", "vepa"), (direct.Mode, direct.ForwardDev, direct.DirectMode));
        var sriov = NetworkXml.Parse("<network><name>s</name><forward mode='hostdev' managed='yes'><pf dev='eth0'/></forward></network>").Spec;
        Assert.Equal((NetworkMode.Hostdev, "eth0"), (sriov.Mode, sriov.ForwardDev));
        var bridge = NetworkXml.Parse("<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>").Spec;
        Assert.Equal(NetworkMode.Bridge, bridge.Mode);
        // A changed macvtap mode is a field that needs the network recreated.
        var diff = Assert.Single(NetworkFields.Diff(Networks["direct-bridge"] with { DirectMode = "private" }, NetworkXml.Parse(NetworkXml.Render(Networks["direct-bridge"], Owner)).Spec));
        Assert.Equal(("spec.directMode", false), (diff.Field.Path, diff.Field.Live));
    }

    [Fact]
    public void A_logical_volume_is_allocated_in_full()
    {
        var xml = StorageXml.Volume("lv1", 16UL << 20, "raw", allocated: true);
        Assert.Equal("16777216", System.Xml.Linq.XDocument.Parse(xml).Root!.Element("allocation")!.Value);
        Assert.Equal(16UL << 20, StoragePlanner.RoundedSize(13UL << 20, "logical"));
        Assert.Equal(13UL << 20, StoragePlanner.RoundedSize(13UL << 20, "dir"));
    }

    [Fact]
    public void Every_pool_and_network_golden_file_belongs_to_a_case()
    {
        foreach (var (dir, names) in new[] { ("pools", Pools.Keys.ToHashSet()), ("networks", Networks.Keys.ToHashSet()) })
        {
            var folder = Path.Combine(Tools.SourceDir(), "Golden", dir);
            var stale = Directory.GetFiles(folder, "*.xml").Select(Path.GetFileNameWithoutExtension).Where(n => !names.Contains(n!)).ToList();
            Assert.True(stale.Count == 0, $"golden files in {dir} without a case (delete them): {string.Join(", ", stale)}");
        }
    }

    private static void Golden(string dir, string name, string xml, string schema)
    {
        var folder = Path.Combine(Tools.SourceDir(), "Golden", dir);
        var path = Path.Combine(folder, name + ".xml");
        if (Update)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(path, xml);
        }
        Assert.True(File.Exists(path), $"missing golden file {path}; run with RECONCILER_UPDATE_GOLDEN=1 and review it");
        var expected = File.ReadAllText(path);
        Assert.True(expected == xml, $"{dir}/{name}: rendered XML differs from {path}:\n{GoldenTests.LineDiff(expected, xml)}");
        var check = Tools.Run("virt-xml-validate", path, schema);
        Assert.True(check.Ok, $"virt-xml-validate {schema} rejected {path}:\n{check}\n{xml}");
    }
}
