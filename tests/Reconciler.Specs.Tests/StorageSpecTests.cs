using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Specs.Tests;

/// <summary>Loading and validating StoragePool, Volume, Network and a Domain's cloudInit.</summary>
public sealed class StorageSpecTests
{
    private const string Node = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: local}\nspec: {uri: \"qemu:///system\"}\n---\n";

    private const string PoolAndVolume = """
        apiVersion: reconciler/v1
        kind: StoragePool
        metadata: {name: lab}
        spec: {type: dir, path: /srv/pools/lab}
        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {name: data}
        spec: {pool: lab, size: 64MiB, format: qcow2}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: vm}
        spec: {state: stopped, memory: 64MiB, disks: [{volume: data}]}

        """;

    private static string Network(string body) => "apiVersion: reconciler/v1\nkind: Network\nmetadata: {name: net}\nspec:\n" + body;

    [Fact]
    public void Pool_volume_and_domain_load_with_defaults_and_the_single_node()
    {
        var set = T.Ok(T.Load(Node + PoolAndVolume));
        var pool = Assert.Single(set.Pools);
        Assert.Equal(("lab", "local", "/srv/pools/lab", true), (pool.Name, pool.Node, pool.Path, pool.Autostart));
        var volume = Assert.Single(set.Volumes);
        Assert.Equal((64UL << 20, VolumeFormat.Qcow2, DeletionPolicy.Retain), (volume.SizeBytes, volume.Format, volume.DeletionPolicy));
        var disk = Assert.Single(Assert.Single(set.Domains).Disks);
        Assert.Equal(("data", null), (disk.Volume, disk.Pool));
    }

    [Theory]
    [InlineData("size: 1024", "invalid-size")]
    [InlineData("size: -5GiB", "invalid-size")]
    [InlineData("size: 65TiB", "out-of-range")]
    [InlineData("size: 0B", "out-of-range")]
    [InlineData("size: 99999999999999999999TiB", "invalid-size")]
    public void Bad_sizes_are_located_errors(string size, string code)
    {
        var r = T.Load($"apiVersion: reconciler/v1\nkind: Volume\nmetadata: {{name: v}}\nspec:\n  pool: p\n  {size}\n");
        var d = Assert.Single(r.Diagnostics, x => x.Code == code);
        Assert.Equal(("a.yaml", 6), (d.Location!.File, d.Location.Line));
        Assert.Equal("spec.size", d.FieldPath);
        Assert.Null(r.Specs);
    }

    [Fact]
    public void DeletionPolicy_and_base_image_are_read()
    {
        using var dir = new TempDir();
        dir.Write("images/base.qcow2", "not really an image");
        dir.Write("vol.yaml", """
            apiVersion: reconciler/v1
            kind: Volume
            metadata: {name: root}
            spec:
              pool: lab
              size: 1GiB
              deletionPolicy: Delete
              baseImage: {source: images/base.qcow2, mode: backing, sha256: "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}
            """);
        var v = Assert.Single(T.Ok(SpecLoader.LoadDirectory(dir.Root)).Volumes);
        Assert.Equal(DeletionPolicy.Delete, v.DeletionPolicy);
        Assert.Equal(BaseImageMode.Backing, v.BaseImage!.Mode);
        Assert.Equal(Path.Combine(dir.Root, "images/base.qcow2"), v.BaseImage.LocalPath);
        Assert.Equal("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", v.BaseImage.Sha256);
    }

    [Theory]
    [InlineData("{source: \"ftp://x/y\"}", "spec.baseImage.source")]
    [InlineData("{source: /nonexistent/base.qcow2}", "spec.baseImage.source")]
    [InlineData("{source: \"https://example.org/b.img\", mode: backing}", "spec.baseImage.mode")]
    public void Bad_base_images_are_errors(string baseImage, string path)
    {
        var r = T.Load($"apiVersion: reconciler/v1\nkind: Volume\nmetadata: {{name: v}}\nspec:\n  pool: p\n  size: 1GiB\n  format: raw\n  baseImage: {baseImage}\n");
        Assert.Contains(r.Diagnostics, d => d.FieldPath == path && d.Severity == Severity.Error && d.Location!.Line == 8);
    }

    [Fact]
    public void A_network_loads_with_hosts_and_dns()
    {
        var net = Assert.Single(T.Ok(T.Load(Network("""
              mode: nat
              bridge: virbr-lab
              ipv4:
                address: 198.51.100.1/24
                dhcp:
                  start: 198.51.100.100
                  end: 198.51.100.199
                  hosts: [{mac: "52:54:00:AA:00:11", ip: 198.51.100.11, name: web-1}]
              dnsHosts: [{ip: 198.51.100.11, hostname: web-1.lab}]
            """))).Networks);
        Assert.Equal(NetworkMode.Nat, net.Mode);
        Assert.Equal(("198.51.100.1", 24, "198.51.100.100"), (net.Ipv4!.Address, net.Ipv4.Prefix, net.Ipv4.DhcpStart));
        Assert.Equal("52:54:00:aa:00:11", Assert.Single(net.Ipv4.Hosts).Mac);
        Assert.Equal("web-1.lab", Assert.Single(net.DnsHosts).Hostname);
    }

    [Theory]
    [InlineData("  ipv4: {address: 198.51.100.1/24, dhcp: {hosts: [{mac: \"52:54:00:00:00:01\", ip: 198.51.100.5}, {mac: \"52:54:00:00:00:01\", ip: 198.51.100.6}]}}\n", "duplicate-host", "spec.ipv4.dhcp.hosts[1].mac")]
    [InlineData("  ipv4: {address: 198.51.100.1/24, dhcp: {hosts: [{mac: \"52:54:00:00:00:01\", ip: 198.51.100.5}, {mac: \"52:54:00:00:00:02\", ip: 198.51.100.5}]}}\n", "duplicate-host", "spec.ipv4.dhcp.hosts[1].ip")]
    [InlineData("  ipv4: {address: 198.51.100.1/24, dhcp: {hosts: [{mac: \"52:54:00:00:00:01\", ip: 203.0.113.5}]}}\n", "overlapping-network", "spec.ipv4.dhcp.hosts[0].ip")]
    [InlineData("  ipv4: {address: 198.51.100.1/24, dhcp: {start: 198.51.100.200, end: 198.51.100.100}}\n", "invalid-value", "spec.ipv4.dhcp.end")]
    [InlineData("  ipv4: {address: 198.51.100.1/24, dhcp: {start: 198.51.100.1, end: 198.51.100.100}}\n", "overlapping-network", "spec.ipv4.dhcp.start")]
    [InlineData("  ipv4: {address: 198.51.100.0/24}\n", "invalid-address", "spec.ipv4.address")]
    [InlineData("  ipv4: {address: 198.51.100.1/31}\n", "out-of-range", "spec.ipv4.address")]
    [InlineData("  mode: bridge\n", "missing-field", "spec.bridge")]
    [InlineData("  mode: isolated\n", "missing-field", "spec.ipv4")]
    public void Bad_networks_are_located_errors(string body, string code, string path)
    {
        var r = T.Load(Network(body));
        Assert.Null(r.Specs);
        var d = Assert.Single(r.Diagnostics, x => x.Code == code && x.FieldPath == path);
        Assert.NotNull(d.Hint);
        Assert.Equal("a.yaml", d.Location!.File);
        Assert.True(d.Location.Line >= 4, d.ToString());
    }

    [Fact]
    public void Overlapping_networks_on_one_node_name_both()
    {
        var r = T.Load(Network("  ipv4: {address: 198.51.100.1/24}\n") + "---\n" +
                       "apiVersion: reconciler/v1\nkind: Network\nmetadata: {name: other}\nspec:\n  mode: isolated\n  ipv4: {address: 198.51.100.129/25}\n");
        var d = Assert.Single(r.Diagnostics, x => x.Code == "overlapping-network");
        Assert.Contains("'other'", d.Message);
        Assert.Contains("'net'", d.Message);
        Assert.Equal(12, d.Location!.Line);
    }

    [Fact]
    public void Cloud_init_builds_the_seed_and_its_cdrom()
    {
        using var dir = new TempDir();
        dir.Write("ci/web-1/meta-data", "local-hostname: web-1.lab\nextra: 1\n");
        dir.Write("vms.yaml", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: web-1}
            spec:
              memory: 64MiB
              disks: [{volume: root}]
              cloudInit:
                userData: |
                  #cloud-config
                  packages: [nginx]
                metaDataFile: ci/web-1/meta-data
            """);
        var d = Assert.Single(T.Ok(SpecLoader.LoadDirectory(dir.Root)).Domains);
        var ci = d.CloudInit!;
        Assert.Equal("web-1-cidata.iso", ci.SeedVolume);
        Assert.Equal("web-1", ci.InstanceId);
        Assert.Equal("#cloud-config\npackages: [nginx]\n", ci.UserData);
        Assert.StartsWith("instance-id: \"web-1\"\n", ci.MetaData);
        Assert.Contains("local-hostname: web-1.lab", ci.MetaData);
        Assert.DoesNotContain("local-hostname: \"web-1\"", ci.MetaData);
        Assert.Null(ci.NetworkConfig);
        var seed = d.Disks[^1];
        Assert.Equal((DiskDevice.Cdrom, "web-1-cidata.iso", "sata", "raw", true), (seed.Device, seed.Volume, seed.Bus, seed.Format, seed.ReadOnly));
    }

    [Fact]
    public void Invalid_cloud_init_yaml_is_located_inside_the_spec()
    {
        var r = T.Domain("""
              memory: 64MiB
              cloudInit:
                userData: |
                  #cloud-config
                  packages: [nginx
                  runcmd: x
                pool: lab

            """);
        var d = Assert.Single(r.Diagnostics, x => x.Code == "invalid-cloud-init");
        Assert.Equal("spec.cloudInit.userData", d.FieldPath);
        Assert.Contains("not valid YAML", d.Message);
        Assert.InRange(d.Location!.Line, 10, 11);
        Assert.Null(r.Specs);
    }

    /// <summary>
    /// Found by SpecLoaderFuzzTests: these escaped from the loader as a YamlException. The duplicate key
    /// is located on its line (10); YamlDotNet gives no position for an unknown alias, so that one is
    /// located at the value's first line (9), still inside it.
    /// </summary>
    [Theory]
    [InlineData("    metaData: |\n      local-hostname: a\n      local-hostname: b\n", "spec.cloudInit.metaData", 10, "Duplicate key")]
    [InlineData("    userData: |\n      #cloud-config\n      packages: *undefined\n", "spec.cloudInit.userData", 9, "undefined")]
    [InlineData("    networkConfig: |\n      version: 2\n      version: 2\n", "spec.cloudInit.networkConfig", 10, "Duplicate key")]
    public void Cloud_init_yaml_with_a_duplicate_key_or_an_unknown_alias_is_located_inside_the_spec(string lines, string path, int line, string message)
    {
        var r = T.Domain("  memory: 64MiB\n  cloudInit:\n" + lines);
        var d = Assert.Single(r.Diagnostics, x => x.Code == "invalid-cloud-init");
        Assert.Equal(path, d.FieldPath);
        Assert.Contains("not valid YAML", d.Message, StringComparison.Ordinal);
        Assert.Contains(message, d.Message, StringComparison.Ordinal);
        Assert.Equal(("a.yaml", line), (d.Location!.File, d.Location.Line));
        Assert.False(string.IsNullOrWhiteSpace(d.Hint));
        Assert.Null(r.Specs);
    }

    [Theory]
    [InlineData("    userData: \"hello\"\n", "spec.cloudInit.userData")]
    [InlineData("    metaData: \"instance-id: x\"\n", "spec.cloudInit.metaData")]
    [InlineData("    networkConfig: \"- a\\n- b\\n\"\n", "spec.cloudInit.networkConfig")]
    public void Bad_cloud_init_content_is_refused(string line, string path)
    {
        var r = T.Domain("  memory: 64MiB\n  cloudInit:\n" + line);
        Assert.Contains(r.Diagnostics, d => d.Code == "invalid-cloud-init" && d.FieldPath == path);
        Assert.Null(r.Specs);
    }

    [Fact]
    public void Cloud_init_files_must_stay_inside_and_not_be_yaml()
    {
        using var dir = new TempDir();
        dir.Write("vms.yaml", T.DomainHeader + "  memory: 64MiB\n  cloudInit: {userDataFile: ../../etc/passwd, metaDataFile: ci.yaml}\n");
        var r = SpecLoader.LoadDirectory(dir.Root);
        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.cloudInit.userDataFile" && d.Message.Contains("leaves the spec directory"));
        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.cloudInit.metaDataFile" && d.Message.Contains(".yaml"));
    }

    [Fact]
    public void A_file_with_invalid_yaml_is_located_in_that_file()
    {
        using var dir = new TempDir();
        dir.Write("ci/user-data", "#cloud-config\nusers:\n  - name: a\n   bad: indent\n");
        dir.Write("vms.yaml", T.DomainHeader + "  memory: 64MiB\n  cloudInit: {userDataFile: ci/user-data, pool: p}\n");
        var d = Assert.Single(SpecLoader.LoadDirectory(dir.Root).Diagnostics);
        Assert.Equal("ci/user-data", d.Location!.File);
        Assert.Equal(4, d.Location.Line);
    }

    [Fact]
    public void A_volume_named_like_a_seed_is_an_error()
    {
        var r = T.Load(T.DomainHeader + "  memory: 64MiB\n  cloudInit: {pool: lab}\n---\napiVersion: reconciler/v1\nkind: Volume\nmetadata: {name: web-1-cidata.iso}\nspec: {pool: lab, size: 1MiB}\n");
        Assert.Contains(r.Diagnostics, d => d.Code == "duplicate-name" && d.Message.Contains("seed"));
    }

    [Fact]
    public void Two_pools_with_one_path_are_an_error()
    {
        var r = T.Load("apiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {name: a}\nspec: {path: /srv/p}\n---\napiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {name: b}\nspec: {path: /srv/p/}\n");
        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.path" && d.Message.Contains("same path"));
    }
}
