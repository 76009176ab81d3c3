using System.Text.Json;
using Reconciler.Core.Model;
using Reconciler.Engine.Guests;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The guest reader, <c>apply --wait ready</c>, <c>status DIR</c> and <c>inventory DIR</c> against
/// libvirt's test driver (whose running domains report one made-up address per interface, from
/// every source, and have no console).
/// </summary>
public sealed class GuestTests
{
    private const string Specs = """
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: web-1, labels: {tier: web, app.kubernetes.io/name: shop}}
        spec:
          vcpus: 2
          memory: 256MiB
          interfaces: [{network: default}]
          readiness: {address: true}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: db-1, labels: {tier: db}}
        spec: {state: stopped, vcpus: 1, memory: 128MiB}
        """;

    private const string ConsoleSpec = """
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: app-1}
        spec:
          vcpus: 1
          memory: 128MiB
          readiness: {console: "login:"}
        """;

    [Fact]
    public async Task Apply_wait_ready_returns_once_the_address_is_known_and_status_and_inventory_show_it()
    {
        using var dir = new SpecDir().Write("vms.yaml", Specs);

        var apply = await Cli.RunAsync("apply", dir.Path, "--auto-approve", "--wait", "ready", "--wait-timeout", "60");

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("web-1: waiting for address", apply.Out);
        Assert.Contains("web-1: ready (address ", apply.Out);
        Assert.DoesNotContain("db-1: waiting", apply.Out); // stopped by its spec: nothing to wait for
        Assert.Contains("All 1 guest(s) ready.", apply.Out);

        var status = await Cli.RunAsync("status", dir.Path, "--output", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var doc = JsonDocument.Parse(status.Out);
        var domains = doc.RootElement.GetProperty("domains").EnumerateArray().ToList();
        Assert.Equal(["db-1", "web-1"], domains.Select(d => d.GetProperty("name").GetString()));
        var web = domains[1];
        Assert.Equal("running", web.GetProperty("state").GetString());
        Assert.True(web.GetProperty("guestReady").GetBoolean());
        var sources = web.GetProperty("addresses").EnumerateArray().Select(a => a.GetProperty("source").GetString()).ToList();
        Assert.Equal(["lease", "agent", "arp"], sources);
        var address = web.GetProperty("address").GetString()!;
        Assert.Equal(address, web.GetProperty("addresses")[0].GetProperty("address").GetString());
        Assert.StartsWith("52:54:00:", web.GetProperty("addresses")[0].GetProperty("mac").GetString(), StringComparison.Ordinal);
        Assert.Equal("stopped", domains[0].GetProperty("state").GetString());
        Assert.False(domains[0].GetProperty("guestReady").GetBoolean());

        var text = await Cli.RunAsync("status", dir.Path);
        Assert.Contains($"address {address}/24  source lease", text.Out);

        var yaml = await Cli.RunAsync("inventory", dir.Path);
        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        Assert.Contains($"    web-1:\n      ansible_host: \"{address}\"\n      node: \"sandbox\"\n      vcpus: 2\n      memory: 256\n", yaml.Out);
        Assert.Contains("    tier_web:\n      hosts:\n        web-1: {}\n", yaml.Out);
        Assert.Contains("    app_kubernetes_io_name_shop:\n", yaml.Out);
        Assert.DoesNotContain("ansible_host", yaml.Out[yaml.Out.IndexOf("db-1:", StringComparison.Ordinal)..yaml.Out.IndexOf("web-1:", StringComparison.Ordinal)]);
        Assert.Equal(yaml.Out, (await Cli.RunAsync("inventory", dir.Path)).Out); // stable

        var ini = await Cli.RunAsync("inventory", dir.Path, "--output", "ini");
        Assert.Contains($"web-1 ansible_host={address} node=sandbox vcpus=2 memory=256 addresses='[\"{address}\"]'", ini.Out);
        Assert.Contains("[tier_db]\ndb-1\n", ini.Out);

        var json = await Cli.RunAsync("inventory", dir.Path, "--output", "json");
        using var inv = JsonDocument.Parse(json.Out);
        Assert.Equal(address, inv.RootElement.GetProperty("_meta").GetProperty("hostvars").GetProperty("web-1").GetProperty("ansible_host").GetString());
        Assert.Equal(["web-1"], inv.RootElement.GetProperty("tier_web").GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Apply_wait_ready_exits_non_zero_naming_the_guest_not_ready_and_why()
    {
        using var dir = new SpecDir().Write("vms.yaml", ConsoleSpec);

        var apply = await Cli.RunAsync("apply", dir.Path, "--auto-approve", "--wait", "ready", "--wait-timeout", "1");

        Assert.True(apply.ExitCode == 1, apply.ToString());
        Assert.Contains("1 done, 0 failed", apply.Out); // the apply itself worked
        Assert.Contains("error: 1 of 1 guest(s) not ready within 1 s: app-1", apply.Err);
        Assert.Contains("no console line with \"login:\" yet", apply.Err);
        Assert.Contains("virDomainOpenConsole", apply.Err); // the test driver has no consoles: said, not thrown

        // A second apply has nothing to change, and still waits.
        var again = await Cli.RunAsync("apply", dir.Path, "--auto-approve", "--wait", "ready", "--wait-timeout", "0");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("app-1", again.Err);
    }

    [Fact]
    public async Task Status_of_a_domain_on_no_node_says_missing_and_inventory_lists_it_without_address()
    {
        using var dir = new SpecDir().Write("vms.yaml", ConsoleSpec);

        var status = await Cli.RunAsync("status", dir.Path, "-o", "json");

        Assert.True(status.ExitCode == 0, status.ToString());
        using var doc = JsonDocument.Parse(status.Out);
        var app = Assert.Single(doc.RootElement.GetProperty("domains").EnumerateArray());
        Assert.Equal("missing", app.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, app.GetProperty("address").ValueKind);
        var inventory = await Cli.RunAsync("inventory", dir.Path);
        Assert.Contains("    app-1:\n      node: null\n", inventory.Out); // on no node, no address: still a host
    }

    [Fact]
    public async Task Wait_ready_needs_a_spec_directory()
    {
        using var dir = new SpecDir().Write("vms.yaml", ConsoleSpec);
        var planFile = System.IO.Path.Combine(dir.Path, "saved.plan");
        var plan = await Cli.RunAsync("plan", dir.Path, "--out", planFile);
        Assert.True(plan.ExitCode == 0, plan.ToString());

        var apply = await Cli.RunAsync("apply", planFile, "--wait", "ready");

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("--wait ready needs a spec directory", apply.Err);
    }

    [Fact]
    public async Task The_reader_gives_every_source_in_order_of_trust_with_interface_and_mac()
    {
        using var conn = LibvirtConnection.Open("test:///default");
        using var dom = conn.LookupDomainByName("test")!;

        var status = await GuestReader.ReadAsync(dom, "n1", new Readiness(ReadinessKind.Agent), GuestReadOptions.Default, null, CancellationToken.None);

        Assert.Equal("running", status.State);
        Assert.Equal(["lease", "agent", "arp"], status.Addresses.Select(a => a.Source));
        Assert.All(status.Addresses, a => Assert.Equal(("192.168.122.3", 24, "aa:bb:cc:dd:ee:ff", "testnet0"), (a.Address, a.Prefix, a.Mac, a.Interface)));
        Assert.Empty(status.Skipped);
        Assert.True(status.Ready, status.Reason);
        Assert.Equal("the guest agent answers", status.Reason);
    }

    [Fact]
    public async Task The_tcp_check_is_ready_when_the_port_accepts_and_not_when_it_refuses()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var open = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var address = new GuestAddress("127.0.0.1", 8, "lease", null, "vnet0");
        var options = new GuestReadOptions(TimeSpan.FromSeconds(5));

        var accepted = await GuestReader.TcpAsync(address, open, options, CancellationToken.None);
        listener.Stop(); // the same port, now closed: refused
        var refused = await GuestReader.TcpAsync(address, open, options, CancellationToken.None);
        var none = await GuestReader.TcpAsync(null, open, options, CancellationToken.None);

        Assert.Equal((true, $"tcp 127.0.0.1:{open} accepts connections"), (accepted.Ready, accepted.Reason));
        Assert.False(refused.Ready);
        Assert.StartsWith($"tcp 127.0.0.1:{open}: ", refused.Reason, StringComparison.Ordinal);
        Assert.Equal((false, $"no address yet to connect to port {open}"), (none.Ready, none.Reason));
    }

    [Fact]
    public async Task A_call_that_does_not_return_costs_one_timeout_and_is_reported_as_such()
    {
        using var release = new ManualResetEventSlim();
        try
        {
            var call = GuestReader.Bounded(() => release.Wait(TimeSpan.FromMinutes(5)), TimeSpan.FromMilliseconds(50), CancellationToken.None);

            await Assert.ThrowsAsync<TimeoutException>(() => call);
            Assert.False(release.IsSet); // it gave up while the call was still blocked
        }
        finally
        {
            release.Set();
        }
    }

    [Theory]
    [InlineData("tier", "web", "tier_web")]
    [InlineData("app.kubernetes.io/name", "shop", "app_kubernetes_io_name_shop")]
    [InlineData("1zone", "a-b", "_1zone_a_b")]
    public void Group_names_from_labels_are_valid_ansible_names(string key, string value, string group) =>
        Assert.Equal(group, Inventory.GroupName(key, value));
}
