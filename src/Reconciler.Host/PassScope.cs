using Reconciler.Core.Model;

namespace Reconciler.Host;

/// <summary>
/// What a pass is about: every resource, or the domains a new revision changed and libvirt events
/// named since the last pass (a targeted pass: ReconcilePass.Target.cs says when the engine keeps
/// to it). Pure: the last pass's specs, this pass's specs and the request in; the scope out.
/// </summary>
internal static class PassScope
{
    /// <summary>
    /// The domains of a targeted pass, or null for a pass over everything: a broad request, no
    /// earlier pass to compare with, another source, a Node, pool, volume or network that differs,
    /// a domain that left the specs (its removal weighs every owned domain of its node), or more
    /// domains than <paramref name="limit"/> (planning them all costs about the same). A domain
    /// counts as changed unless its spec is the same record as before (the spec file cache hands
    /// back the same records for an unchanged file) or equal to it. With <paramref name="wholeRevisions"/>
    /// (a GitHub commit status sums up each revision's first pass), a new revision is a pass over everything.
    /// </summary>
    public static IReadOnlySet<string>? Of(SpecSet? last, SpecSet current, PassRequest request, int limit, bool wholeRevisions = false)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Broad || last is null || last.Source != current.Source) return null;
        if (wholeRevisions && last.Revision != current.Revision) return null;
        if (!Same(last.Nodes, current.Nodes) || !Same(last.Pools, current.Pools) || !Same(last.Volumes, current.Volumes)
            || !Same(last.Networks, current.Networks))
        {
            return null;
        }
        var scope = new HashSet<string>(request.Domains, StringComparer.Ordinal);
        if (!ReferenceEquals(last.Domains, current.Domains))
        {
            var before = new Dictionary<string, DomainSpec>(last.Domains.Count, StringComparer.Ordinal);
            foreach (var d in last.Domains) before[d.Name] = d;
            foreach (var d in current.Domains)
            {
                if (before.Remove(d.Name, out var was) && (ReferenceEquals(was, d) || was.Equals(d))) continue;
                scope.Add(d.Name);
                if (scope.Count > limit) return null;
            }
            if (before.Count > 0) return null; // a domain left the specs
        }
        return scope.Count > limit ? null : scope;
    }

    /// <summary>Element by element the same records (or equal ones), in the same order.</summary>
    private static bool Same<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
        where T : class
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!ReferenceEquals(a[i], b[i]) && !a[i].Equals(b[i])) return false;
        }
        return true;
    }
}
