using Reconciler.Sources;

namespace Reconciler.Host.Tests;

/// <summary>The directory source's file watcher: quiet-period debounce, bounded by a maximum wait.</summary>
public sealed class DirectoryWatchTests
{
    [Fact]
    public void A_directory_written_to_without_pause_is_still_reported_while_the_writes_go_on()
    {
        var dir = Path.Combine(Path.GetTempPath(), "reconcile-watch-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            using var source = new DirectorySource(dir, TimeSpan.FromMilliseconds(300));
            using var changed = new ManualResetEventSlim();
            using var watch = source.Watch(changed.Set);
            // Writes every 20 ms never leave the 300 ms quiet period a plain debounce waits for; the
            // maximum wait (10 × 300 ms = 3 s) must report the change while they go on.
            var writes = 0;
            while (!changed.IsSet && writes < 1000)
            {
                File.WriteAllText(Path.Combine(dir, "a.yaml"), $"# write {writes++}\n");
                changed.Wait(TimeSpan.FromMilliseconds(20));
            }
            Assert.True(changed.IsSet, $"no change reported after {writes} writes");
            Assert.True(writes < 1000, "reported only after the writes stopped");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Events_in_dot_directories_are_not_changes_but_a_spec_file_is()
    {
        var dir = Path.Combine(Path.GetTempPath(), "reconcile-watch-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, ".reconcile"));
        try
        {
            using var source = new DirectorySource(dir, TimeSpan.FromMilliseconds(50));
            using var changed = new ManualResetEventSlim();
            using var watch = source.Watch(changed.Set);
            File.WriteAllText(Path.Combine(dir, ".reconcile", "sandbox-node.xml"), "<node/>");
            Assert.False(changed.Wait(TimeSpan.FromSeconds(1)), "our own sandbox state was reported as a spec change");
            File.WriteAllText(Path.Combine(dir, "vm.yaml"), "# spec\n");
            Assert.True(changed.Wait(TimeSpan.FromSeconds(30)), "a spec file write was not reported");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
