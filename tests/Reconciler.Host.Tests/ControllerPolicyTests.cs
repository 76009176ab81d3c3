namespace Reconciler.Host.Tests;

/// <summary>Per-resource backoff after failures, and the disruption gate, in the controller on the real libvirtd.</summary>
public sealed class ControllerPolicyTests : IDisposable
{
    /// <summary>An isolated libvirt network (no addresses, no dnsmasq) the tests define but do not start.</summary>
    private const string Network = RealLibvirt.Prefix + "bo";

    private readonly TempDir _dir = new("policy");

    public ControllerPolicyTests()
    {
        RealLibvirt.Cleanup();
        RemoveNetwork();
    }

    public void Dispose()
    {
        RealLibvirt.Cleanup();
        RemoveNetwork();
        _dir.Dispose();
        File.Delete(_dir.Path + "-net.xml");
    }

    [Fact]
    public void The_retry_delay_doubles_per_failure_with_jitter_up_to_the_maximum()
    {
        var initial = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(8);
        for (var failures = 1; failures <= 6; failures++)
        {
            var raw = Math.Min(Math.Pow(2, failures - 1), 8);
            var samples = Enumerable.Range(0, 200).Select(_ => Backoff.Delay(failures, initial, max).TotalSeconds).ToList();
            Assert.All(samples, d => Assert.InRange(d, raw * 0.8, raw * 1.2));
            Assert.True(samples.Distinct().Count() > 50, $"jittered delays for {failures} failure(s) are spread, not one value");
        }
    }

