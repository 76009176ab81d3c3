using System.Globalization;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// Opens node sessions with a bound on the wait (<see cref="NodeTarget.ConnectTimeout"/>).
/// libvirt's <c>virConnectOpenAuth</c> has no timeout of its own: a host that accepts the TCP
/// connection and never answers (or drops the SYNs) holds the caller until the OS gives up on the
/// socket, or forever. So a remote open runs on its own background thread, and the caller stops
/// waiting after the timeout with a <see cref="LibvirtConnectionException"/> (code
/// <see cref="LibvirtErrorCode.OperationTimeout"/>) that names the URI and the timeout.
/// The open left behind is not leaked: if it completes later, its session is closed at once; and
/// while it is still in flight, a new open of the same target waits on it instead of starting
/// another thread, so a silent host holds at most one thread however often it is retried.
/// In-process drivers (<c>test:///…</c>, the sandbox) cannot hang and are opened on the caller's thread.
/// Thread-safe.
/// </summary>
internal static class NodeOpener
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<NodeTarget, Attempt> InFlight = [];

    /// <summary>Opens <paramref name="target"/>, waiting at most its connect timeout.</summary>
    /// <exception cref="LibvirtException">The node refused or failed the open, or did not answer in time (<see cref="LibvirtErrorCode.OperationTimeout"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled while waiting (the open goes on and is closed when it completes).</exception>
    public static async Task<NodeSession> OpenAsync(NodeTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (NodeConnections.IsInProcess(target)) return NodeSession.Open(target);
        while (true)
        {
            Attempt attempt;
            lock (Gate)
            {
                if (!InFlight.TryGetValue(target, out attempt!))
                {
                    attempt = Attempt.Start(target);
                    InFlight[target] = attempt;
                }
                attempt.Waiters++;
            }
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timer.CancelAfter(target.ConnectTimeout);
                await Task.WhenAny(attempt.Task, Task.Delay(Timeout.InfiniteTimeSpan, timer.Token)).ConfigureAwait(false);
            }
            bool completed, mine = false;
            lock (Gate)
            {
                attempt.Waiters--;
                completed = attempt.Task.IsCompleted;
                // A failure is every waiter's answer; a session belongs to the first waiter that takes it.
                if (completed && attempt.Task.IsCompletedSuccessfully && !attempt.Claimed)
                {
                    attempt.Claimed = true;
                    mine = true;
                }
            }
            if (completed && !attempt.Task.IsCompletedSuccessfully) return await attempt.Task.ConfigureAwait(false);
            if (mine) return await attempt.Task.ConfigureAwait(false);
            // Taken by another caller opening the same target at the same time: open anew.
            if (completed) continue;
            ct.ThrowIfCancellationRequested();
            throw TimedOut(target, attempt);
        }
    }

    /// <summary>Blocking form of <see cref="OpenAsync"/> for the synchronous one-shot commands (render, rollback).</summary>
    public static NodeSession Open(NodeTarget target) => OpenAsync(target, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>True for the error <see cref="OpenAsync"/> throws when the node did not answer in time.</summary>
    public static bool IsTimeout(LibvirtException e) => e?.Code == LibvirtErrorCode.OperationTimeout;

    private static LibvirtConnectionException TimedOut(NodeTarget target, Attempt attempt)
    {
        var seconds = target.ConnectTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var age = (DateTimeOffset.UtcNow - attempt.StartedAt).TotalSeconds;
        var earlier = age > target.ConnectTimeout.TotalSeconds + 1
            ? $"; the open started {age.ToString("0", CultureInfo.InvariantCulture)}s ago is still waiting for an answer"
            : "";
        return new LibvirtConnectionException(new LibvirtError(LibvirtErrorCode.OperationTimeout, LibvirtErrorDomain.Rpc,
            $"no answer from {target.Uri} within {seconds}s (connect timeout{earlier}; raise spec.connectTimeout of node '{target.Name}' if the host is only slow)",
            LibvirtErrorLevel.Error));
    }

    /// <summary>One open in flight on its own thread.</summary>
    private sealed class Attempt
    {
        private readonly TaskCompletionSource<NodeSession> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Attempt()
        {
        }

        public Task<NodeSession> Task => _done.Task;

        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

        /// <summary>Callers waiting on it now (under <see cref="Gate"/>).</summary>
        public int Waiters { get; set; }

        /// <summary>Its session was taken by a caller, or closed because nobody waited for it (under <see cref="Gate"/>).</summary>
        public bool Claimed { get; set; }

        public static Attempt Start(NodeTarget target)
        {
            var attempt = new Attempt();
            var thread = new Thread(() => attempt.Run(target))
            {
                IsBackground = true, // a silent host must not keep the process alive
                Name = "libvirt open " + target.Name,
            };
            thread.Start();
            return attempt;
        }

        private void Run(NodeTarget target)
        {
            NodeSession? session = null;
            Exception? error = null;
            try
            {
                session = NodeSession.Open(target);
            }
#pragma warning disable CA1031 // whatever failed the open is handed to the waiters
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }
            bool orphan;
            lock (Gate)
            {
                if (InFlight.TryGetValue(target, out var current) && ReferenceEquals(current, this)) InFlight.Remove(target);
                orphan = session is not null && Waiters == 0 && !Claimed;
                if (orphan) Claimed = true;
                // Completed under the gate: a waiter that gives up sees either a completed task or
                // (if it was the last one) leaves the session to be closed here.
                if (orphan)
                {
                    _done.SetException(new LibvirtConnectionException(new LibvirtError(LibvirtErrorCode.OperationTimeout, LibvirtErrorDomain.Rpc,
                        $"the open of {target.Uri} completed after every caller gave up waiting (connect timeout); closed", LibvirtErrorLevel.Error)));
                }
                else if (session is not null)
                {
                    _done.SetResult(session);
                }
                else
                {
                    _done.SetException(error!);
                }
            }
            // Observed, so an unclaimed failure is not reported as unobserved.
            _ = Task.Exception;
            // Everybody gave up on it: close it rather than leak the connection.
            if (orphan) session!.Dispose();
        }
    }
}
