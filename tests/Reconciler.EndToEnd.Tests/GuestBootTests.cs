using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Real booting guests (the tiny guest: Debian kernel + busybox initramfs, TCG) on qemu:///system:
/// a leased address seen with source lease (and agent, with the agent build), <c>apply --wait
/// ready</c> on an address and on a console line, the inventory, a guest that ignores ACPI stopped
/// hard after the timeout, and cloud-init user-data changed and seen after a restart. Everything is
/// named rc-guest-* (network 198.18.21.0/24, bridge rcgst21br0) and removed afterwards.
/// </summary>
public sealed partial class GuestBootTests : IDisposable
{
    private const string P = "rc-guest-";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory("rc-guest-").FullName;

    public GuestBootTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static void Cleanup()
    {
        RealLibvirt.Cleanup(P);
        RealLibvirt.CleanupPools(P);
        using var conn = RealLibvirt.Connect();
        foreach (var n in conn.ListAllNetworks())
        {
            using (n)
            {
                if (!n.Name.StartsWith(P, StringComparison.Ordinal)) continue;
                try { if (n.IsActive) n.Destroy(); } catch (LibvirtException) { }
                try { n.Undefine(); } catch (LibvirtException) { }
            }
        }
    }

    /// <summary>The Node (TCG: it boots everywhere, also where /dev/kvm cannot run a kernel) and a NAT network with a DHCP range.</summary>
    private static string NodeAndNetwork => $$$"""
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: local}
        spec: {uri: "{{{RealLibvirt.Uri}}}", domainType: qemu}
        ---
        apiVersion: reconciler/v1
        kind: Network
        metadata: {name: {{{P}}}net}
        spec: {mode: nat, bridge: rcgst21br0, ipv4: {address: 198.18.21.1/24, dhcp: {start: 198.18.21.100, end: 198.18.21.150} } }
        """;

    private static string Domain(string name, string extra, string patches) => "\n" + $$$"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{{name}}}, labels: {tier: web}}
        spec:
          vcpus: 1
          memory: 128MiB
          machine: pc
          graphics: {type: none}
        {{{extra}}}
          xml:
        {{{patches}}}

