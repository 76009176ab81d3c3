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

    private static readonly CloudInitSpec Web1 = new("#cloud-config\npackages: [nginx]\n", "instance-id: \"web-1\"\nlocal-hostname: \"web-1\"\n",
        "version: 2\n", "web-1", "lab", "web-1-cidata.iso");

    [Fact]
    public void The_seed_is_an_iso_labelled_cidata_whose_joliet_files_hold_the_content()
    {
        var spec = Web1;
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
            // The volume counts the padding (as genisoimage's does): its size is the whole file.
            Assert.Contains($"Volume size is: {iso.Length / 2048}\n", info.Stdout);
            var list = Tools.Run("isoinfo", "-J", "-l", "-i", path);
            Assert.True(list.Ok, list.ToString());
            Assert.Contains("user-data", list.Stdout);
            Assert.Contains("meta-data", list.Stdout);
            Assert.Contains("network-config", list.Stdout);
            Assert.Equal(spec.UserData, Tools.Run("isoinfo", "-J", "-x", "/user-data", "-i", path).Stdout);
            Assert.Equal(spec.MetaData, Tools.Run("isoinfo", "-J", "-x", "/meta-data", "-i", path).Stdout);
            Assert.Equal(spec.NetworkConfig, Tools.Run("isoinfo", "-J", "-x", "/network-config", "-i", path).Stdout);
            var blkid = Tools.Run("blkid", "-p", "-o", "export", path);
            Assert.True(blkid.Ok, blkid.ToString());
            Assert.Contains("LABEL=cidata", blkid.Stdout);
            Assert.Contains("TYPE=iso9660", blkid.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_seed_is_padded_with_150_zero_sectors_like_genisoimage()
    {
        var iso = CloudInitSeed.Build(Web1);
        // 25 sectors of descriptors, path tables and directories, one per file, then the padding.
        Assert.Equal((25 + 3 + 150) * 2048, iso.Length);
        Assert.True(iso.Length >= 69_632, $"{iso.Length} bytes: busybox's volume probe needs 0x11000");
        Assert.All(iso[^(150 * 2048)..], b => Assert.Equal(0, b));
        Assert.NotEqual(0, iso[27 * 2048]); // the last file's data, right before the padding

        // The same files from genisoimage: it pads by as many sectors, and its volume size counts them too.
        var dir = Directory.CreateTempSubdirectory("seed-gen-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "user-data"), Web1.UserData);
            var out_ = Path.Combine(dir, "gen.iso");
            var gen = Tools.Run("genisoimage", "-quiet", "-output", out_, "-volid", "cidata", "-joliet", Path.Combine(dir, "user-data"));
            Assert.True(gen.Ok, gen.ToString());
            var genLength = new FileInfo(out_).Length;
            Assert.Contains($"Volume size is: {genLength / 2048}\n", Tools.Run("isoinfo", "-d", "-i", out_).Stdout);
            var genBytes = File.ReadAllBytes(out_);
            Assert.All(genBytes[^(150 * 2048)..], b => Assert.Equal(0, b));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_image_bytes_are_pinned_to_the_seed_format_version()
    {
        // A change to what CloudInitSeed writes for the same files must bump CloudInitSpec.SeedFormat
        // (so that seeds written in the old layout are rewritten once), then update this digest.
        Assert.Equal(2, CloudInitSpec.SeedFormat);
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(CloudInitSeed.Build(Web1)));
        Assert.True(digest == "ad21b34b4284a86390f4c7e4c7f98aaaf6d91f03f5ce057cb94d4f5ef41a9a1a", $"the seed image changed (sha256 {digest}): bump CloudInitSpec.SeedFormat, then pin the new digest here");
    }

    [Fact]
    public void Busybox_finds_the_seed_by_its_label_on_a_loop_device_and_not_the_unpadded_one()
    {
        var iso = CloudInitSeed.Build(Web1);
        Assert.Equal("/dev/probe", BusyboxFindfs(iso));
        // What earlier versions wrote (the same image without the padding) is too short for the probe:
        // this is the defect a busybox-based guest showed.
        var unpadded = iso[..^(150 * 2048)];
        Assert.True(unpadded.Length < 69_632);
        Assert.Null(BusyboxFindfs(unpadded));
    }

    /// <summary>
    /// <c>busybox findfs LABEL=cidata</c> on a read-only loop device of <paramref name="image"/>: the
    /// device it names, or null when the probe does not find it. busybox scans every block device in
    /// /dev, so it runs in a private mount namespace whose /dev holds only this one device (another
    /// cidata device on the host cannot answer for it). blkid must see the same device.
    /// </summary>
    private static string? BusyboxFindfs(byte[] image)
    {
        var path = Path.Combine(Path.GetTempPath(), $"seed-{Guid.NewGuid():N}.iso");
        File.WriteAllBytes(path, image);
        string? loop = null;
        try
        {
            var attach = Tools.Run("losetup", "--find", "--show", "--read-only", path);
            Assert.True(attach.Ok, "a loop device is needed (the tests run as root): " + attach);
            loop = attach.Stdout.Trim();
            var blkid = Tools.Run("blkid", "-p", "-o", "export", loop);
            Assert.True(blkid.Ok, blkid.ToString());
            Assert.Contains("LABEL=cidata", blkid.Stdout);
            Assert.Contains("TYPE=iso9660", blkid.Stdout);
            var numbers = File.ReadAllText($"/sys/block/{Path.GetFileName(loop)}/dev").Trim().Split(':');
            var findfs = Tools.Run("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs tmpfs /dev && mknod /dev/probe b \"$1\" \"$2\" && exec busybox findfs LABEL=cidata", "sh", numbers[0], numbers[1]);
            if (findfs.Ok) return findfs.Stdout.Trim();
            Assert.True(findfs.ExitCode == 1 && findfs.Stdout.Length == 0, "busybox findfs did not run as expected: " + findfs);
            return null;
        }
        finally
        {
            if (loop is not null) Tools.Run("losetup", "--detach", loop);
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
