namespace Reconciler.Host;

/// <summary>
/// Asks the source watcher for a fresh read: now (a file event), or at a given time (when pending
/// removals are due). Requests coalesce: at most one read is pending, and of the timed requests
/// only the earliest is kept (the pass that read starts asks again for any later one still needed).
/// </summary>
internal sealed class SourceTrigger(TimeProvider clock) : IDisposable
{
    private readonly SemaphoreSlim _poke = new(0, 1);
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private DateTimeOffset? _due;

    /// <summary>Asks for a read now.</summary>
    public void Request()
    {
        try { _poke.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Asks for a read at <paramref name="at"/> (at once when it is past).</summary>
    public void RequestAt(DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_due is { } pending && pending <= at) return;
            _due = at;
            var delay = at - clock.GetUtcNow();
            _timer?.Dispose();
            _timer = clock.CreateTimer(_ =>
            {
                lock (_gate) _due = null;
                Request();
            }, null, delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Waits for a request or <paramref name="timeout"/>; true when a request came.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _poke.WaitAsync(timeout, ct);

    public void Dispose()
    {
        lock (_gate) _timer?.Dispose();
        _poke.Dispose();
    }
}
