using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Core.Model;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Nodes;
using Reconciler.Engine.Reconcile;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// The level-based loop: waits for a trigger (or the resync timer, or the next retry), then runs
/// one pass over the revision in force, reading desired and live state afresh every time. One
/// pass at a time; on shutdown the step in flight finishes and the rest is abandoned.
/// Reads: the pass due a resync period after the last full read (<see cref="ControllerSettings.ResyncAfter"/>) fetches every
/// definition; the passes between reuse what the node connections read of a domain libvirt sent
/// no lifecycle event for since (see docs/controller.md, "What a pass reads"). Scope: a pass that
/// only a new revision or domain events asked for is targeted at the domains the revision changed
/// and the events named (<see cref="PassScope"/>, docs/controller.md, "Targeted passes"); the
/// resync, a retry and every other request look at everything.
/// </summary>
internal sealed partial class ReconcileService(
    ISpecSource source,
    DesiredState desired,
    ReconcileTrigger trigger,
    PassPolicies policies,
    IReconcileObserver observer,
    ControllerSettings settings,
    TimeProvider clock,
    ILogger<ReconcileService> logger,
    NodeConnectionService connections,
    SourceTrigger fetches,
    GitHub.ApplyStatusTracker github,
    Metrics metrics) : BackgroundService
{
    /// <summary>The specs of the last pass that ran to its end; null before it, and after a pass that failed (the next one looks at everything).</summary>
    private SpecSet? _lastSpecs;

    /// <summary>The nodes of the revision in force, for the event listener.</summary>
    public IReadOnlyList<NodeTarget> Nodes { get; private set; } = [];

    /// <summary>The resync period in force (<see cref="ControllerSettings.ResyncAfter"/> of the last full read).</summary>
    public TimeSpan ResyncPeriod { get; private set; } = settings.ResyncAfter(TimeSpan.Zero);

    /// <summary>Raised (on the loop's thread) when the set of nodes changes.</summary>
    public event Action? NodesChanged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastFull = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var resync = ResyncPeriod;
            var sinceFull = clock.GetUtcNow() - lastFull;
            var wait = sinceFull >= resync ? settings.Interval : resync - sinceFull;
            if (policies.NextRetry() is { } wake)
            {
                var until = wake - clock.GetUtcNow();
                if (until < wait) wait = until < TimeSpan.Zero ? TimeSpan.Zero : until;
            }
            PassRequest request;
            try
            {
                request = await trigger.TakeAsync(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var snapshot = desired.Good;
            if (snapshot is null) continue; // nothing valid to reconcile yet
            var full = clock.GetUtcNow() - lastFull >= resync;
            if (full) lastFull = clock.GetUtcNow();
            var specs = snapshot.Load.Specs!;
            var scope = full ? null : PassScope.Of(_lastSpecs, specs, request, TargetLimit(specs), wholeRevisions: github.Enabled);
            var why = request.Reasons.Count == 0 ? "timer" : string.Join(", ", request.Reasons);
            why = full ? why + " (full read)" : scope is null ? why : $"{why} (targeted: {scope.Count} domain(s))";
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var whole = await PassAsync(snapshot, why, full, scope, stoppingToken).ConfigureAwait(false);
            if (ProcessMemory.Enabled) ProcessMemory.TrimAfterPass(whole);
            if (full)
            {
                // The process's CPU over the full read and the trim after it (anything else running meanwhile counts too: the period errs long).
                var fullCpu = Environment.CpuUsage.TotalTime - cpuBefore;
                ResyncPeriod = settings.ResyncAfter(fullCpu);
                metrics.FullRead(fullCpu, ResyncPeriod);
            }
        }
        LogStopped();
    }

    /// <summary>The most domains a targeted pass is about; more, and planning them costs about what planning all does.</summary>
    private static int TargetLimit(SpecSet specs) => Math.Max(64, specs.Domains.Count / 4);

    /// <summary>Runs one pass; returns false only for a targeted pass that kept to its scope.</summary>
    private async Task<bool> PassAsync(SourceSnapshot snapshot, string why, bool full, IReadOnlySet<string>? scope, CancellationToken ct)
    {
        var specs = snapshot.Load.Specs!;
        var revision = snapshot.Revision;
        var clockStart = Stopwatch.StartNew();
        var leaderLost = CancellationToken.None;
        try
        {
            var (nodes, resolveErrors) = NodeResolver.Resolve(specs, source.StateDirectory, settings.Connect,
                Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI"));
            if (resolveErrors.Any(d => d.Severity == Core.Diagnostics.Severity.Error))
            {
                throw new InvalidOperationException(string.Join("; ", resolveErrors.Select(d => d.Message)));
            }
            if (!nodes.Select(n => n.Name + "=" + n.Uri).SequenceEqual(Nodes.Select(n => n.Name + "=" + n.Uri)))
            {
                Nodes = nodes;
                NodesChanged?.Invoke();
            }
            LogPass(revision, why);
            // The specs' domains are watched from now on, not only once this pass has reported: an
            // event during the pass (another replica defining one of them, say) must ask for a pass.
            if (!ReferenceEquals(specs, _lastSpecs)) trigger.WatchMore(specs.Domains.Select(d => d.Name));
            observer.PassStarted(revision);
            var (policy, lost) = policies.For(snapshot);
            policy = policy with { ReuseDefinitions = !full, Scope = scope };
            leaderLost = lost;
            using var progress = new LogWriter(line => LogStep(revision, line));
            using var passCancel = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
            var report = await ReconcilePass.RunAsync(specs, nodes, policy, progress, passCancel.Token, connections.Pool).ConfigureAwait(false);
            var elapsed = clockStart.Elapsed;
            var reported = report.Resources.Where(r => r.Kind == ResourceKind.Domain).Select(r => r.Name);
            // A targeted pass reports only its scope: the domains watched for the rest stay as the last whole pass set them.
            if (report.Scope is null) trigger.WatchDomains(specs.Domains.Select(d => d.Name).Concat(reported));
            else trigger.WatchMore(reported);
            _lastSpecs = specs;
            observer.PassFinished(revision, report, elapsed);
            // Pending removals are due when the source has been unchanged for the settle time: read
            // it again then (the read asks for a pass, which removes them if it still lacks them).
            if (report.Resources.Where(r => r.Outcome == ResourceOutcome.PrunePending).Min(r => r.PruneAt) is { } due)
            {
                fetches.RequestAt(due + TimeSpan.FromMilliseconds(20));
            }
            return report.Scope is null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _lastSpecs = null;
            LogAbandoned(revision);
        }
        catch (OperationCanceledException) when (leaderLost.IsCancellationRequested)
        {
            _lastSpecs = null;
            LogLeadershipLost(revision);
        }
#pragma warning disable CA1031 // one bad pass must not stop the controller
        catch (Exception e)
#pragma warning restore CA1031
        {
            _lastSpecs = null;
            observer.PassFailed(revision, e, clockStart.Elapsed);
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "revision={Revision} reconciling (trigger: {Why})")]
    private partial void LogPass(string revision, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "revision={Revision} {Line}")]
    private partial void LogStep(string revision, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "revision={Revision} pass abandoned between steps: shutting down")]
    private partial void LogAbandoned(string revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "revision={Revision} pass abandoned between steps: leadership lost")]
    private partial void LogLeadershipLost(string revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "reconcile loop stopped")]
    private partial void LogStopped();
}

/// <summary>Turns the applier's progress lines into log lines.</summary>
internal sealed class LogWriter(Action<string> log) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            Flush();
        }
        else if (value != '\r')
        {
            _line.Append(value);
        }
    }

    public override void Flush()
    {
        if (_line.Length == 0) return;
        log(_line.ToString().Trim());
        _line.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }
}
