using System.Threading.Channels;

namespace Reconciler.GitHub;

/// <summary>
/// The controller's side of <c>reconciler/apply</c>: it calls <see cref="Starting"/> before each
/// pass and <see cref="Finished"/> after it, and <see cref="Rejected"/> for a revision whose specs
/// are invalid. The tracker turns that stream into few, meaningful commit statuses: pending on the
/// first pass of a revision, then the outcome whenever its state changes (a failure that a later
/// pass fixes turns green; a timer pass that changes nothing sends nothing). Calls never block the
/// loop: statuses are sent in order by one background worker, whose GitHub retries and failures
/// only ever reach the report callback of the underlying reporter.
/// </summary>
public sealed class ApplyStatusTracker : IAsyncDisposable
{
    private const int Remembered = 64;
    private readonly IApplyStatusReporter _reporter;
    private readonly Channel<Func<CancellationToken, Task>> _queue = Channel.CreateBounded<Func<CancellationToken, Task>>(
        new BoundedChannelOptions(256) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (CommitStatusState State, string Description)?> _last = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>A tracker that sends through <paramref name="reporter"/>.</summary>
    public ApplyStatusTracker(IApplyStatusReporter reporter)
    {
        _reporter = reporter ?? throw new ArgumentNullException(nameof(reporter));
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Whether it reports somewhere (false for <see cref="Disabled"/>).</summary>
    public bool Enabled => _reporter is not NullApplyStatusReporter;

    /// <summary>A tracker that reports nowhere (GitHub not configured).</summary>
    public static ApplyStatusTracker Disabled() => new(NullApplyStatusReporter.Instance);

    /// <summary>A pass over <paramref name="revision"/> starts: pending, the first time only.</summary>
    public void Starting(string revision)
    {
        lock (_gate)
        {
            if (_last.ContainsKey(revision)) return;
            Remember(revision, null);
        }
        Enqueue(ct => _reporter.ApplyingAsync(revision, 0, ct));
    }

    /// <summary>A pass over <paramref name="revision"/> ended: sent when its state differs from the last one sent for the revision.</summary>
    public void Finished(string revision, ApplyStatusSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var state = summary.Succeeded ? CommitStatusState.Success : CommitStatusState.Failure;
        lock (_gate)
        {
            if (_last.TryGetValue(revision, out var last) && last is { } l && l.State == state) return;
            Remember(revision, (state, summary.Description));
        }
        Enqueue(ct => _reporter.AppliedAsync(revision, summary, ct));
    }

    /// <summary><paramref name="revision"/> was rejected (invalid specs): failure, once.</summary>
    public void Rejected(string revision, string reason)
    {
        lock (_gate)
        {
            if (_last.TryGetValue(revision, out var last) && last is { State: CommitStatusState.Failure }) return;
            Remember(revision, (CommitStatusState.Failure, reason));
        }
        Enqueue(ct => _reporter.RejectedAsync(revision, reason, ct));
    }

    /// <summary>Waits until everything queued so far was sent (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(_ =>
        {
            done.TrySetResult();
            return Task.CompletedTask;
        });
        await done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sends what is queued (for at most 10 seconds), then stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _worker.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private void Remember(string revision, (CommitStatusState, string)? value)
    {
        if (!_last.ContainsKey(revision))
        {
            _order.Enqueue(revision);
            while (_order.Count > Remembered) _last.Remove(_order.Dequeue());
        }
        _last[revision] = value;
    }

    private void Enqueue(Func<CancellationToken, Task> work) => _queue.Writer.TryWrite(work);

    private async Task WorkAsync()
    {
        await foreach (var work in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await work(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a reporter bug must not end status reporting
            catch (Exception)
#pragma warning restore CA1031
            {
                // Reporters report their own failures; anything else is dropped, never rethrown into the loop.
            }
        }
    }
}