        """;

    [Fact]
    public async Task A_leased_address_is_seen_from_lease_and_agent_wait_ready_returns_once_known_and_the_inventory_lists_it()
    {
        var name = P + "ip";
        var consoleLog = Path.Combine(_work, "ip.log");
        _dir.Write("all.yaml", NodeAndNetwork + Domain(name, $"  interfaces: [{{network: {P}net}}]\n  readiness: {{address: true}}",
            TinyGuest.XmlPatches(consoleLog, "    ", agent: true)));

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--wait", "ready", "--wait-timeout", "240");

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains($"{name}: waiting for address", apply.Out);
        Assert.Contains($"{name}: ready (address 198.18.21.", apply.Out);
        Assert.Contains("All 1 guest(s) ready.", apply.Out);
        // The guest says which address its DHCP client configured; libvirt's lease must be that one.
        var (got, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-IP ", TimeSpan.FromSeconds(60));
        Assert.True(got, $"the guest printed no TINY-GUEST-IP; console:\n{log}");
        var ip = IpLine().Match(log).Groups[1].Value;
        Assert.Contains($"ready (address {ip} (lease, 52:54:00:", apply.Out);

        // The agent build runs qemu-ga: the agent reports the same address (it starts just after the lease).
        JsonElement guest = default;
        for (var i = 0; i < 60; i++)
        {
            var status = await Cli.RunAsync("status", _dir.Path, "--output", "json");
            Assert.True(status.ExitCode == 0, status.ToString());
            guest = JsonDocument.Parse(status.Out).RootElement.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("name").GetString() == name).Clone();
            if (Sources(guest, ip).Contains("agent")) break;
            await Task.Delay(1000);
        }
        Assert.Equal(["lease", "agent"], Sources(guest, ip).Take(2));
        Assert.Equal(ip, guest.GetProperty("address").GetString());
        Assert.True(guest.GetProperty("guestReady").GetBoolean());

        // readiness {agent: true}: the agent probe (virDomainGetTime goes through qemu-ga) answers.
        using (var conn = RealLibvirt.Connect())
        using (var dom = conn.LookupDomainByName(name)!)
        {
            var agent = await Engine.Guests.GuestReader.ReadAsync(dom, "local", new Core.Model.Readiness(Core.Model.ReadinessKind.Agent),
                Engine.Guests.GuestReadOptions.Default, null, CancellationToken.None);
            Assert.True(agent.Ready, agent.Reason);
            Assert.Equal("the guest agent answers", agent.Reason);
        }

        var inventory = await Cli.RunAsync("inventory", _dir.Path);
        Assert.True(inventory.ExitCode == 0, inventory.ToString());
        Assert.Contains($"    {name}:\n      ansible_host: \"{ip}\"\n      node: \"local\"\n", inventory.Out);
        Assert.Contains($"    tier_web:\n      hosts:\n        {name}: {{}}\n", inventory.Out);
    }

    [Fact]
    public async Task Wait_ready_on_a_console_line_waits_for_the_real_boot_and_a_guest_ignoring_acpi_is_stopped_hard_after_the_timeout()
    {
        var name = P + "con";
        var consoleLog = Path.Combine(_work, "con.log");
        string Spec(string state) => RealLibvirtNode + Domain(name, $"  state: {state}\n  readiness: {{console: \"TINY-GUEST-READY\"}}",
            TinyGuest.XmlPatches(consoleLog, "    ", agent: false, cmdline: "tiny.noacpi"));
        _dir.Write("all.yaml", Spec("running"));

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--wait", "ready", "--wait-timeout", "240");

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains($"{name}: waiting: no console line with \"TINY-GUEST-READY\" yet", apply.Out);
        Assert.Contains($"{name}: ready (console printed \"TINY-GUEST-READY\")", apply.Out);
        // The console stream and the serial log saw the same boot.
        var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(10));
        Assert.True(ready, $"the serial log has no TINY-GUEST-READY; console:\n{log}");

        _dir.Write("all.yaml", Spec("stopped"));
        var stop = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "5");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"{name} did not shut down within 5s; stopping it hard", stop.Out);
        using var conn = RealLibvirt.Connect();
        using var dom = conn.LookupDomainByName(name)!;
        Assert.False(dom.IsActive);
        Assert.DoesNotContain("TINY-GUEST-POWEROFF", File.ReadAllText(consoleLog), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changed_user_data_reaches_the_guest_after_a_restart()
    {
        var name = P + "ci";
        var consoleLog = Path.Combine(_work, "ci.log");
        var pool = Path.Combine(_work, "pool");
        string Spec(string state, string userData) => RealLibvirtNode + "\n" + $$"""
            ---
            apiVersion: reconciler/v1
            kind: StoragePool
            metadata: {name: {{P}}pool}
            spec: {path: {{pool}}}
            """ + Domain(name,
            $"  state: {state}\n  cloudInit:\n    pool: {P}pool\n    userData: \"{userData.Replace("\n", "\\n", StringComparison.Ordinal)}\"",
            TinyGuest.XmlPatches(consoleLog, "    ", agent: false));
        var first = $"#cloud-config\nhostname: one\n# run {Guid.NewGuid():N}\n";
        var second = $"#cloud-config\nhostname: two\n# run {Guid.NewGuid():N}\n";

        _dir.Write("all.yaml", Spec("running", first));
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        await SeesAsync(consoleLog, first);

        // The new seed is written while the guest runs; the guest reads it at its next start.
        _dir.Write("all.yaml", Spec("running", second));
        var update = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(update.ExitCode == 0, update.ToString());
        _dir.Write("all.yaml", Spec("stopped", second));
        var stop = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("TINY-GUEST-POWEROFF", File.ReadAllText(consoleLog), StringComparison.Ordinal); // a graceful stop
        _dir.Write("all.yaml", Spec("running", second));
        var start = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(start.ExitCode == 0, start.ToString());

        var log = await SeesAsync(consoleLog, second);
        Assert.DoesNotContain(Sha(first), log, StringComparison.Ordinal);
    }

    private static string RealLibvirtNode => $$"""
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: local}
        spec: {uri: "{{RealLibvirt.Uri}}", domainType: qemu}
        """;

    private static async Task<string> SeesAsync(string consoleLog, string userData)
    {
        var line = $"TINY-GUEST-USERDATA sha256={Sha(userData)}";
        var (seen, log) = await TinyGuest.WaitForAsync(consoleLog, line, TimeSpan.FromSeconds(120));
        Assert.True(seen, $"the guest did not print {line}; console:\n{log}");
        return log;
    }

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static List<string?> Sources(JsonElement guest, string ip) =>
        [.. guest.GetProperty("addresses").EnumerateArray().Where(a => a.GetProperty("address").GetString() == ip).Select(a => a.GetProperty("source").GetString())];

    [GeneratedRegex(@"TINY-GUEST-IP ([0-9.]+)")]
    private static partial Regex IpLine();
}
