namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// The network forms of issue 19 on the real libvirtd: a routed network with IPv4 and IPv6
/// (DHCPv6 range), MTU, DNS domain and forwarders, an open IPv6-only network and a macvtap pool
/// (mode direct, vepa) on one of this machine's interfaces are defined and started, read back with
/// no perpetual diff; a changed MTU is planned as a recreate and applied; removed from the specs
/// they are destroyed. (hostdev networks need an SR-IOV card: rendered and schema-checked only, in
/// the rendering tests.) Everything is named pools-net-* and removed afterwards.
/// </summary>
public sealed class NetworkModesTests : IDisposable
{
    private const string P = "pools-net-";
    private readonly SpecDir _dir = new();

    public NetworkModesTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
    }

    private static void Cleanup() => RealLibvirt.CleanupNetworks(P);

    /// <summary>A host interface that exists here (macvtap is only set up when a guest joins, but the name should be real).</summary>
    private static string HostInterface() =>
        Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>().Where(n => n != "lo" && !n.StartsWith("virbr", StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault() ?? "lo";

    private string Spec(int mtu, bool networks = true) => RealLibvirt.NodeSpec() + (networks ? $$"""

        ---
        apiVersion: reconciler/v1
        kind: Network
        metadata: {name: {{P}}rt}
        spec:
          mode: route
          bridge: pools-rt9
          mtu: {{mtu}}
          domain: rt.example
          dnsForwarders: [192.0.2.53, "2001:DB8::53"]
          ipv4: {address: 198.51.97.1/24, dhcp: {start: 198.51.97.100, end: 198.51.97.150} }
          ipv6: {address: "fd00:97::1", prefix: 64, dhcp: {start: "fd00:97::100", end: "fd00:97::1ff"} }
        ---
        apiVersion: reconciler/v1
        kind: Network
        metadata: {name: {{P}}open}
        spec: {mode: open, bridge: pools-op9, ipv6: {address: "fd00:98::1"} }
        ---
        apiVersion: reconciler/v1
        kind: Network
        metadata: {name: {{P}}mv}
        spec: {mode: direct, dev: {{HostInterface()}}, directMode: vepa}
        """ : "") + "\n";

    private Task<Cli.Result> Apply(string yaml) => Cli.ApplyAsync(_dir, yaml);

    private Task AssertNoChanges() => Cli.AssertNoChangesAsync(_dir);

    [Fact]
    public async Task Route_open_and_macvtap_networks_start_and_read_back_without_a_diff_and_an_mtu_change_recreates()
    {
        var first = await Apply(Spec(9000));
        Assert.True(first.ExitCode == 0, first.ToString());
        using (var conn = RealLibvirt.Connect())
        {
            foreach (var name in new[] { "rt", "open", "mv" })
            {
                using var n = conn.LookupNetworkByName(P + name)!;
                Assert.True(n.IsActive, name + " runs");
            }
            using var rt = conn.LookupNetworkByName(P + "rt")!;
            var xml = rt.GetXmlDesc();
            Assert.Contains("<mtu size='9000'/>", xml, StringComparison.Ordinal);
            Assert.Contains("<forwarder addr='2001:db8::53'/>", xml, StringComparison.Ordinal);
            Assert.Contains("family='ipv6' address='fd00:97::1' prefix='64'", xml, StringComparison.Ordinal);
            using var mv = conn.LookupNetworkByName(P + "mv")!;
            Assert.Contains("mode='vepa'", mv.GetXmlDesc(), StringComparison.Ordinal);
        }
        Assert.Equal("9000", File.ReadAllText("/sys/class/net/pools-rt9/mtu").Trim());
        await AssertNoChanges();

        _dir.Write("all.yaml", Spec(1400));
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2, plan.ToString());
        Assert.Contains("spec.mtu: 9000 → 1400", plan.Out, StringComparison.Ordinal);
        Assert.Contains("destroyed and defined again", plan.Out, StringComparison.Ordinal);
        var changed = await Apply(Spec(1400));
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Equal("1400", File.ReadAllText("/sys/class/net/pools-rt9/mtu").Trim());
        await AssertNoChanges();

        var gone = await Apply(Spec(1400, networks: false));
        Assert.True(gone.ExitCode == 0, gone.ToString());
        using (var conn = RealLibvirt.Connect())
        {
            Assert.Null(conn.LookupNetworkByName(P + "rt"));
            Assert.Null(conn.LookupNetworkByName(P + "mv"));
        }
    }
}
