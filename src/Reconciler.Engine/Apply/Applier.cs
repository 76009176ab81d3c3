using System.Diagnostics;
using System.Globalization;

namespace Reconciler.Engine.Apply;

/// <summary>How apply behaves.</summary>
/// <param name="ShutdownTimeout">How long a graceful ACPI shutdown may take before a hard stop.</param>
/// <param name="VerifyLive">Refuse the plan when a touched object's live state changed since the plan (saved plans).</param>
/// <param name="MaxParallelRestarts">How many domains may be restarted at the same time.</param>
/// <param name="MaxParallelSteps">
/// How many independent steps of a node (its domain creates, updates, starts, stops, destroys) may
/// run at the same time; 1 applies every step in plan order, one after the other.
/// </param>
public sealed record ApplyOptions(TimeSpan ShutdownTimeout, bool VerifyLive, int MaxParallelRestarts = 1,
    int MaxParallelSteps = ParallelSteps.DefaultMaxParallel);

/// <summary>The outcome of one step.</summary>
/// <param name="Change">The planned change.</param>
/// <param name="Status">What happened.</param>
/// <param name="Message">An error or a note, or null.</param>
public sealed record StepOutcome(ResourceChange Change, StepStatus Status, string? Message = null);

/// <summary>What happened to one step.</summary>
public enum StepStatus
{
    /// <summary>Done.</summary>
    Done,
    /// <summary>Tried and failed; the error says why.</summary>
    Failed,
    /// <summary>Not tried (its node failed, or the plan was refused).</summary>
    NotDone,
}

/// <summary>All step outcomes, in plan order.</summary>
/// <param name="Steps">Outcomes.</param>
/// <param name="Refusal">When the whole plan was refused before any step: why.</param>
public sealed record ApplyResult(IReadOnlyList<StepOutcome> Steps, string? Refusal = null)
{
    /// <summary>True when every step was done.</summary>
    public bool Succeeded => Refusal is null && Steps.All(s => s.Status == StepStatus.Done);
}

/// <summary>
/// Executes a <see cref="Plan"/>: exactly its changes, nothing else. A step starts only after every
/// step it may depend on has finished (<see cref="ParallelSteps"/>: a node's waves in plan order,
/// the steps of a domain wave side by side, at most <see cref="ApplyOptions.MaxParallelSteps"/> at
/// a time). A failed step is reported and does not stop the steps that do not depend on it.
/// Progress lines are whole lines, each naming its step (<c>[i/total]</c>), so lines of steps that
/// run together interleave but stay readable.
/// </summary>
internal sealed partial class Applier(IReadOnlyDictionary<string, NodeSession> sessions, ApplyOptions options, TextWriter progress)
{
    /// <summary>Test hook: called on the step's thread just before a step that has a session is carried out.</summary>
    internal Action<ResourceChange>? StepStarted { get; init; }

    /// <summary>Test hook: called on the step's thread when that step has finished, failed or not.</summary>
    internal Action<ResourceChange>? StepFinished { get; init; }

