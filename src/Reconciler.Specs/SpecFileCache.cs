using System.Collections.Concurrent;
using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs;

/// <summary>
/// What a long-lived source (the controller's) parsed from each spec file, reused by the next load
/// while the file's text is exactly the same. Only parsing is skipped: validation and the checks
/// across files run on every load. Files whose manifests read other files (cloud-init files,
/// local base images) are never cached. Safe for one load at a time.
/// </summary>
public sealed class SpecFileCache
{
    private sealed record Entry(string Text, List<SpecLoader.Loaded> Loaded, List<Diagnostic> Diagnostics);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The number of files remembered.</summary>
    public int Count => _entries.Count;

    internal (List<SpecLoader.Loaded> Loaded, List<Diagnostic> Diagnostics)? Find(string path, string text) =>
        _entries.TryGetValue(path, out var entry) && string.Equals(entry.Text, text, StringComparison.Ordinal)
            ? (entry.Loaded, entry.Diagnostics)
            : null;

    internal void Remember(string path, string text, List<SpecLoader.Loaded> loaded, List<Diagnostic> diagnostics) =>
        _entries[path] = new Entry(text, loaded, diagnostics);

    internal void KeepOnly(IEnumerable<string> paths)
    {
        var keep = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var path in _entries.Keys)
        {
            if (!keep.Contains(path)) _entries.TryRemove(path, out _);
        }
    }
}
