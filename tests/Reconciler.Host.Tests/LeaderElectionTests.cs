namespace Reconciler.Host.Tests;

/// <summary>
/// Replicated controllers: two `reconcile run` against the same node elect a leader through a
/// coordination.k8s.io/v1 Lease with KubernetesClient's LeaderElector. The Lease API is the
/// loopback stand-in <see cref="FakeLeaseApi"/>, because no Kubernetes API server runs here.
/// Exactly one controller applies; when it is killed the other takes over and applies.
/// </summary>
public sealed class LeaderElectionTests : IDisposable
{
    private const string Prefix = "nodes-le-";
    private readonly TempDir _dir = new("leader");

    public LeaderElectionTests() => NodeReconnectTests.Cleanup(Prefix);

    public void Dispose()
    {
        NodeReconnectTests.Cleanup(Prefix);
        _dir.Dispose();
    }

    private static (string, string)[] Election(FakeLeaseApi api, string identity, string lease) =>
    [
        ("Interval", "10m"),
        ("LeaderElection:Enabled", "true"),
        ("LeaderElection:ApiServer", api.Url),
        ("LeaderElection:Namespace", "reconciler-test"),
        ("LeaderElection:LeaseName", lease),
        ("LeaderElection:Identity", identity),
        ("LeaderElection:LeaseDuration", "3s"),
        ("LeaderElection:RenewDeadline", "2s"),
        ("LeaderElection:RetryPeriod", "300ms"),
    ];

    private static bool Applied(Controller c, string name) =>
        c.Logs.Lines.Any(l => l.Contains($"resource=local/{name} Applied", StringComparison.Ordinal));

    [Fact]
    public async Task Only_the_leader_applies_and_the_standby_takes_over_when_the_leader_dies()
    {
        await using var api = await FakeLeaseApi.StartAsync();
        var lease = "reconciler-" + Guid.NewGuid().ToString("N")[..6];
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        Controller? a = await Controller.StartAsync(_dir.Path, Election(api, "replica-a", lease));
        Controller? b = null;
        try
        {
            await Eventually.TrueAsync(() => api.Holder("reconciler-test", lease) == "replica-a", "replica-a holds the lease");
            var standby = await Controller.StartAsync(_dir.Path, Election(api, "replica-b", lease));
            b = standby;
            var first = a;
            await Eventually.TrueAsync(() => standby.Logs.Lines.Any(l => l.Contains("the leader is replica-a", StringComparison.Ordinal)), "replica-b sees replica-a lead");

            _dir.Write("one.yaml", RealLibvirt.DomainYaml(Prefix + "1", state: "stopped"));
            await Eventually.TrueAsync(() => RealLibvirt.Domain(Prefix + "1").Exists, "the leader defines the domain");
            await Eventually.TrueAsync(() => Applied(first, Prefix + "1"), "replica-a logged the apply");
            // The standby converges on the same view (Ready) without ever changing anything.
            await standby.WaitAsync(s => standby.Resource(s, Prefix + "1") is { State: "Ready" }, "the standby reports the domain in sync");
            var standbyStatus = await standby.WaitAsync(s => s.Leadership is { Leader: "replica-a" }, "the standby's status names the leader");
            Assert.Equal(new LeadershipStatus("replica-b", false, "replica-a"), standbyStatus.Leadership);
            Assert.Equal(new LeadershipStatus("replica-a", true, "replica-a"), first.Status.Leadership);
            Assert.DoesNotContain(standby.Logs.Lines, l => l.Contains(" Applied (", StringComparison.Ordinal) || l.Contains("DriftCorrected", StringComparison.Ordinal));

            // Kill the leader: the standby takes the lease once it expires, then applies.
            var leader = a;
            a = null;
            await leader.DisposeAsync();
            await Eventually.TrueAsync(() => api.Holder("reconciler-test", lease) == "replica-b", "replica-b took over the lease", 30);
            await Eventually.TrueAsync(() => standby.Logs.Lines.Any(l => l.Contains("replica-b is the leader", StringComparison.Ordinal)), "replica-b leads");
            _dir.Write("two.yaml", RealLibvirt.DomainYaml(Prefix + "2", state: "stopped"));
            await Eventually.TrueAsync(() => RealLibvirt.Domain(Prefix + "2").Exists, "the new leader defines the second domain");
            await Eventually.TrueAsync(() => Applied(standby, Prefix + "2"), "replica-b logged the apply");
            Assert.False(Applied(standby, Prefix + "1"), "replica-b did not re-apply what replica-a applied");
            Assert.Equal(["replica-a", "replica-b"], api.Holders);
            Assert.Equal(new LeadershipStatus("replica-b", true, "replica-b"), standby.Status.Leadership);
        }
        finally
        {
            if (a is not null) await a.DisposeAsync();
            if (b is not null) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_leader_that_loses_the_lease_stops_changing_anything()
    {
        await using var api = await FakeLeaseApi.StartAsync();
        var lease = "reconciler-" + Guid.NewGuid().ToString("N")[..6];
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        await using var a = await Controller.StartAsync(_dir.Path, Election(api, "replica-a", lease));
        await a.WaitAsync(s => s.Leadership is { Leading: true }, "replica-a leads");

        api.Steal("reconciler-test", lease, "intruder");
        await a.WaitAsync(s => s.Leadership is { Leading: false, Leader: "intruder" }, "replica-a gave up after failing to renew", 30);
        Assert.Contains(a.Logs.Lines, l => l.Contains("replica-a lost leadership", StringComparison.Ordinal));

        _dir.Write("three.yaml", RealLibvirt.DomainYaml(Prefix + "3", state: "stopped"));
        var held = await a.WaitAsync(s => a.Resource(s, Prefix + "3") is { Reason: "NotLeader" }, "the change is held, not applied");
        Assert.Equal("Suspended", a.Resource(held, Prefix + "3")!.State);
        Assert.False(RealLibvirt.Domain(Prefix + "3").Exists);
        Assert.False(Applied(a, Prefix + "3"));
    }

    [Fact]
    public void Losing_leadership_cancels_the_pass_token_at_once()
    {
        var settings = new LeaderElectionSettings(true, "l", "ns", "me", TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(300), null);
        var leadership = new Leadership(settings);
        Assert.False(leadership.ForPass().MayChange);
        leadership.Started();
        var (may, lost) = leadership.ForPass();
        Assert.True(may);
        Assert.False(lost.IsCancellationRequested);
        leadership.Stopped();
        Assert.True(lost.IsCancellationRequested);
        Assert.False(leadership.ForPass().MayChange);
        Assert.True(new Leadership(LeaderElectionSettings.Disabled).ForPass().MayChange);
    }
}
