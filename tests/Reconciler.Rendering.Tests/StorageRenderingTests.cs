using Reconciler.Core.Model;

namespace Reconciler.Rendering.Tests;

/// <summary>Seed ISO, network, pool and volume XML: checked with independent tools (isoinfo, blkid, virt-xml-validate).</summary>
public sealed class StorageRenderingTests
{
    private static readonly OwnerRecord Owner = new("lab", "sha256:x", "/specs", "rev", false);

    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory());

    private static NetworkSpec Network(NetworkMode mode = NetworkMode.Nat) => new(Meta("lab"), null, mode, mode == NetworkMode.Bridge ? "br0" : "virbr-lab",
        mode == NetworkMode.Bridge ? null : new NetworkIpv4("198.51.100.1", 24, "198.51.100.100", "198.51.100.199",
            [new DhcpHost("52:54:00:00:00:11", "198.51.100.11", "web-1"), new DhcpHost("52:54:00:00:00:12", "198.51.100.12", null)]),
        mode == NetworkMode.Bridge ? [] : [new DnsHost("198.51.100.11", "web-1.lab"), new DnsHost("198.51.100.11", "www.lab")], true);

    [Fact]
    public void The_seed_is_an_iso_labelled_cidata_whose_joliet_files_hold_the_content()
    {
        var spec = new CloudInitSpec("#cloud-config\npackages: [nginx]\n", "instance-id: \"web-1\"\nlocal-hostname: \"web-1\"\n",
            "version: 2\n", "web-1", "lab", "web-1-cidata.iso");
        var iso = CloudInitSeed.Build(spec);
        Assert.Equal(iso, CloudInitSeed.Build(spec)); // reproducible: no timestamps
        var path = Path.Combine(Path.GetTempPath(), $"seed-{Guid.NewGuid():N}.iso");
        File.WriteAllBytes(path, iso);
        try
        {
            var info = Tools.Run("isoinfo", "-d", "-i", path);
            Assert.True(info.Ok, info.ToString());
            Assert.Contains("Volume id: cidata", info.Stdout);
            Assert.Contains("Joliet", info.Stdout);
            var list = Tools.Run("isoinfo", "-J", "-l", "-i", path);
            Assert.Contains("user-data", list.Stdout);
            Assert.Contains("meta-data", list.Stdout);
            Assert.Contains("network-config", list.Stdout);
            Assert.Equal(spec.UserData, Tools.Run("isoinfo", "-J", "-x", "/user-data", "-i", path).Stdout);
            Assert.Equal(spec.MetaData, Tools.Run("isoinfo", "-J", "-x", "/meta-data", "-i", path).Stdout);
            Assert.Equal(spec.NetworkConfig, Tools.Run("isoinfo", "-J", "-x", "/network-config", "-i", path).Stdout);
            var blkid = Tools.Run("blkid", "-p", "-o", "export", path);
            Assert.Contains("LABEL=cidata", blkid.Stdout);
            Assert.Contains("TYPE=iso9660", blkid.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_empty_user_data_and_a_large_file_still_make_a_valid_image()
    {
        var big = new string('x', 5000) + "\n";
        var iso = CloudInitSeed.Build(new CloudInitSpec("", big, null, "i", null, "s"));
        var path = Path.Combine(Path.GetTempPath(), $"seed-{Guid.NewGuid():N}.iso");
        File.WriteAllBytes(path, iso);
        try
        {
            Assert.Equal(big, Tools.Run("isoinfo", "-J", "-x", "/meta-data", "-i", path).Stdout);
            Assert.Equal("", Tools.Run("isoinfo", "-J", "-x", "/user-data", "-i", path).Stdout);
            Assert.DoesNotContain("network-config", Tools.Run("isoinfo", "-J", "-l", "-i", path).Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(NetworkMode.Nat)]
    [InlineData(NetworkMode.Isolated)]
    [InlineData(NetworkMode.Bridge)]
    public void Network_xml_validates_and_reads_back_as_the_spec(NetworkMode mode)
    {
        var spec = Network(mode);
        var xml = NetworkXml.Render(spec, Owner);
        var file = Path.Combine(Path.GetTempPath(), $"net-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, xml);
        try
        {
            var check = Tools.Run("virt-xml-validate", file, "network");
            Assert.True(check.Ok, check + xml);
        }
        finally
        {
            File.Delete(file);
        }
        var parsed = NetworkXml.Parse(xml);
        Assert.Equal("/specs", parsed.Owner!.Source);
        Assert.Empty(Core.Planning.NetworkFields.Diff(spec, parsed.Spec));
    }

    [Fact]
    public void A_libvirt_network_with_netmask_parses_to_a_prefix_and_changes_are_classified()
    {
        var parsed = NetworkXml.Parse("""
            <network><name>lab</name><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
            <bridge name='virbr0' stp='on' delay='0'/><mac address='52:54:00:b2:77:ba'/>
            <ip address='198.51.100.1' netmask='255.255.255.0'><dhcp><range start='198.51.100.100' end='198.51.100.199'/>
            <host mac='52:54:00:00:00:11' name='web-1' ip='198.51.100.11'/></dhcp></ip></network>
            """);
        Assert.Equal((NetworkMode.Nat, 24, "virbr0"), (parsed.Spec.Mode, parsed.Spec.Ipv4!.Prefix, parsed.Bridge));
        var desired = Network() with { Bridge = null };
        var diff = Core.Planning.NetworkFields.Diff(desired, parsed.Spec).ToDictionary(d => d.Field.Path);
        Assert.True(diff["spec.ipv4.dhcp.hosts[52:54:00:00:00:12]"].Field.Live);
        Assert.True(diff["spec.dnsHosts[198.51.100.11]"].Field.Live);
        Assert.DoesNotContain("spec.bridge", diff.Keys);
        var moved = desired with { Ipv4 = desired.Ipv4! with { Address = "198.51.100.2" } };
        Assert.False(Core.Planning.NetworkFields.Diff(moved, parsed.Spec).Single(d => d.Field.Path == "spec.ipv4.address").Field.Live);
    }

    [Fact]
    public void Pool_and_volume_xml_validate()
    {
        var pool = StorageXml.Pool(new StoragePoolSpec(Meta("lab"), null, StoragePoolType.Dir, "/srv/pools/lab/", true));
        var volume = StorageXml.Volume("root", 1UL << 30, "qcow2", "/srv/pools/lab/base-0123456789abcdef.qcow2", "qcow2");
        foreach (var (xml, kind) in new[] { (pool, "storagepool"), (volume, "storagevol") })
        {
            var file = Path.Combine(Path.GetTempPath(), $"{kind}-{Guid.NewGuid():N}.xml");
            File.WriteAllText(file, xml);
            try
            {
                var check = Tools.Run("virt-xml-validate", file, kind);
                Assert.True(check.Ok, check + xml);
            }
            finally
            {
                File.Delete(file);
            }
        }
        Assert.Equal(("dir", "/srv/pools/lab"), StorageXml.ParsePool(pool));
        Assert.Equal((1UL << 30, "qcow2", "/srv/pools/lab/base-0123456789abcdef.qcow2", (string?)null), StorageXml.ParseVolume(volume));
    }
}
