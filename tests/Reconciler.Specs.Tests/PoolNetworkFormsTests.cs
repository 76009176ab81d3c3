using Reconciler.Core.Model;

namespace Reconciler.Specs.Tests;

/// <summary>The pool types (logical, netfs, rbd, iscsi) and network modes (route, open, hostdev, direct; ipv6, mtu, domain, DNS forwarders) of issue 19: loaded into the model, bad input a located error.</summary>
public sealed class PoolNetworkFormsTests
{
    private static string Pool(string spec) => $"apiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {{name: vg1}}\nspec:\n{spec}";

    private static string Net(string spec) => $"apiVersion: reconciler/v1\nkind: Network\nmetadata: {{name: n1}}\nspec:\n{spec}";

    [Fact]
    public void Every_pool_type_loads_into_its_source()
    {
        var set = T.Ok(T.Load(
            Pool("  type: logical\n  devices: [/dev/sdb, /dev/sdc]\n  build: true\n") + "\n---\n" +
            Pool("  type: netfs\n  path: /var/lib/libvirt/nfs\n  netfs: {host: nfs1.lab, export: /exports/vms, format: nfs}\n").Replace("vg1", "nfs1") + "\n---\n" +
            Pool("  type: rbd\n  rbd: {hosts: [\"ceph-mon1:6789\", ceph-mon2], pool: rbd, auth: {username: libvirt, secretUuid: \"11111111-2222-3333-4444-555555555555\"}}\n").Replace("vg1", "ceph1") + "\n---\n" +
            Pool("  type: iscsi\n  iscsi: {host: \"san1.lab:3260\", iqn: iqn.2004-04.com.example:storage.lun1}\n").Replace("vg1", "san1")));
        var pools = set.Pools.ToDictionary(p => p.Name);
        var lvm = pools["vg1"];
        Assert.Equal((StoragePoolType.Logical, true, "", "vg1"), (lvm.Type, lvm.Build, lvm.Path, lvm.Source!.Name));
        Assert.Equal(["/dev/sdb", "/dev/sdc"], lvm.Source.Devices);
        Assert.Equal(("nfs1.lab", "/exports/vms", "nfs", "/var/lib/libvirt/nfs"), (pools["nfs1"].Source!.Host, pools["nfs1"].Source!.Export, pools["nfs1"].Source!.Format, pools["nfs1"].Path));
        var rbd = pools["ceph1"].Source!;
        Assert.Equal(["ceph-mon1:6789", "ceph-mon2"], rbd.MonitorHosts);
        Assert.Equal(("rbd", "libvirt", "11111111-2222-3333-4444-555555555555"), (rbd.Name, rbd.Auth!.Username, rbd.Auth.SecretUuid));
        Assert.Equal(("san1.lab:3260", "iqn.2004-04.com.example:storage.lun1"), (pools["san1"].Source!.Host, pools["san1"].Source!.Iqn));
    }

    [Theory]
    [InlineData("  type: logical\n", "missing-field", "spec.devices", 4)]
    [InlineData("  type: logical\n  devices: [sdb]\n", "invalid-path", "spec.devices[0]", 6)]
    [InlineData("  type: logical\n  devices: [/dev/../etc/passwd]\n", "invalid-path", "spec.devices[0]", 6)]
    [InlineData("  type: logical\n  devices: [/srv/disk.img]\n", "invalid-path", "spec.devices[0]", 6)]
    [InlineData("  type: logical\n  devices: [/dev/sdb, /dev/sdb]\n", "duplicate-disk", "spec.devices[1]", 6)]
    [InlineData("  type: logical\n  devices: [/dev/sdb]\n  path: /srv/x\n", "conflicting-fields", "spec.path", 7)]
    [InlineData("  type: dir\n  path: /srv/x\n  build: true\n", "conflicting-fields", "spec.build", 7)]
    [InlineData("  type: dir\n", "missing-field", "spec.path", 4)]
    [InlineData("  type: netfs\n  path: /srv/x\n", "missing-field", "spec.netfs", 4)]
    [InlineData("  type: netfs\n  path: /srv/x\n  netfs: {host: \"nfs 1\", export: /e}\n", "invalid-address", "spec.netfs.host", 7)]
    [InlineData("  type: netfs\n  path: /srv/x\n  netfs: {host: nfs1, export: exports}\n", "invalid-path", "spec.netfs.export", 7)]
    [InlineData("  type: rbd\n  rbd: {hosts: [\"mon:99999\"], pool: rbd}\n", "out-of-range", "spec.rbd.hosts[0]", 6)]
    [InlineData("  type: rbd\n  rbd: {hosts: [mon], pool: rbd, auth: {username: u, secretUuid: nope}}\n", "invalid-value", "spec.rbd.auth.secretUuid", 6)]
    [InlineData("  type: iscsi\n  iscsi: {host: san1, iqn: lun1}\n", "invalid-value", "spec.iscsi.iqn", 6)]
    [InlineData("  type: iscsi\n  rbd: {hosts: [mon], pool: rbd}\n  iscsi: {host: san1, iqn: iqn.2004-04.com.example:x}\n", "conflicting-fields", "spec.rbd", 6)]
    public void Bad_pool_sources_are_located_errors(string spec, string code, string path, int line)
    {
        var r = T.Load(Pool(spec));
        var d = Assert.Single(r.Diagnostics, x => x.Code == code && x.FieldPath == path);
        Assert.Equal(("a.yaml", line), (d.Location!.File, d.Location.Line));
        Assert.False(string.IsNullOrEmpty(d.Hint));
        Assert.Null(r.Specs);
    }

