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

    private static IReadOnlyDictionary<string, StoragePoolSpec> Pools => PoolNetworkCases.Pools;

    private static IReadOnlyDictionary<string, NetworkSpec> Networks => PoolNetworkCases.Networks;

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
