namespace Reconciler.Engine.Apply;

/// <summary>
/// The migration policy of a live move (spec.migration): the libvirt flags and parameters passed, and
/// the timeout watch that runs the declared action (abort, post-copy, pause) when a migration outlasts
/// memory × perGiB, with progress lines from the job statistics.
/// </summary>
internal static partial class Migration
{
    /// <summary>The libvirt flags of a live migration under <paramref name="policy"/>.</summary>
    internal static MigrateFlags Flags(MigrationPolicy policy, bool copy) => Base
        | (copy ? MigrateFlags.NonSharedDisk : MigrateFlags.None)
        | (policy.AutoConverge ? MigrateFlags.AutoConverge : MigrateFlags.None)
        | (policy.PostCopy ? MigrateFlags.Postcopy : MigrateFlags.None)
        | (policy.Compressed ? MigrateFlags.Compressed : MigrateFlags.None);

    /// <summary>The flags by their libvirt names, in bit order: <c>VIR_MIGRATE_LIVE|VIR_MIGRATE_PERSIST_DEST|…</c>.</summary>
    internal static string FlagsText(MigrateFlags flags) => string.Join("|",
        Enum.GetValues<MigrateFlags>().Where(f => f != MigrateFlags.None && flags.HasFlag(f)).Select(f => f switch
        {
            MigrateFlags.Live => "VIR_MIGRATE_LIVE",
            MigrateFlags.PeerToPeer => "VIR_MIGRATE_PEER2PEER",
            MigrateFlags.PersistDest => "VIR_MIGRATE_PERSIST_DEST",
            MigrateFlags.UndefineSource => "VIR_MIGRATE_UNDEFINE_SOURCE",
            MigrateFlags.NonSharedDisk => "VIR_MIGRATE_NON_SHARED_DISK",
            MigrateFlags.Compressed => "VIR_MIGRATE_COMPRESSED",
            MigrateFlags.AutoConverge => "VIR_MIGRATE_AUTO_CONVERGE",
            MigrateFlags.Postcopy => "VIR_MIGRATE_POSTCOPY",
            _ => f.ToString(),
        }));

    /// <summary>What happened after a migration outlasted its timeout: the action taken, when, and the migration's error (null when it then completed).</summary>
    private sealed record TimedOut(MigrationTimeoutAction Action, TimeSpan After, LibvirtException? Failure);

    /// <summary>How often the watcher looks at the migration, and how often it prints a progress line.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="migrate"/> (a blocking libvirt call) on a worker while this thread
    /// watches the elapsed time: progress lines from the job statistics every few seconds, and once
    /// <paramref name="limit"/> has passed, the policy's timeout action on the source domain.
    /// Returns null when the migration finished without a timeout; a migration error without a
    /// timeout is rethrown as the step's error (with the domain's state on the source).
    /// </summary>
    private static TimedOut? Watch(LibvirtDomain domain, Action migrate, MigrationPolicy policy, TimeSpan? limit, TextWriter progress)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var worker = Task.Run(migrate);
        var nextProgress = ProgressEvery;
        (MigrationTimeoutAction Action, TimeSpan At)? acted = null;
        // Waits without observing the outcome (Task.Wait would throw a failed migration's error here).
        while (!((IAsyncResult)worker).AsyncWaitHandle.WaitOne(Poll))
        {
            var elapsed = clock.Elapsed;
            if (acted is null && limit is { } l && elapsed >= l)
            {
                var action = policy.Timeout!.Action;
                try
                {
                    switch (action)
                    {
                        case MigrationTimeoutAction.Abort: domain.AbortJob(); break;
                        case MigrationTimeoutAction.Postcopy: domain.MigrateStartPostCopy(); break;
                        default: domain.Suspend(); break;
                    }
                    progress.WriteLine($"    timeout: the migration still ran after {Seconds(elapsed)} (limit {Seconds(l)}): {ActionText(action)}");
                }
                catch (LibvirtException e)
                {
                    // The job may have ended between the check and the call; the worker's outcome says how.
                    progress.WriteLine($"    timeout: the migration still ran after {Seconds(elapsed)} (limit {Seconds(l)}), but {ActionText(action)} failed: {e.Message}");
                }
                acted = (action, elapsed);
            }
            if (elapsed >= nextProgress)
            {
                nextProgress += ProgressEvery;
                if (ProgressText(domain, elapsed) is { } line) progress.WriteLine(line);
            }
        }
        var failure = worker.Exception?.InnerException as LibvirtException;
        if (worker.Exception is { } other && failure is null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(other.InnerException ?? other).Throw();
        if (acted is { } a) return new TimedOut(a.Action, clock.Elapsed, failure);
        if (failure is not null) throw failure;
        return null;
    }

    private static string ActionText(MigrationTimeoutAction action) => action switch
    {
        MigrationTimeoutAction.Abort => "aborting it (virDomainAbortJob)",
        MigrationTimeoutAction.Postcopy => "switching to post-copy (virDomainMigrateStartPostCopy)",
        _ => "pausing the guest on the source so that it completes (virDomainSuspend)",
    };

    /// <summary>A progress line from the source's job statistics, or null when there are none (yet, or any more).</summary>
    private static string? ProgressText(LibvirtDomain domain, TimeSpan elapsed)
    {
        try
        {
            var stats = domain.GetJobStats();
            if (!stats.Active) return null;
            var line = $"    migrating ({Seconds(elapsed)}): {ByteSize.Format(stats.DataProcessed ?? 0)} sent";
            if (stats.DataRemaining is { } left) line += $", {ByteSize.Format(left)} left";
            if (stats.MemoryBps is { } bps) line += $", {bps / (1024.0 * 1024):0.0} MiB/s";
            if (stats.AutoConvergeThrottle is { } throttle) line += $", auto-converge throttle {throttle}%";
            return line;
        }
        catch (LibvirtException)
        {
            return null;
        }
    }

    /// <summary>After a migration completed with the guest paused on the source (timeout action pause): the guest is resumed on the target if libvirt left it paused.</summary>
    private static void ResumeOnTarget(NodeSession target, DomainMigrate change, TextWriter progress)
    {
        try
        {
            using var moved = target.Connection.LookupDomainByName(change.Name);
            if (moved is null || moved.GetState().State != DomainRunState.Paused || change.Desired.State != PowerState.Running) return;
            moved.Resume();
            progress.WriteLine($"    {change.Name} was paused for the migration; resumed on {change.Node}");
        }
        catch (LibvirtException e)
        {
            throw new ApplyStepException($"{change.Name} now runs from {change.Node} but is paused there (timeout action pause) and could not be resumed: {e.Message}; the next plan resumes it");
        }
    }

    private static string SourceState(NodeSession source, string name)
    {
        try
        {
            using var still = source.Connection.LookupDomainByName(name);
            return still is null ? "gone" : still.IsActive ? "still running" : "stopped";
        }
        catch (LibvirtException)
        {
            return "in an unknown state";
        }
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}s";
}
