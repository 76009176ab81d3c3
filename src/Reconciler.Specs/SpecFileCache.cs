using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FluentValidation.Results;
using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs;

/// <summary>
/// What a long-lived source (the controller's) parsed from each spec file, reused by the next load
/// while the file's text is exactly the same. Files whose manifests read other files (cloud-init files,
/// local base images) are never cached. A manifest handed back from a file reused this way is not
/// validated again either while the Node names it is validated against are the same (its
/// validation is a function of the manifest and those names); the checks across files still run
/// on every load. Safe for one load at a time.
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

    private sealed record Validated(string NodeNames, IReadOnlyList<ValidationFailure> Errors);

    private readonly ConditionalWeakTable<object, Validated> _validated = new();

    /// <summary>
    /// The validation failures of <paramref name="resource"/> against the Node names
    /// <paramref name="nodeNames"/> (joined by newlines): remembered per manifest instance, so a
    /// manifest this cache handed back again is not validated again.
    /// </summary>
    internal IReadOnlyList<ValidationFailure> Validate(object resource, string nodeNames, Func<ValidationResult> validate)
    {
        if (_validated.TryGetValue(resource, out var known) && string.Equals(known.NodeNames, nodeNames, StringComparison.Ordinal)) return known.Errors;
        var errors = validate().Errors;
        _validated.AddOrUpdate(resource, new Validated(nodeNames, errors));
        return errors;
    }

    internal void KeepOnly(IEnumerable<string> paths)
    {
        var keep = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var path in _entries.Keys)
        {
            if (!keep.Contains(path)) _entries.TryRemove(path, out _);
        }
    }
}
