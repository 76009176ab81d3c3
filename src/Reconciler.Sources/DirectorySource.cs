using Reconciler.Specs;

namespace Reconciler.Sources;

/// <summary>
/// Specs in a local directory. Every fetch reads the files afresh; file-system events are
/// debounced into one "changed" call (the periodic resync of the caller covers missed events).
/// </summary>
public sealed class DirectorySource : ISpecSource
{
    private readonly TimeSpan _debounce;

    /// <summary>A source over <paramref name="directory"/>.</summary>
    /// <param name="directory">The spec directory.</param>
    /// <param name="debounce">How long file events must be quiet before "changed" is reported.</param>
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
        var result = SpecLoader.LoadDirectory(Root, ct);
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

    private static string ContentKey(LoadResult result) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join("\n", result.Diagnostics.Select(d => d.ToString())))))[..12];

    private sealed class Watcher : IDisposable
    {
        private readonly FileSystemWatcher _fsw;
        private readonly Timer _timer;
        private readonly TimeSpan _debounce;

        public Watcher(string root, TimeSpan debounce, Action changed)
        {
            _debounce = debounce;
            _timer = new Timer(_ => changed(), null, Timeout.Infinite, Timeout.Infinite);
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

        private void Poke() => _timer.Change(_debounce, Timeout.InfiniteTimeSpan);

        public void Dispose()
        {
            _fsw.Dispose();
            _timer.Dispose();
        }
    }
}
