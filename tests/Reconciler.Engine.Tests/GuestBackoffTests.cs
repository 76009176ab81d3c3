using Reconciler.Core.Model;
using Reconciler.Engine.Guests;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The guest watch's backoff (<see cref="GuestBackoff"/>) on libvirt's in-process test driver
/// (test:///default, shared by every connection of this process; domains named <c>gw-*</c>): a
/// ready guest that reads the same is read again only after 2, 4… rounds up to the cap, a
/// lifecycle event of its domain makes it read in the next round, and a guest not ready is read
/// every round. A guest not read in a round comes back as the same <see cref="GuestStatus"/>
/// instance; every read makes a new one.
/// </summary>
public sealed class GuestBackoffTests : IDisposable
{
    private const string Uri = "test:///default";
    private readonly string _prefix = $"gw-{Guid.NewGuid():N}"[..11] + "-";

    // Holds test:///default's in-process state (it is dropped with its last connection) and makes the changes.
    private readonly LibvirtConnection _libvirt = LibvirtConnection.Open(Uri, enableEvents: true);

    public GuestBackoffTests()
    {
        // Ready: runs with an interface (the test driver reports a made-up address for it).
        Define(Ready, "<interface type='network'><mac address='52:54:00:77:00:01'/><source network='default'/></interface>");
        // Not ready by an address check: no interface, so never an address.
        Define(NotReady, "");
    }

    private string Ready => _prefix + "ready";

    private string NotReady => _prefix + "waiting";

    public void Dispose()
    {
        foreach (var name in new[] { Ready, NotReady })
        {
            using var domain = _libvirt.LookupDomainByName(name);
            if (domain is null) continue;
            if (domain.IsActive) domain.Destroy();
            domain.Undefine();
        }
        _libvirt.Dispose();
    }

    private void Define(string name, string devices)
    {
        using var domain = _libvirt.DefineDomain($"<domain type='test'><name>{name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
            + $"<os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>");
        domain.Create();
    }

    private SpecSet Specs(string readyReadiness = "")
    {
        using var dir = new SpecDir().Write("vms.yaml", $$$"""
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: {{{Ready}}}}
            spec: {memory: 64MiB{{{readyReadiness}}}}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: {{{NotReady}}}}
            spec: {memory: 64MiB, readiness: {address: true}}

            """);
        var loaded = Workspace.Load(dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded.Specs!;
    }

    private static readonly IReadOnlyList<NodeTarget> Nodes = [new("n1", Uri)];

    /// <summary>The last status of each domain.</summary>
    private readonly Dictionary<string, GuestStatus> _last = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="rounds"/> rounds, numbered from <paramref name="first"/>; returns, per domain, the rounds in which it was read.</summary>
    private async Task<Dictionary<string, List<int>>> RoundsAsync(GuestWatch watch, SpecSet specs, int first, int rounds)
    {
        var read = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var round = first; round < first + rounds; round++)
        {
            foreach (var s in await watch.ReadAsync(specs, Nodes, GuestReadOptions.Default, CancellationToken.None))
            {
                if (!_last.TryGetValue(s.Name, out var before) || !ReferenceEquals(before, s))
                {
                    if (!read.TryGetValue(s.Name, out var list)) read[s.Name] = list = [];
                    list.Add(round);
                }
                _last[s.Name] = s;
            }
        }
        return read;
    }

    [Fact]
    public async Task A_ready_guest_is_read_after_2_4_rounds_up_to_the_cap_and_a_guest_not_ready_every_round()
    {
        var specs = Specs();
        await using var watch = new GuestWatch(backoff: new GuestBackoff(MaxRounds: 4));

        var read = await RoundsAsync(watch, specs, 1, 13);

        Assert.Equal("running", _last[Ready].State);
        Assert.True(_last[Ready].Ready, _last[Ready].Reason);
        Assert.NotEmpty(_last[Ready].Addresses);
        Assert.False(_last[NotReady].Ready, _last[NotReady].Reason);
        Assert.Equal("no address yet", _last[NotReady].Reason);
        // Same read twice: every 2 rounds, then 4 (the cap) and no more.
        Assert.Equal([1, 2, 4, 8, 12], read[Ready]);
        Assert.Equal(Enumerable.Range(1, 13), read[NotReady]);
        Assert.Equal(5 + 13, watch.Reads);
    }

