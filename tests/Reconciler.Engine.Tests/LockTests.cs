using Reconciler.Engine.Apply;

namespace Reconciler.Engine.Tests;

public sealed class LockTests
{
    [Fact]
    public async Task A_second_apply_on_the_same_node_waits_then_refuses_naming_the_holder()
    {
        using var dir = new SpecDir().Write("vm.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: l1}\nspec: {memory: 64MiB}\n");
        var uri = "test://" + Path.Combine(dir.Path, ".reconcile", "sandbox-node.xml");
        using (await NodeLock.AcquireAsync(uri, "the first apply", TimeSpan.Zero, CancellationToken.None))
        {
            var second = await Cli.RunAsync("apply", dir.Path, "-y", "--lock-timeout", "1");
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("locked by the first apply", second.Err);
            Assert.Contains($"pid {Environment.ProcessId}", second.Err);
        }
        // Released: the next apply goes through, and plan needs no lock.
        var third = await Cli.RunAsync("apply", dir.Path, "-y", "--lock-timeout", "1");
        Assert.True(third.ExitCode == 0, third.ToString());
    }

    [Fact]
    public async Task Locks_on_different_nodes_do_not_block_each_other()
    {
        using var a = await NodeLock.AcquireAsync("test:///a-" + Guid.NewGuid(), "a", TimeSpan.Zero, CancellationToken.None);
        using var b = await NodeLock.AcquireAsync("test:///b-" + Guid.NewGuid(), "b", TimeSpan.Zero, CancellationToken.None);
        Assert.NotSame(a, b);
    }
}