    [Fact]
    public async Task A_failing_resource_backs_off_longer_each_time_and_recovers_once_the_cause_is_gone()
    {
        var name = RealLibvirt.Prefix + "backoff";
        // The network exists but is not active: the plan accepts the domain, starting it fails in libvirt.
        Shell.Run("virsh", null, "-c", RealLibvirt.Uri, "net-define", WriteNetworkXml());
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name).Replace("graphics:", $"interfaces: [{{network: {Network}}}], graphics:", StringComparison.Ordinal));
        await using var controller = await Controller.StartAsync(_dir.Path, ("BackoffBase", "1s"), ("BackoffMax", "8s"));

        // Each failure, as /status shows it: the attempt count and the delay until the next retry.
        var delays = new SortedDictionary<int, double>();
        await controller.WaitAsync(s =>
        {
            if (controller.Resource(s, name) is { Failures: > 0, NextRetryAt: { } next, LastFailureAt: { } failed } r)
            {
                delays.TryAdd(r.Failures, (next - failed).TotalSeconds);
                Assert.Equal("Reconciling", r.State);
                Assert.Contains("not active", r.LastError);
                Assert.Contains(r.Conditions, c => c.Type == "Reconciling" && c.Status == "True" && c.Message!.Contains($"{r.Failures} failure(s)", StringComparison.Ordinal));
            }
            return delays.Count >= 4 && delays.Keys.Max() >= 4;
        }, "four failed attempts", seconds: 120);
        // Four consecutive failures as /status showed them (a poll delayed on a loaded machine may
        // miss the first one's second or so): each delay is 2^(n-1) s ±20 %, capped at 8 s, and grows
        // while the cap is not reached.
        var seen = delays.Keys.Take(4).ToList();
        Assert.Equal(Enumerable.Range(seen[0], 4), seen);
        Assert.True(seen[0] <= 2, $"the first failures were seen: {string.Join(", ", seen)}");
        static double Raw(int n) => Math.Min(Math.Pow(2, n - 1), 8);
        foreach (var n in seen)
        {
            Assert.InRange(delays[n], Raw(n) * 0.8 - 0.01, Raw(n) * 1.2 + 0.01);
            if (n > seen[0] && Raw(n) > Raw(n - 1)) Assert.True(delays[n] > delays[n - 1], $"the delay grows: {string.Join(", ", delays.Select(d => $"{d.Key}: {d.Value:0.00}s"))}");
        }
        Assert.Matches(@"reconciler_errors_total\{kind=""apply""\} [4-9]", (await controller.GetAsync("/metrics")).Body);

        // The cause goes away: the next retry succeeds and the failure count is reset.
        Shell.Run("virsh", null, "-c", RealLibvirt.Uri, "net-start", Network);
        var ok = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "recovered", seconds: 60);
        var recovered = controller.Resource(ok, name)!;
        Assert.Equal(0, recovered.Failures);
        Assert.Null(recovered.NextRetryAt);
        Assert.Null(recovered.LastError);
        Assert.True(RealLibvirt.Domain(name).Running);
    }

    [Fact]
    public async Task A_change_above_the_allowed_disruption_is_held_and_status_names_the_field()
    {
        var name = RealLibvirt.Prefix + "gate";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        await using (var live = await Controller.StartAsync(_dir.Path, ("MaxDisruption", "live")))
        {
            await live.WaitAsync(s => live.Resource(s, name) is { State: "Ready" }, "created");

            // Two vCPUs where the running guest has a maximum of one: only the next boot can have them, more than "live" allows.
            _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name).Replace("vcpus: 1", "vcpus: 2", StringComparison.Ordinal));
            var held = await live.WaitAsync(s => live.Resource(s, name) is { State: "Stalled" }, "held by the gate");
            var r = live.Resource(held, name)!;
            Assert.Equal("ExceedsMaxDisruption", r.Reason);
            Assert.Contains("spec.vcpus (next-boot)", r.Message);
            Assert.Contains("'live'", r.Message);
            Assert.Contains("--max-disruption", r.Message);   // the hint
            Assert.Contains(r.Conditions, c => c.Type == "Stalled" && c.Status == "True");
            Assert.Contains(r.Conditions, c => c.Type == "Ready" && c.Status == "False");
            await Task.Delay(1000);
            Assert.Equal("1", Vcpus(name));
            var table = await Cli.RunAsync("status", "-e", live.BaseAddress.ToString());
            Assert.Matches($@"{name}\s+Stalled", table.Out);
        }

        // Under the default gate (next-boot) the same change goes to the definition; the running guest waits for its restart.
        await using var nextBoot = await Controller.StartAsync(_dir.Path);
        var applied = await nextBoot.WaitAsync(s => nextBoot.Resource(s, name) is { State: "Ready", PendingRestart.Count: > 0 }, "applied for the next boot");
        Assert.Contains("spec.vcpus", nextBoot.Resource(applied, name)!.PendingRestart);
        Assert.Equal("2", Vcpus(name));
        Assert.True(RealLibvirt.Domain(name).Running);
        var table2 = await Cli.RunAsync("status", "-e", nextBoot.BaseAddress.ToString());
        Assert.Contains("spec.vcpus", table2.Out);

        // The guest stops (by hand here) and the controller starts it again: it boots with two vCPUs, nothing is pending.
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            d.Destroy();
        }
        await nextBoot.WaitAsync(s => RealLibvirt.Domain(name).Running && nextBoot.Resource(s, name) is { State: "Ready", PendingRestart.Count: 0 },
            "restarted by the controller, nothing pending");
    }

    /// <summary>The vCPU count of the persistent definition.</summary>
    private static string Vcpus(string name) =>
        System.Xml.Linq.XDocument.Parse(RealLibvirt.Domain(name).Xml).Root!.Element("vcpu")!.Value.Trim();

    private string WriteNetworkXml()
    {
        var path = _dir.Path + "-net.xml";
        File.WriteAllText(path, $"<network><name>{Network}</name><bridge name='vbr-ctlbo' stp='on' delay='0'/></network>");
        return path;
    }

    private static void RemoveNetwork()
    {
        try { Shell.Run("virsh", null, "-c", RealLibvirt.Uri, "net-destroy", Network); } catch (InvalidOperationException) { }
        try { Shell.Run("virsh", null, "-c", RealLibvirt.Uri, "net-undefine", Network); } catch (InvalidOperationException) { }
    }
}
