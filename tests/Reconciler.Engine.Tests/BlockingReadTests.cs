using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// A node's read and its close block in libvirt. A remote node's wait on round trips and run on
/// threads of their own, side by side (<see cref="Workspace.RunBlocking"/>,
/// <see cref="Workspace.CloseAll(IEnumerable{NodeSession})"/>); an in-process node's are CPU and
/// run on the thread pool or the caller. Closed one after the other, 50 nodes 100 ms away took 5 s
/// to close (docs/benchmarks.md, run V); read on the pool, 50 blocked reads wait for it to add threads.
/// </summary>
public sealed class BlockingReadTests
{
    [Theory]
    [InlineData("qemu+tcp://127.0.0.1:16509/system", false)]
    [InlineData("qemu+ssh://root@node-1/system", false)]
    [InlineData("qemu:///system", false)]
    [InlineData("test:///default", true)]
    public async Task A_remote_node_is_read_on_a_thread_of_its_own_an_in_process_one_on_the_pool(string uri, bool onPool)
    {
        var pooled = await Workspace.RunBlocking(new NodeTarget("n1", uri), () => Thread.CurrentThread.IsThreadPoolThread, CancellationToken.None);
        Assert.Equal(onPool, pooled);
    }

    [Fact]
    public async Task Fifty_remote_reads_blocked_at_once_all_run_at_once()
    {
        // Each "read" blocks until all 50 are blocked together: on the pool, which starts with one
        // thread per core, they would wait for it to add threads one by one and miss the deadline.
        const int nodes = 50;
        using var together = new Barrier(nodes);
        var reads = Enumerable.Range(0, nodes)
            .Select(i => Workspace.RunBlocking(new NodeTarget($"n{i}", $"qemu+tcp://10.0.0.{i + 1}/system"),
                () => together.SignalAndWait(TimeSpan.FromSeconds(20)), CancellationToken.None))
            .ToList();
        var met = await Task.WhenAll(reads);
        Assert.All(met, Assert.True);
    }

    /// <summary>A session whose close blocks until every remote close has started (a round trip each, side by side).</summary>
    private sealed class BlockingClose(Barrier together, bool remote) : IDisposable
    {
        public bool Remote { get; } = remote;

        public bool Met { get; private set; }

        public bool ClosedOnCaller { get; private set; }

        public int Thread { get; } = Environment.CurrentManagedThreadId;

        public void Dispose()
        {
            if (!Remote)
            {
                ClosedOnCaller = Environment.CurrentManagedThreadId == Thread;
                return;
            }
            Met = together.SignalAndWait(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public void Remote_sessions_close_side_by_side_in_process_ones_on_the_caller()
    {
        const int remote = 50;
        using var together = new Barrier(remote);
        var sessions = Enumerable.Range(0, remote + 3).Select(i => new BlockingClose(together, remote: i >= 3)).ToList();
        Workspace.CloseAll(sessions, s => !s.Remote);
        Assert.All(sessions.Where(s => s.Remote), s => Assert.True(s.Met));
        Assert.All(sessions.Where(s => !s.Remote), s => Assert.True(s.ClosedOnCaller));
    }

    [Fact]
    public void A_failed_close_is_rethrown_after_every_session_is_closed()
    {
        using var together = new Barrier(2);
        var closed = new BlockingClose(together, remote: true);
        var sessions = new IDisposable[] { new Failing(), closed, new BlockingClose(together, remote: true) };
        var error = Assert.Throws<InvalidOperationException>(() => Workspace.CloseAll(sessions, s => s is Failing));
        Assert.Equal("close failed", error.Message);
        Assert.True(closed.Met);
    }

    private sealed class Failing : IDisposable
    {
        public void Dispose() => throw new InvalidOperationException("close failed");
    }
}
