using System.Globalization;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// When a node's domain removals count as a mass removal: more than <see cref="MinCount"/> domains
/// and more than <see cref="Percent"/> % of the domains this source owns on the node, or more than
/// <see cref="MaxCount"/> domains in any case. Written <c>5,25%,50</c> (the default).
/// </summary>
/// <param name="MinCount">Removals up to this many are never held by the percentage rule.</param>
/// <param name="Percent">Held when the removals are more than this share (in percent, 0–100) of the node's owned domains (and more than <paramref name="MinCount"/>).</param>
/// <param name="MaxCount">Held when the removals are more than this many, whatever the share.</param>
public sealed record PruneLimits(int MinCount, int Percent, int MaxCount)
{
    /// <summary>More than 5 domains and more than 25 %, or more than 50.</summary>
    public static PruneLimits Default { get; } = new(5, 25, 50);

    /// <summary>No limit: nothing is ever held (<c>off</c>, or <c>--allow-mass-prune</c>).</summary>
    public static PruneLimits Unlimited { get; } = new(int.MaxValue, 100, int.MaxValue);

    /// <summary>True when removing <paramref name="removals"/> of the <paramref name="owned"/> domains a node holds is a mass removal.</summary>
    public bool Exceeded(int removals, int owned) =>
        (removals > MinCount && (long)removals * 100 > (long)Percent * owned) || removals > MaxCount;

    /// <summary><c>5,25%,50</c>.</summary>
    public override string ToString() => this == Unlimited ? "off" : string.Create(CultureInfo.InvariantCulture, $"{MinCount},{Percent}%,{MaxCount}");

    /// <summary>The rule in words, for messages.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"more than {MinCount} and more than {Percent} % of the node's owned domains, or more than {MaxCount}");

    /// <summary>
    /// Parses <c>COUNT,PERCENT%,MAX</c> (e.g. <c>5,25%,50</c>), or <c>off</c> (<see cref="Unlimited"/>).
    /// Returns false with a message saying what is wrong.
    /// </summary>
    public static bool TryParse(string? text, out PruneLimits? limits, out string? error)
    {
        limits = null;
        error = null;
        var t = (text ?? "").Trim();
        if (t.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            limits = Unlimited;
            return true;
        }
        var parts = t.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var min)
            && int.TryParse(parts[1].TrimEnd('%').TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent <= 100
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var max))
        {
            limits = new PruneLimits(min, percent, max);
            return true;
        }
        error = $"'{text}' is not COUNT,PERCENT%,MAX (e.g. {Default}: hold more than 5 removals that are more than 25 % of a node's owned domains, or more than 50) or off";
        return false;
    }
}

/// <summary>One node's domain removals held back as a mass removal.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Revision">The revision of the specs that would remove them.</param>
/// <param name="Owned">How many domains this source owns on the node (before the removal).</param>
/// <param name="Changes">The held <see cref="DomainDestroy"/> changes, in plan order.</param>
public sealed record HeldPrune(string Node, string Revision, int Owned, IReadOnlyList<DomainDestroy> Changes)
{
    /// <summary>How many removals are held.</summary>
    public int Count => Changes.Count;
}

/// <summary>
/// The mass-removal guard: a pure step over a computed plan. A node whose domain removals exceed
/// the <see cref="PruneLimits"/> keeps all of them: they leave <see cref="Plan.Changes"/>, are
/// recorded in <see cref="Plan.HeldPrunes"/>, and an error diagnostic (<see cref="Code"/>) names
/// the count, the revision and how to release them. Everything else in the plan is left as it is.
/// Only domains are counted and held: pools, volumes and networks have their own protections.
/// </summary>
public static class PruneGuard
{
    /// <summary>The diagnostic code of a held mass removal.</summary>
    public const string Code = "mass-prune-held";

    /// <summary>The command-line flag that releases held removals.</summary>
    public const string AllowFlag = "--allow-mass-prune";

    /// <summary>
    /// Holds the domain removals of every node where they exceed <paramref name="limits"/>.
    /// <paramref name="live"/> gives each node's owned domains (those whose owner record names the
    /// plan's source). <see cref="PruneLimits.Unlimited"/> holds nothing (the guard is off or released).
    /// </summary>
    public static Plan Apply(Plan plan, IReadOnlyList<LiveNode> live, PruneLimits limits)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(limits);
        var held = new List<HeldPrune>();
        foreach (var node in plan.Changes.OfType<DomainDestroy>().GroupBy(c => c.Node, StringComparer.Ordinal))
        {
            var removals = node.ToList();
            var owned = live.Where(n => n.Node == node.Key).SelectMany(n => n.Domains).Count(d => d.Owner?.Source == plan.Source);
            if (limits.Exceeded(removals.Count, owned)) held.Add(new HeldPrune(node.Key, plan.Revision, owned, removals));
        }
        if (held.Count == 0) return plan;
        var heldChanges = held.SelectMany(h => h.Changes).ToHashSet();
        return plan with
        {
            Changes = plan.Changes.Where(c => !(c is DomainDestroy removal && heldChanges.Contains(removal))).ToList(),
            Diagnostics = [.. plan.Diagnostics, .. held.Select(h => Explain(h, limits))],
            HeldPrunes = [.. plan.HeldPrunes, .. held],
        };
    }

    /// <summary>The error that names a held removal: count, node, revision, rule, and how to release it.</summary>
    public static Diagnostic Explain(HeldPrune held, PruneLimits limits)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(limits);
        return Diagnostic.Error(Code,
            string.Create(CultureInfo.InvariantCulture,
                $"mass removal held: revision {held.Revision} would remove {held.Count} of the {held.Owned} domains Reconciler owns on node {held.Node} ({limits.Describe()} is held); none of them is removed, the rest of the plan is applied"),
            hint: $"if the removal is intended, run apply again with {AllowFlag} (controller: reconcile approve-prune {held.Revision}); if not, put the specs back")
            .About(ResourceKind.Node, held.Node);
    }
}