    [Theory]
    [InlineData("format: qcow2", "spec.format", "raw")]
    [InlineData("size: 10MiB, format: raw", "spec.size", "12MiB")]
    public void Volumes_in_a_logical_pool_are_raw_and_whole_extents(string volume, string path, string hint)
    {
        var yaml = Pool("  type: logical\n  devices: [/dev/sdb]\n") + "\n---\napiVersion: reconciler/v1\nkind: Volume\nmetadata: {name: lv1}\nspec: {pool: vg1, " +
                   (volume.StartsWith("size", StringComparison.Ordinal) ? volume : "size: 16MiB, " + volume) + "}\n";
        var r = T.Load(yaml);
        var d = Assert.Single(r.Diagnostics, x => x.FieldPath == path);
        Assert.Equal(12, d.Location!.Line);
        Assert.Contains(hint, d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_volume_in_an_iscsi_pool_is_refused_naming_the_pool()
    {
        var yaml = Pool("  type: iscsi\n  iscsi: {host: san1, iqn: iqn.2004-04.com.example:x}\n") +
                   "\n---\napiVersion: reconciler/v1\nkind: Volume\nmetadata: {name: lun9}\nspec: {pool: vg1, size: 16MiB, format: raw}\n";
        var d = Assert.Single(T.Load(yaml).Diagnostics);
        Assert.Equal(("spec.pool", 12), (d.FieldPath, d.Location!.Line));
        Assert.Contains("iscsi pool", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_network_form_loads()
    {
        var set = T.Ok(T.Load(
            Net("  mode: route\n  mtu: 9000\n  domain: lab.example\n  dnsForwarders: [192.0.2.53, \"2001:DB8::53\"]\n  ipv4: {address: 198.51.100.1/24}\n  ipv6: {address: \"2001:DB8:ca2:2::1\", dhcp: {start: \"2001:db8:ca2:2::100\", end: \"2001:db8:ca2:2::1ff\"}}\n") + "\n---\n" +
            Net("  mode: hostdev\n  pf: eth0\n").Replace("n1", "sriov") + "\n---\n" +
            Net("  mode: direct\n  dev: eth1\n  directMode: passthrough\n").Replace("n1", "mv") + "\n---\n" +
            Net("  mode: open\n  ipv6: {address: \"fd00:1::1\", prefix: 64}\n").Replace("n1", "op")));
        var nets = set.Networks.ToDictionary(n => n.Name);
        var rt = nets["n1"];
        Assert.Equal((NetworkMode.Route, 9000, "lab.example"), (rt.Mode, rt.Mtu, rt.Domain));
        Assert.Equal(["192.0.2.53", "2001:db8::53"], rt.Forwarders);   // canonical, as libvirt writes it back
        Assert.Equal(new NetworkIpv6("2001:db8:ca2:2::1", 64, "2001:db8:ca2:2::100", "2001:db8:ca2:2::1ff"), rt.Ipv6);
        Assert.Equal((NetworkMode.Hostdev, "eth0"), (nets["sriov"].Mode, nets["sriov"].ForwardDev));
        Assert.Equal((NetworkMode.Direct, "eth1", "passthrough"), (nets["mv"].Mode, nets["mv"].ForwardDev, nets["mv"].DirectMode));
        Assert.Equal((NetworkMode.Open, (NetworkIpv4?)null), (nets["op"].Mode, nets["op"].Ipv4));
    }

    [Theory]
    [InlineData("  mode: hostdev\n", "missing-field", "spec.pf", 4)]
    [InlineData("  mode: direct\n", "missing-field", "spec.dev", 4)]
    [InlineData("  mode: hostdev\n  pf: eth0\n  ipv4: {address: 198.51.100.1/24}\n", "conflicting-fields", "spec.ipv4", 7)]
    [InlineData("  mode: direct\n  dev: eth0\n  mtu: 9000\n", "conflicting-fields", "spec.mtu", 7)]
    [InlineData("  mode: nat\n  pf: eth0\n  ipv4: {address: 198.51.100.1/24}\n", "conflicting-fields", "spec.pf", 6)]
    [InlineData("  mode: route\n", "missing-field", "spec.ipv4", 4)]
    [InlineData("  mode: nat\n  mtu: 40\n  ipv4: {address: 198.51.100.1/24}\n", "out-of-range", "spec.mtu", 6)]
    [InlineData("  mode: nat\n  domain: \"bad domain\"\n  ipv4: {address: 198.51.100.1/24}\n", "invalid-value", "spec.domain", 6)]
    [InlineData("  mode: nat\n  dnsForwarders: [dns.google]\n  ipv4: {address: 198.51.100.1/24}\n", "invalid-address", "spec.dnsForwarders[0]", 6)]
    [InlineData("  mode: isolated\n  ipv6: {address: \"fe80::1\"}\n", "invalid-address", "spec.ipv6.address", 6)]
    [InlineData("  mode: isolated\n  ipv6: {address: \"fd00::1\", prefix: 64, dhcp: {start: \"fd01::10\", end: \"fd00::20\"}}\n", "overlapping-network", "spec.ipv6.dhcp.start", 6)]
    [InlineData("  mode: isolated\n  ipv6: {address: \"fd00::1\", prefix: 130}\n", "out-of-range", "spec.ipv6.prefix", 6)]
    [InlineData("  mode: bridge\n  bridge: br0\n  domain: lab.example\n", "conflicting-fields", "spec.domain", 7)]
    public void Bad_network_forms_are_located_errors(string spec, string code, string path, int line)
    {
        var r = T.Load(Net(spec));
        var d = Assert.Single(r.Diagnostics, x => x.Code == code && x.FieldPath == path);
        Assert.Equal(("a.yaml", line), (d.Location!.File, d.Location.Line));
        Assert.Null(r.Specs);
    }
}
