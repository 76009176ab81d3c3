using Reconciler.Specs;

namespace Reconciler.Sources;

/// <summary>
/// Specs in a local directory. Every fetch reads the files afresh; file-system events are
/// debounced into one "changed" call (the periodic resync of the caller covers missed events).
/// </summary>
public sealed class DirectorySource : ISpecSource
{
    private readonly TimeSpan _debounce;

    // Unchanged files are not parsed again on the next fetch.
    private readonly SpecFileCache _parsed = new();

    /// <summary>A source over <paramref name="directory"/>.</summary>
    /// <param name="directory">The spec directory.</param>
    /// <param name="debounce">How long file events must be quiet before "changed" is reported (a burst without pause is reported after <see cref="MaxWaitFactor"/> times this, at least 1 s).</param>
    public DirectorySource(string directory, TimeSpan debounce)
    {
        // The same identity as `reconcile apply DIR`, so the CLI and the controller own the same domains.
        Root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        _debounce = debounce;
    }

    /// <summary>The absolute spec directory.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Kind => "directory";

    /// <inheritdoc/>
    public string Description => Root;

    /// <inheritdoc/>
    public string StateDirectory => Root;

    /// <inheritdoc/>
    public Task<SourceSnapshot> FetchAsync(CancellationToken ct)
    {
        if (!Directory.Exists(Root)) throw new SourceUnavailableException($"the spec directory '{Root}' does not exist");
        var result = SpecLoader.LoadDirectory(Root, ct, _parsed);
        var specs = result.Specs is null ? null : result.Specs with { Source = Root };
        var revision = specs?.Revision ?? "invalid-" + ContentKey(result);
        return Task.FromResult(new SourceSnapshot(Root, revision, result with { Specs = specs }, DateTimeOffset.UtcNow));
    }

    /// <inheritdoc/>
    public IDisposable Watch(Action changed) => new Watcher(Root, _debounce, changed);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>A burst of file events is reported at the latest this many debounce times after its first event.</summary>
    public const int MaxWaitFactor = 10;

    private static string ContentKey(LoadResult result) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join("\n", result.Diagnostics.Select(d => d.ToString())))))[..12];

    /// <summary>
    /// Reports "changed" once file events have been quiet for the debounce time, or at the latest
    /// <see cref="MaxWaitFactor"/> debounce times (at least one second) after the first unreported
    /// event, so that a directory written to without pause is still picked up.
    /// </summary>
    private sealed class Watcher : IDisposable
    {
        private readonly FileSystemWatcher _fsw;
        private readonly Timer _timer;
        private readonly TimeSpan _debounce;
        private readonly TimeSpan _maxWait;
        private readonly Lock _gate = new();
        private long _pendingSince = -1;

        public Watcher(string root, TimeSpan debounce, Action changed)
        {
            _debounce = debounce;
            _maxWait = TimeSpan.FromTicks(Math.Max(debounce.Ticks * MaxWaitFactor, TimeSpan.TicksPerSecond));
            _timer = new Timer(_ =>
            {
                lock (_gate) _pendingSince = -1;
                changed();
            }, null, Timeout.Infinite, Timeout.Infinite);
            _fsw = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _fsw.Changed += OnEvent;
            _fsw.Created += OnEvent;
            _fsw.Deleted += OnEvent;
            _fsw.Renamed += OnEvent;
            // A lost event (buffer overflow) is a reason to re-read everything.
            _fsw.Error += (_, _) => Poke();
            _fsw.EnableRaisingEvents = true;
        }

        private void OnEvent(object sender, FileSystemEventArgs e)
        {
            // Our own sandbox state and editors' dot files are not specs.
            var relative = e.Name ?? "";
            if (relative.Split('/').Any(s => s.StartsWith('.'))) return;
            Poke();
        }

        private void Poke()
        {
            lock (_gate)
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_pendingSince < 0) _pendingSince = now;
                var left = _maxWait - System.Diagnostics.Stopwatch.GetElapsedTime(_pendingSince, now);
                var due = left < _debounce ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : _debounce;
                _timer.Change(due, Timeout.InfiniteTimeSpan);
            }
        }

        public void Dispose()
        {
            _fsw.Dispose();
            _timer.Dispose();
        }
    }
}
