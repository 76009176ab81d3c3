using Reconciler.Benchmarks;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// <c>reconcile plan</c> opens and reads the nodes while the specs still load (<see cref="NodePrefetch"/>):
/// the plan is made from those reads, only for targets exactly as resolved, and sessions nobody
/// takes are closed. Real test-driver node files throughout.
/// </summary>
public sealed class NodePrefetchTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "reconcile-prefetch-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Writes an estate and loads its specs with a prefetch, as <c>plan</c> (read) or <c>apply</c> (connections only) does.</summary>
    private (ScaleEstate.Estate Estate, NodePrefetch Prefetch, LoadedSpecs Loaded) Load(int nodes, int domains, bool read)
    {
        var estate = ScaleEstate.Write(_root, nodes, domains);
        var prefetch = new NodePrefetch(read);
        var loaded = Workspace.Load(estate.Specs, null, CancellationToken.None, prefetch);
        Assert.False(loaded.HasErrors, string.Join('\n', loaded.Diagnostics));
        return (estate, prefetch, loaded);
    }

    [Fact]
    public async Task The_plan_uses_the_reads_made_while_loading()
    {
        var (estate, prefetch, loaded) = Load(nodes: 3, domains: 30, read: true);
        using var owned = prefetch;
        Assert.Equal(3, prefetch.Started);
        await prefetch.Settled();

        // Drift written after the nodes were read: the plan from the prefetched reads cannot see it …
        ScaleEstate.DriftMemory(estate, node: 1, i: 4, mebibytes: 32);
        var early = await Operations.PlanAsync(loaded, adopt: false, CancellationToken.None, prefetch: prefetch);
        Assert.True(early.IsEmpty, string.Join('\n', early.Changes.Select(c => $"{c.Node}/{c.Name}")));
        Assert.Equal(3, early.Nodes.Count);

        // … and a plan that opens the nodes now does (the prefetched reads were used once and are gone).
        var now = await Operations.PlanAsync(loaded, adopt: false, CancellationToken.None, prefetch: prefetch);
        var change = Assert.Single(now.Changes);
        Assert.Equal((ScaleEstate.NodeName(1), ScaleEstate.DomainName(1, 4)), (change.Node, change.Name));
    }

    [Fact]
    public async Task Apply_takes_the_prefetched_connection_and_reads_the_node_only_under_its_lock()
    {
        var (_, prefetch, loaded) = Load(nodes: 1, domains: 4, read: false);
        using var owned = prefetch;
        await prefetch.Settled();
        var early = await prefetch.Peek(loaded.Nodes[0])!;
        Assert.Null(early.Live); // connections only
        // Changed through the prefetched connection after it opened: a read made then would miss it;
        // a fresh open of the node file would not see it either. Only a read at apply time, through
        // this connection, finds the domain gone.
        var gone = ScaleEstate.DomainName(0, 1);
        using (var domain = early.Session!.Connection.LookupDomainByName(gone)!) domain.Undefine();

        var report = await Operations.PlanAndApplyAsync(loaded, adopt: false, new ApplyOptions(TimeSpan.FromSeconds(5), false),
            TimeSpan.FromSeconds(5), _ => true, TextWriter.Null, CancellationToken.None, prefetch: prefetch);
        var change = Assert.Single(report.Plan.Changes);
        Assert.Equal(gone, change.Name);
        Assert.True(report.Result!.Succeeded, string.Join('\n', report.Result.Steps.Select(s => s.ToString())));
        Assert.Null(prefetch.Take(loaded.Nodes[0])); // taken by apply, and closed by it

        using var readsEarly = new NodePrefetch(read: true);
        await Assert.ThrowsAsync<ArgumentException>(() => Operations.PlanAndApplyAsync(loaded, adopt: false,
            new ApplyOptions(TimeSpan.FromSeconds(5), false), TimeSpan.FromSeconds(5), _ => true, TextWriter.Null, CancellationToken.None,
            prefetch: readsEarly));
    }

    [Fact]
    public async Task Only_a_target_resolved_exactly_as_prefetched_takes_the_prefetch()
    {
        var estate = ScaleEstate.Write(_root, nodes: 1, domains: 4);
        var target = new NodeTarget(ScaleEstate.NodeName(0), "test://" + estate.NodeFile(0), "test");
        using var prefetch = new NodePrefetch(read: false);
        prefetch.Start([target, target], CancellationToken.None);
        Assert.Equal(1, prefetch.Started);
        Assert.Null(prefetch.Take(target with { ConnectTimeout = TimeSpan.FromSeconds(3) }));
        Assert.Null(prefetch.Take(target with { Uri = "test:///default" }));
        var taken = await prefetch.Take(target)!;
        using var session = taken.Session;
        Assert.NotNull(session);
        Assert.Null(taken.Live); // not asked to read
        Assert.Null(prefetch.Take(target)); // taken once
    }

    [Fact]
    public async Task A_reading_prefetch_closes_each_connection_after_its_read_and_the_plan_still_reads_every_node()
    {
        var estate = ScaleEstate.Write(_root, nodes: 2, domains: 8);
        var loaded = Workspace.Load(estate.Specs, null, CancellationToken.None);
        using var prefetch = new NodePrefetch(read: true);
        prefetch.Start(loaded.Nodes, CancellationToken.None);
        prefetch.Loaded(loaded.Specs); // a reading prefetch reads the hardware the specs need before it closes the node
        await prefetch.Settled();
        var early = await prefetch.Peek(loaded.Nodes[0])!;
        Assert.Null(early.Session); // closed right after the read
        Assert.Null(early.Error);
        Assert.Equal(4, early.Live!.Domains.Count);

        var plan = await Operations.PlanAsync(loaded, adopt: false, CancellationToken.None, prefetch: prefetch);
        Assert.True(plan.IsEmpty, string.Join('\n', plan.Diagnostics.Select(d => d.Message)));
        Assert.Equal(8, plan.Unchanged.Count);
        Assert.All(plan.Nodes, n => Assert.Null(n.Error));
    }

    [Fact]
    public async Task A_reading_prefetch_reopens_an_in_process_node_only_for_the_hardware_the_specs_ask_of_it()
    {
        var estate = ScaleEstate.Write(_root, nodes: 2, domains: 4);
        File.WriteAllText(Path.Combine(estate.Specs, "custom-cpu.yaml"), """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: prefetch-custom-cpu}
            spec: {node: n00, state: stopped, vcpus: 1, memory: 64MiB, cpu: {mode: custom, model: qemu64}, graphics: {type: none}}
            """);
        using var prefetch = new NodePrefetch(read: true);
        var loaded = Workspace.Load(estate.Specs, null, CancellationToken.None, prefetch);
        Assert.False(loaded.HasErrors, string.Join('\n', loaded.Diagnostics));
        await prefetch.Settled();
        var n00 = loaded.Nodes.Single(n => n.Name == ScaleEstate.NodeName(0));
        var asked = await prefetch.Peek(n00)!;
        var unasked = await prefetch.Peek(loaded.Nodes.Single(n => n.Name == ScaleEstate.NodeName(1)))!;
        Assert.Null(asked.Session); // closed after the read, and again after the hardware
        Assert.Null(unasked.Session);

        // n00 was asked for domain capabilities: the answer is the one an open session gives (the test driver has none) …
        using var session = NodeSession.Open(n00);
        var expected = session.ReadHardware(Workspace.QueryFor(loaded.Specs!, n00.Name, session.DomainType));
        var key = Assert.Single(expected.DomainCaps.Keys);
        Assert.Equal("the node's driver does not support virConnectGetDomainCapabilities", expected.DomainCaps[key].Unavailable);
        Assert.Equal(expected.DomainCaps[key].Unavailable, asked.Live!.Hardware!.DomainCaps[key].Unavailable);
        Assert.Equal(2, asked.Live.Domains.Count);
        // … and n01, asked nothing, has the answers of a query that asks nothing, made without a connection.
        var none = session.ReadHardware(HardwareQuery.None);
        Assert.Empty(unasked.Live!.Hardware!.DomainCaps);
        Assert.Equal(none.FreePages.Unavailable, unasked.Live.Hardware.FreePages.Unavailable);
        Assert.Equal(none.Host.Unavailable, unasked.Live.Hardware.Host.Unavailable);
        Assert.Equal(none.Devices.Unavailable, unasked.Live.Hardware.Devices.Unavailable);
    }

    [Fact]
    public async Task Disposing_closes_the_sessions_nobody_took_and_stops_further_prefetching()
    {
        var estate = ScaleEstate.Write(_root, nodes: 2, domains: 4);
        var a = new NodeTarget(ScaleEstate.NodeName(0), "test://" + estate.NodeFile(0), "test");
        var b = new NodeTarget(ScaleEstate.NodeName(1), "test://" + estate.NodeFile(1), "test");
        var prefetch = new NodePrefetch(read: false);
        prefetch.Start([a, b], CancellationToken.None);
        await prefetch.Settled();
        var takenA = await prefetch.Take(a)!;
        var sessionB = (await prefetch.Peek(b)!).Session!;
        Assert.True(sessionB.Connection.IsAlive);

        prefetch.Dispose();
        Assert.False(sessionB.Connection.IsAlive);
        Assert.True(takenA.Session!.Connection.IsAlive); // taken: the taker's to close
        takenA.Session.Dispose();
        prefetch.Start([a], CancellationToken.None);
        Assert.Null(prefetch.Take(a));
    }
}