    [Fact]
    public async Task A_lifecycle_event_makes_a_settled_guest_read_in_the_next_round()
    {
        var specs = Specs();
        await using var watch = new GuestWatch(backoff: new GuestBackoff(MaxRounds: 64));
        var settled = await RoundsAsync(watch, specs, 1, 16);
        Assert.Equal([1, 2, 4, 8, 16], settled[Ready]); // next due in round 32

        // Pause and resume it from another connection: two lifecycle events, no change in what a read gives.
        var seen = new SemaphoreSlim(0);
        using (_libvirt.RegisterDomainLifecycleEvents(e => { if (e.DomainName == Ready) seen.Release(); }))
        {
            using var domain = _libvirt.LookupDomainByName(Ready)!;
            domain.Suspend();
            domain.Resume();
            Assert.True(await seen.WaitAsync(TimeSpan.FromSeconds(30)) && await seen.WaitAsync(TimeSpan.FromSeconds(30)), "no lifecycle events");
        }
        // The watch's own connection hears the events on libvirt's event thread too: poll a few rounds for it.
        var before = _last[Ready];
        var readAt = 0;
        for (var round = 17; round < 32 && readAt == 0; round++)
        {
            await RoundsAsync(watch, specs, round, 1);
            if (!ReferenceEquals(_last[Ready], before)) readAt = round;
            else await Task.Delay(200);
        }

        Assert.True(readAt > 0, "the guest was not read again before its backoff ran out (round 32)");
        Assert.Equal("running", _last[Ready].State);
        Assert.True(_last[Ready].Ready);
        // Read again after an event, it starts over: the next round, then 2 rounds later.
        var after = await RoundsAsync(watch, specs, readAt + 1, 3);
        Assert.Equal([readAt + 1, readAt + 3], after.GetValueOrDefault(Ready, []));
    }

    [Fact]
    public async Task A_settled_guest_paused_behind_the_watch_reads_as_paused_although_its_due_reads_skip_the_state_call()
    {
        var specs = Specs();
        await using var watch = new GuestWatch(backoff: new GuestBackoff(MaxRounds: 64));
        // Rounds 2, 4, 8 are due reads of a settled guest: its kept handle, its state taken as running.
        Assert.Equal([1, 2, 4, 8], (await RoundsAsync(watch, specs, 1, 8))[Ready]);
        Assert.Equal("running", _last[Ready].State);

        var seen = new SemaphoreSlim(0);
        using (_libvirt.RegisterDomainLifecycleEvents(e => { if (e.DomainName == Ready) seen.Release(); }))
        {
            using var domain = _libvirt.LookupDomainByName(Ready)!;
            domain.Suspend();
            Assert.True(await seen.WaitAsync(TimeSpan.FromSeconds(30)), "no lifecycle event");
        }
        // The pause is a lifecycle event: the next read asks for the state again and finds it paused.
        for (var round = 9; round < 16 && _last[Ready].State == "running"; round++)
        {
            await RoundsAsync(watch, specs, round, 1);
            if (_last[Ready].State == "running") await Task.Delay(200);
        }
        Assert.Equal("paused", _last[Ready].State);
        Assert.False(_last[Ready].Ready);
    }

    [Fact]
    public async Task Another_readiness_check_in_the_specs_makes_a_settled_guest_read_in_the_next_round()
    {
        await using var watch = new GuestWatch(backoff: new GuestBackoff(MaxRounds: 64));
        var settled = await RoundsAsync(watch, Specs(), 1, 8);
        Assert.Equal([1, 2, 4, 8], settled[Ready]);

        var read = await RoundsAsync(watch, Specs(", readiness: {address: true}"), 9, 1);

        Assert.Equal([9], read[Ready]);
        Assert.Equal(new Readiness(ReadinessKind.Address), _last[Ready].Readiness);
        Assert.True(_last[Ready].Ready, _last[Ready].Reason);
    }

    [Fact]
    public async Task A_woken_round_reads_only_what_became_due_and_advances_no_backoff()
    {
        var specs = Specs();
        await using var watch = new GuestWatch(backoff: new GuestBackoff(MaxRounds: 4));
        Assert.Equal([1, 2], (await RoundsAsync(watch, specs, 1, 2))[Ready]); // due again in round 4

        var reads = watch.Reads;
        foreach (var _ in Enumerable.Range(0, 5))
        {
            foreach (var s in await watch.ReadAsync(specs, Nodes, GuestReadOptions.Default, CancellationToken.None, tick: false))
            {
                Assert.Same(_last[s.Name], s);
            }
        }
        Assert.Equal(reads, watch.Reads);

        var read = await RoundsAsync(watch, specs, 3, 2);
        Assert.Equal([4], read[Ready]);
        Assert.Equal([3, 4], read[NotReady]);
    }

    [Fact]
    public async Task Without_a_backoff_every_running_guest_is_read_every_round()
    {
        await using var watch = new GuestWatch();

        var read = await RoundsAsync(watch, Specs(), 1, 4);

        Assert.Equal([1, 2, 3, 4], read[Ready]);
        Assert.Equal([1, 2, 3, 4], read[NotReady]);
    }
}
