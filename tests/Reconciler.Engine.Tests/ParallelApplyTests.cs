using System.Text;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The applier runs a node's independent domain steps side by side and everything else in plan
/// order, on the sandbox node (libvirt's real test driver). Overlap is shown by the steps
/// themselves (how many were in flight at once), never by wall-clock time.
/// </summary>
public sealed class ParallelApplyTests
{
    private const int Domains = 8;

    private static string Manifests()
    {
        var text = new StringBuilder("""
            apiVersion: reconciler/v1
            kind: Network
            metadata: {name: par-net}
            spec:
              mode: nat
              bridge: virbr-par
              ipv4: {address: 198.51.100.1/24}
            ---
            apiVersion: reconciler/v1
            kind: StoragePool
            metadata: {name: par-pool}
            spec: {type: dir, path: /var/lib/libvirt/pools/par}
            ---
            apiVersion: reconciler/v1
            kind: Volume
            metadata: {name: par-a}
            spec: {pool: par-pool, size: 1GiB, format: qcow2}
            ---
            apiVersion: reconciler/v1
            kind: Volume
            metadata: {name: par-b}
            spec: {pool: par-pool, size: 1GiB, format: qcow2}

            """);
        for (var i = 0; i < Domains; i++)
        {
            var disk = i < 2 ? $"\n  disks: [{{volume: par-{(char)('a' + i)}}}]" : "";
            text.Append($"""
                ---
                apiVersion: reconciler/v1
                kind: Domain
                metadata: {"{"}name: par-{i}{"}"}
                spec:
                  state: running
                  vcpus: 1
                  memory: 64MiB
                  graphics: {"{"}type: none{"}"}
                  interfaces: [{"{"}network: par-net{"}"}]{disk}

                """);
        }
        return text.ToString();
    }

    /// <summary>Counts steps in flight; a domain step holds its slot until a second one has joined (or <paramref name="hold"/> passed).</summary>
    private sealed class Probe(TimeSpan hold)
    {
        private readonly Lock _gate = new();
        private readonly ManualResetEventSlim _second = new();
        private int _inFlight;
        private int _domainSteps;

        public int MaxInFlight { get; private set; }
        public int MaxNonDomainInFlight { get; private set; }
        public List<(string Event, ResourceChange Change)> Events { get; } = [];

        public void Started(ResourceChange change)
        {
            lock (_gate)
            {
                _inFlight++;
                MaxInFlight = Math.Max(MaxInFlight, _inFlight);
                if (change.Kind != ResourceKind.Domain) MaxNonDomainInFlight = Math.Max(MaxNonDomainInFlight, _inFlight);
                Events.Add(("start", change));
                if (change.Kind == ResourceKind.Domain && ++_domainSteps >= 2) _second.Set();
                if (_inFlight >= 2) _second.Set();
            }
            // Sequential steps would never let a second one start: the wait then times out once and
            // the maximum stays 1, which the test reports.
            if (change.Kind == ResourceKind.Domain && !_second.Wait(hold)) _second.Set();
        }

        public void Finished(ResourceChange change)
        {
            lock (_gate)
            {
                _inFlight--;
                Events.Add(("end", change));
            }
        }
    }

    private static async Task<(Plan Plan, ApplyResult Result)> ApplyAsync(SpecDir dir, Probe probe, int maxParallel)
    {
        var loaded = Workspace.Load(dir.Path, connect: null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("; ", loaded.Diagnostics));
        var (sessions, errors) = await Workspace.OpenAsync(loaded.Nodes, CancellationToken.None);
        try
        {
            Assert.Empty(errors);
            var live = await Workspace.ReadAsync(loaded.Nodes, sessions, errors, CancellationToken.None);
            var plan = Planner.Compute(loaded.Specs!, live, Workspace.Options(loaded.Nodes, adopt: false));
            var progress = new StringWriter();
            var applier = new Applier(sessions, new ApplyOptions(TimeSpan.FromSeconds(2), VerifyLive: false, MaxParallelSteps: maxParallel), progress)
            {
                StepStarted = probe.Started,
                StepFinished = probe.Finished,
            };
            var result = applier.Apply(plan, CancellationToken.None);
            Assert.True(result.Succeeded, progress.ToString());
            // Every step's lines are whole lines that name it, whichever order they came in.
            var lines = progress.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 1; i <= plan.Changes.Count; i++)
            {
                Assert.Contains(lines, l => l.StartsWith($"[{i}/{plan.Changes.Count}] ", StringComparison.Ordinal) && l.TrimEnd().EndsWith("s", StringComparison.Ordinal));
            }
            return (plan, result);
        }
        finally
        {
            foreach (var s in sessions.Values) s.Dispose();
        }
    }

    [Fact]
    public async Task Independent_domain_steps_overlap_while_storage_and_network_steps_run_one_at_a_time_before_them()
    {
        using var dir = new SpecDir().Write("all.yaml", Manifests());
        var probe = new Probe(TimeSpan.FromSeconds(30));
        var (plan, result) = await ApplyAsync(dir, probe, ParallelSteps.DefaultMaxParallel);

        Assert.Equal(Domains, plan.Changes.Count(c => c.Kind == ResourceKind.Domain && c.Action == ChangeAction.Create));
        Assert.True(plan.Changes.Count(c => c.Kind != ResourceKind.Domain) >= 4, string.Join(", ", plan.Changes.Select(c => c.Name)));
        Assert.True(probe.MaxInFlight >= 2, $"at most {probe.MaxInFlight} step(s) were in flight at once");
        Assert.True(probe.MaxInFlight <= ParallelSteps.DefaultMaxParallel, $"{probe.MaxInFlight} steps in flight, more than the bound");
        Assert.Equal(1, probe.MaxNonDomainInFlight);
        // Order still holds: every network, pool and volume step has ended before the first domain step starts.
        var firstDomain = probe.Events.FindIndex(e => e is ("start", { Kind: ResourceKind.Domain }));
        var lastOther = probe.Events.FindLastIndex(e => e is ("end", { Kind: not ResourceKind.Domain }));
        Assert.True(lastOther < firstDomain, string.Join(", ", probe.Events.Select(e => $"{e.Event} {e.Change.Name}")));
        // Outcomes stay in plan order, one per change.
        Assert.Equal(plan.Changes, result.Steps.Select(s => s.Change));

        var again = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    [Fact]
    public async Task One_step_at_a_time_when_asked()
    {
        using var dir = new SpecDir().Write("all.yaml", Manifests());
        var probe = new Probe(TimeSpan.Zero);
        var (_, result) = await ApplyAsync(dir, probe, maxParallel: 1);
        Assert.True(result.Succeeded);
        Assert.Equal(1, probe.MaxInFlight);
    }
}
