using Reconciler.Specs;

namespace Reconciler.Sources;

/// <summary>
/// One revision of a source: what was fetched, stamped with the revision it came from, and what
/// the loader made of it. A snapshot with errors is never applied (no half-applied commits).
/// </summary>
/// <param name="Source">The stable source identity recorded in domain metadata (a directory path, or a redacted URL and sub-path).</param>
/// <param name="Revision">The commit sha for Git; a content hash for a directory.</param>
/// <param name="Load">The loader's result: the specs (with <c>Revision</c> set) or the diagnostics that reject this revision.</param>
/// <param name="FetchedAt">When it was fetched.</param>
public sealed record SourceSnapshot(string Source, string Revision, LoadResult Load, DateTimeOffset FetchedAt)
{
    /// <summary>True when the revision loaded without errors and may be applied.</summary>
    public bool IsValid => !Load.HasErrors && Load.Specs is not null;
}

/// <summary>
/// A place specs come from. <see cref="FetchAsync"/> reads the current revision afresh;
/// <see cref="Watch"/> reports that something may have changed (the caller then fetches).
/// </summary>
public interface ISpecSource : IDisposable
{
    /// <summary><c>directory</c> or <c>git</c>.</summary>
    string Kind { get; }

    /// <summary>A human description safe for logs and status (credentials are never part of it).</summary>
    string Description { get; }

    /// <summary>A local directory next to which node state may be kept (the sandbox node), never inside a Git checkout.</summary>
    string StateDirectory { get; }

    /// <summary>Fetches and loads the current revision.</summary>
    /// <exception cref="SourceUnavailableException">The source could not be reached or read; the message is safe to show.</exception>
    Task<SourceSnapshot> FetchAsync(CancellationToken ct);

    /// <summary>Calls <paramref name="changed"/> when the source may have changed (debounced). Dispose to stop.</summary>
    IDisposable Watch(Action changed);
}

/// <summary>The source could not be reached or read. The message never contains credentials.</summary>
/// <param name="message">What went wrong, redacted.</param>
public sealed class SourceUnavailableException(string message) : Exception(message);
