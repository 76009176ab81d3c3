using System.Threading.Channels;

namespace Reconciler.Host;

/// <summary>
/// The one way to ask for a pass. Every trigger (file change, new revision, libvirt event, timer,
/// reconnect) only says "reconcile now"; requests made while a pass is pending coalesce into one.
/// </summary>
internal sealed class ReconcileTrigger
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private readonly Lock _gate = new();
    private readonly HashSet<string> _reasons = new(StringComparer.Ordinal);

    /// <summary>Asks for a pass; <paramref name="reason"/> is logged with it.</summary>
    public void Request(string reason)
    {
        lock (_gate)
        {
            if (_reasons.Count < 20) _reasons.Add(reason);
        }
        _channel.Writer.TryWrite(true);
    }

    // Null until the first pass: before it, every domain event asks for a pass.
    private volatile HashSet<string>? _domains;

    /// <summary>
    /// Sets the domains whose libvirt events ask for a pass: those the specs name and those the
    /// last pass had something to say about (owned domains to prune, say). Events of any other
    /// domain (another tool's VMs on a shared node) are dropped: nothing Reconciler would do
    /// depends on them, and the periodic resync still reads everything.
    /// </summary>
    public void WatchDomains(IEnumerable<string> names) => _domains = names.ToHashSet(StringComparer.Ordinal);

    /// <summary>A domain lifecycle event: asks for a pass when its domain is watched (see <see cref="WatchDomains"/>); returns whether it did.</summary>
    public bool Request(Libvirt.DomainLifecycleEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_domains is { } watched && !watched.Contains(e.DomainName)) return false;
        Request($"event {e.Type.ToString().ToLowerInvariant()} {e.DomainName}");
        return true;
    }

    /// <summary>Waits for a request or <paramref name="timeout"/>; returns the reasons (empty on timeout).</summary>
    public async Task<IReadOnlyList<string>> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return [];
        }
        lock (_gate)
        {
            var reasons = _reasons.ToList();
            _reasons.Clear();
            return reasons;
        }
    }
}

/// <summary>Exponential backoff with jitter: base·2^(n-1), capped, ±20%.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
        var raw = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(raw * jitter);
    }
}
