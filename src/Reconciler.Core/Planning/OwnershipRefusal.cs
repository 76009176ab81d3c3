using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The one refusal to touch a resource that exists but is not this source's: <c>not-owned</c> when
/// nothing of Reconciler's is recorded on it, <c>owned-elsewhere</c> when another source's record is.
/// Both name the resource (<see cref="Diagnostic.Resource"/>) and say how to take it over.
/// </summary>
internal static class OwnershipRefusal
{
    /// <summary>The refusal for <paramref name="what"/> (e.g. <c>volume 'x' in pool 'p'</c>) on <paramref name="node"/>.</summary>
    /// <param name="kind">The resource's kind.</param>
    /// <param name="name">The resource's name.</param>
    /// <param name="node">The node it is on.</param>
    /// <param name="what">How the message names it.</param>
    /// <param name="otherSource">The source recorded on it, or null when none is (not ours at all).</param>
    /// <param name="where">Where the spec names it.</param>
    /// <param name="notOwned">How the not-owned message says it was never ours (e.g. <c>is not managed by Reconciler</c>).</param>
    /// <param name="notOwnedHint">The hint of the not-owned refusal.</param>
    public static Diagnostic For(ResourceKind kind, string name, string node, string what, string? otherSource, SourceLocation where,
        string notOwned, string notOwnedHint) =>
        (otherSource is null
            ? Diagnostic.Error("not-owned", $"{what} already exists on node '{node}' and {notOwned}; it is left untouched", where, "metadata.name", notOwnedHint)
            : Diagnostic.Error("owned-elsewhere", $"{what} on node '{node}' is managed from another source ({otherSource}); it is left untouched",
                where, "metadata.name", "remove it from the other source, or run again with --adopt to move it to this one"))
        .About(kind, name, node);
}
