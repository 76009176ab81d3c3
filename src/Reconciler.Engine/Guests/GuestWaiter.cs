namespace Reconciler.Engine.Guests;

/// <summary>
/// Waits, in parallel, until guests are ready by their readiness: polls each guest (a bounded
/// <see cref="GuestReader"/> read about once a second), watches the console of those with a
/// console check, and writes one line per domain whenever what it waits for changes.
/// </summary>
internal static class GuestWaiter
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    public static async Task<IReadOnlyList<GuestStatus>> WaitAsync(IReadOnlyList<GuestTarget> targets, TimeSpan timeout,
        GuestReadOptions options, TextWriter progress, CancellationToken ct)
    {
        var gate = new Lock();
        void Say(string line)
        {
            lock (gate) progress.WriteLine(line);
        }
        if (targets.Count > 0) Say($"Waiting up to {timeout.TotalSeconds:0} s for {targets.Count} guest(s) to be ready:");
        var deadline = DateTimeOffset.UtcNow + timeout;
        return await Task.WhenAll(targets.Select(t => WaitOneAsync(t, deadline, timeout, options, Say, ct))).ConfigureAwait(false);
    }

    private static async Task<GuestStatus> WaitOneAsync(GuestTarget target, DateTimeOffset deadline, TimeSpan timeout,
        GuestReadOptions options, Action<string> say, CancellationToken ct)
    {
        var name = target.Spec.Name;
        if (target.Domain is not { } domain)
        {
            var missing = target.Missing(DateTimeOffset.UtcNow);
            say($"  {name}: not ready: {missing.Reason}");
            return missing;
        }
        var readiness = target.Readiness;
        await using var watcher = readiness.Kind == ReadinessKind.Console ? ConsoleWatcher.Start(domain, readiness.ConsoleText!, ct) : null;
        string? last = null;
        var skippedSaid = new HashSet<string>(StringComparer.Ordinal);
        say($"  {name}: waiting for {readiness}");
        while (true)
        {
            var status = await GuestReader.ReadAsync(domain, target.Node!, readiness, options, watcher?.Seen ?? null, ct).ConfigureAwait(false);
            foreach (var skip in status.Skipped.Where(s => skippedSaid.Add(s.Source)))
            {
                say($"  {name}: address source {skip.Source} skipped: {skip.Error}");
            }
            if (status.Ready == true)
            {
                var at = status.Primary is { } p && !status.Reason.Contains(p.Address, StringComparison.Ordinal) ? $"; address {GuestReader.Describe(p)}" : "";
                say($"  {name}: ready ({status.Reason}{at})");
                return status;
            }
            var reason = watcher?.Error is { } consoleError ? $"{status.Reason} ({consoleError})" : status.Reason;
            if (reason != last)
            {
                say($"  {name}: waiting: {reason}");
                last = reason;
            }
            if (DateTimeOffset.UtcNow >= deadline)
            {
                say($"  {name}: not ready within {timeout.TotalSeconds:0} s: {reason}");
                return status with { Ready = false, Reason = $"not ready within {timeout.TotalSeconds:0} s: {reason}" };
            }
            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }
}