    /// <summary>Applies <paramref name="plan"/>; the caller holds the node locks.</summary>
    public ApplyResult Apply(Plan plan, CancellationToken ct)
    {
        if (options.VerifyLive && VerifyUnchanged(plan) is { } refusal)
        {
            return new ApplyResult(plan.Changes.Select(c => new StepOutcome(c, StepStatus.NotDone)).ToList(), refusal);
        }
        if (plan.Diagnostics.FirstOrDefault(d => d.Code == Planner.GateCode) is { } gate)
        {
            return new ApplyResult(plan.Changes.Select(c => new StepOutcome(c, StepStatus.NotDone)).ToList(),
                "the plan exceeds the allowed disruption, nothing was applied: " + gate.Message);
        }
        progress = TextWriter.Synchronized(progress);
        var total = plan.Changes.Count;
        var outcomes = new StepOutcome[total];
        var restarts = new List<(int Index, DomainUpdate Change, NodeSession Session, string Label)>();
        // Independent steps (a node's domain wave) run side by side; everything else in plan order.
        ParallelSteps.Run(plan.Changes, Math.Max(1, options.MaxParallelSteps), i =>
        {
            var change = plan.Changes[i];
            var label = $"[{i + 1}/{total}] {PlanSymbols.Of(change.Action)} {change.Kind.ToString().ToLowerInvariant()} {change.Name} on {change.Node}";
            if (ct.IsCancellationRequested)
            {
                outcomes[i] = new StepOutcome(change, StepStatus.NotDone, "cancelled");
                return;
            }
            if (!sessions.TryGetValue(change.Node, out var session))
            {
                progress.WriteLine($"{label}: not done (node not connected)");
                outcomes[i] = new StepOutcome(change, StepStatus.NotDone, "node not connected");
                return;
            }
            progress.WriteLine($"{label}: {Verb(change)}…");
            var clock = Stopwatch.StartNew();
            StepStarted?.Invoke(change);
            try
            {
                Execute(session, plan, change);
                outcomes[i] = new StepOutcome(change, StepStatus.Done);
                if (change is DomainUpdate { Restart: true } update)
                {
                    progress.WriteLine($"{label}: redefined in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s; restart queued");
                    lock (restarts) restarts.Add((i, update, session, label));
                }
                else
                {
                    progress.WriteLine($"{label}: done in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
                }
            }
            catch (Exception e) when (e is LibvirtException or RenderException or ApplyStepException)
            {
                progress.WriteLine($"{label}: FAILED: {e.Message}");
                outcomes[i] = new StepOutcome(change, StepStatus.Failed, e.Message);
            }
            finally
            {
                StepFinished?.Invoke(change);
            }
        });
        restarts.Sort((a, b) => a.Index.CompareTo(b.Index));
        var ordered = outcomes.ToList();
        Restart(restarts, ordered, ct);
        foreach (var session in sessions.Values) session.Persist();
        return new ApplyResult(ordered);
    }

    /// <summary>
    /// Restarts the domains whose updates need it, at most <see cref="ApplyOptions.MaxParallelRestarts"/>
    /// at a time: graceful shutdown with a timeout, then a hard stop, then a start.
    /// </summary>
    private void Restart(List<(int Index, DomainUpdate Change, NodeSession Session, string Label)> restarts, List<StepOutcome> outcomes, CancellationToken ct)
    {
        if (restarts.Count == 0) return;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelRestarts), CancellationToken = ct };
        Parallel.ForEach(restarts, parallel, r =>
        {
            var change = r.Change;
            progress.WriteLine($"{r.Label}: restarting…");
            try
            {
                using var domain = Lookup(r.Session, change.Name);
                if (domain.IsActive) Stop(domain);
                domain.Create();
                progress.WriteLine($"{r.Label}: restarted; the new definition is live");
            }
            catch (Exception e) when (e is LibvirtException or ApplyStepException)
            {
                var hint = change.Desired.SnapshotBeforeUpdate
                    ? $" Roll back with: reconcile rollback {change.Name} --connect {r.Session.Target.Uri}"
                    : "";
                progress.WriteLine($"{r.Label}: RESTART FAILED: {e.Message}.{hint}");
                lock (outcomes) outcomes[r.Index] = new StepOutcome(change, StepStatus.Failed, $"restart failed: {e.Message}.{hint}");
            }
        });
    }

    private string? VerifyUnchanged(Plan plan)
    {
        var moved = new List<string>();
        foreach (var change in plan.Changes)
        {
            if (!sessions.TryGetValue(change.Node, out var session)) continue;
            if (change is not DomainChange)
            {
                if (StaleSteps.Stale(session, change) is { } why) moved.Add($"{change.Kind.ToString().ToLowerInvariant()} {change.Name} on {change.Node}: {why}");
                continue;
            }
            if (change is DomainMigrate move)
            {
                var source = sessions.TryGetValue(move.FromNode, out var s) ? s.ReadDomain(move.Name) : null;
                if (source is null || source.Fingerprint != move.LiveFingerprint) moved.Add($"{move.Name} on {move.FromNode}: changed since the plan was made");
                continue;
            }
            var live = session.ReadDomain(change.Name);
            if (change.LiveFingerprint is null && live is not null)
            {
                moved.Add($"{change.Name} on {change.Node}: now exists");
            }
            else if (change.LiveFingerprint is not null && live is null)
            {
                moved.Add($"{change.Name} on {change.Node}: no longer exists");
            }
            else if (change.LiveFingerprint is not null && live!.Fingerprint != change.LiveFingerprint)
            {
                moved.Add($"{change.Name} on {change.Node}: changed since the plan was made");
            }
        }
        return moved.Count == 0 ? null
            : "the saved plan is stale, nothing was applied: " + string.Join("; ", moved) + ". Run `reconcile plan` again.";
    }

    /// <summary>Carries out one change: the step is chosen by the change's type.</summary>
    private void Execute(NodeSession session, Plan plan, ResourceChange change)
    {
        switch (change)
        {
            case DomainCreate create:
                Define(session, plan, create, live: null);
                using (var created = Lookup(session, create.Name))
                {
                    if (create.Desired.Autostart) created.Autostart = true;
                    if (create.Desired.State == PowerState.Running) created.Create();
                }
                break;
            case DomainUpdate update:
                Update(session, plan, update);
                break;
            case DomainStart:
                using (var domain = Lookup(session, change.Name))
                {
                    StartOrResume(domain);
                    RecordPower(domain, PowerState.Running);
                }
                break;
            case DomainStop:
                using (var domain = Lookup(session, change.Name))
                {
                    Stop(domain);
                    RecordPower(domain, PowerState.Stopped);
                }
                break;
            case DomainDestroy:
                using (var domain = Lookup(session, change.Name))
                {
                    // Checked again here: snapshots may have been made since the plan. Only Reconciler's own lose their metadata with the domain.
                    var snapshots = domain.ListSnapshotNames();
                    var theirs = snapshots.Where(n => !MigrationPolicy.IsOwnSnapshot(n)).ToList();
                    if (theirs.Count > 0)
                    {
                        throw new ApplyStepException($"{change.Name} has snapshot(s) Reconciler did not make: {string.Join(", ", theirs)}; it is not pruned (delete them first)");
                    }
                    if (domain.IsActive) Stop(domain);
                    domain.Undefine(LibvirtDomain.Keep | (snapshots.Count > 0 ? UndefineFlags.SnapshotsMetadata : UndefineFlags.None));
                    if (snapshots.Count > 0) progress.WriteLine($"    the metadata of Reconciler's snapshot(s) {string.Join(", ", snapshots)} was removed with it");
                }
                break;
            case DomainMigrate move:
                Migration.Execute(sessions, session, plan, move, progress);
                break;
            case PoolChange pool:
                FailOnIo(() => PoolSteps.Execute(session, plan, pool));
                break;
            case VolumeChange volume:
                FailOnIo(() => VolumeSteps.Execute(session, plan, volume, progress));
                break;
            case SeedChange seed:
                FailOnIo(() => SeedSteps.Execute(session, plan, seed, progress));
                break;
            case NetworkChange network:
                FailOnIo(() => NetworkSteps.Execute(session, plan, network, progress));
                break;
            default:
                throw new ApplyStepException($"no step for {change.GetType().Name}");
        }
    }

    /// <summary>Runs a pool, volume, seed or network step; an I/O error (a base image, a seed, the ledger) fails the step.</summary>
    private static void FailOnIo(Action step)
    {
        try
        {
            step();
        }
        catch (IOException e)
        {
            throw new ApplyStepException(e.Message);
        }
    }

    private void Update(NodeSession session, Plan plan, DomainUpdate change)
    {
        var desired = change.Desired;
        var live = session.ReadDomain(change.Name) ?? throw new ApplyStepException($"domain {change.Name} disappeared since the plan");
        var configFields = change.Fields.Where(f => f.Path is not ("spec.autostart" or "spec.state")).ToList();
        var adopting = live.Owner is null || live.Owner.Source != plan.Source;
        if (desired.SnapshotBeforeUpdate && (change.Restart || change.Disruption == Disruption.Replace))
        {
            using var before = Lookup(session, change.Name);
            // Before an update a snapshot is taken even when the freeze fails: going on without one is worse.
            // It is internal whatever spec.snapshots.kind says: it exists for `reconcile rollback`, which libvirt 9.0 cannot do from an external one.
            var policy = (desired.Snapshots ?? SnapshotPolicy.Default) with { OnQuiesceFailure = QuiesceFailure.Proceed, Kind = SnapshotKind.Internal };
            var taken = Snapshots.Take(before, policy, desired.SnapshotsToKeep, SnapshotOrigin.Update, plan.Revision, DateTimeOffset.UtcNow);
            progress.WriteLine($"    snapshot {taken.Name} taken{(taken.QuiesceError is { } why ? $" without freezing the guest's filesystems ({why})" : "")}; `reconcile rollback {change.Name}` restores it");
            foreach (var kept in taken.Kept) progress.WriteLine($"    kept beyond snapshotsToKeep: {kept}");
        }
        var defined = configFields.Count > 0 || adopting;
        if (defined)
        {
            Define(session, plan, change, live.Config);
        }
        using var domain = Lookup(session, change.Name);
        // A running domain adopted is owned now: its instance carries the same owner record (nothing else of it changes).
        if (adopting && domain.IsActive && domain.GetMetadata(OwnerRecord.Namespace, DomainModificationImpact.Config) is { } record)
        {
            domain.SetMetadata(record, OwnerRecord.Prefix, OwnerRecord.Namespace, DomainModificationImpact.Live);
        }
        if (live.Config is not null) LiveUpdates.Apply(domain, change, desired, live.Config);
        if (domain.Autostart != desired.Autostart) domain.Autostart = desired.Autostart;
        var running = domain.IsActive;
        var paused = running && domain.GetState().State is DomainRunState.Paused;
        if (desired.State == PowerState.Running && (!running || paused)) StartOrResume(domain);
        if (desired.State == PowerState.Stopped && running) Stop(domain);
        if (!defined) RecordPower(domain, desired.State);
    }

    /// <summary>
    /// After a power or autostart change that did not redefine the domain: records the power state
    /// and autostart now in force in the owner metadata, so that a later reader (a restarted
    /// controller) can tell a spec change from drift. Domains without our metadata are left alone.
    /// </summary>
    private static void RecordPower(LibvirtDomain domain, PowerState state)
    {
        if (domain.GetMetadata(OwnerRecord.Namespace, DomainModificationImpact.Config) is not { } owner) return;
        var xml = OwnerPower.With(owner, state, domain.Autostart);
        var impact = DomainModificationImpact.Config | (domain.IsActive ? DomainModificationImpact.Live : 0);
        domain.SetMetadata(xml, OwnerRecord.Prefix, OwnerRecord.Namespace, impact);
    }

    private static void Define(NodeSession session, Plan plan, DesiredDomainChange change, DomainSpec? live)
    {
        var desired = change.Desired;
        var owner = new OwnerRecord(desired.Name, SpecHash.Compute(desired), plan.Source, plan.Revision, desired.Protect);
        var type = desired.DomainType ?? live?.DomainType ?? session.DomainType;
        var xml = DomainRenderer.Render(desired, new RenderOptions(type, owner, change.LiveUuid, live));
        using var _ = session.Connection.DefineDomain(xml, validate: true);
    }

    private static LibvirtDomain Lookup(NodeSession session, string name) =>
        session.Connection.LookupDomainByName(name) ?? throw new ApplyStepException($"domain {name} is not on node {session.Target.Name}");

    private static string Verb(ResourceChange change) => change switch
    {
        DomainMigrate move => $"moving from {move.FromNode}",
        _ => change.Action switch
        {
            ChangeAction.Create => "creating",
            ChangeAction.Update => "updating",
            ChangeAction.Start => "starting",
            ChangeAction.Stop => "stopping",
            _ => "destroying (disks kept)",
        },
    };
}

/// <summary>A step could not be carried out for a reason outside libvirt (the object vanished).</summary>
/// <param name="message">What went wrong.</param>
internal sealed class ApplyStepException(string message) : Exception(message);
