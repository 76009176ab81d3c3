using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>What a change does to a resource. The printed symbol is <see cref="PlanSymbols.Of"/>.</summary>
public enum ChangeAction
{
    /// <summary>Define (and start, if desired running).</summary>
    Create,
    /// <summary>Redefine in place (keeping UUID, MACs and disks); may also change power state and autostart.</summary>
    Update,
    /// <summary>Start a defined domain.</summary>
    Start,
    /// <summary>Shut a running domain down.</summary>
    Stop,
    /// <summary>Stop and undefine an owned domain no longer in the specs. Disks are never deleted.</summary>
    Destroy,
    /// <summary>
    /// Move an owned domain to the node its spec now names (<see cref="ResourceChange.Node"/>) from
    /// <see cref="DomainMigrate.FromNode"/>: a live migration when it runs (peer-to-peer, persistent
    /// on the target, undefined on the source), else define on the target and undefine on the source.
    /// </summary>
    Migrate,
}

/// <summary>
/// What a change costs the running guest, from least to most disruptive. Gates compare these.
/// </summary>
public enum Disruption
{
    /// <summary>Nothing the guest notices (metadata, autostart, a stopped domain's definition).</summary>
    None,
    /// <summary>Applied to the running domain with no interruption (balloon, vCPU hotplug).</summary>
    Live,
    /// <summary>The persistent config changes; the running guest keeps the old value until it restarts.</summary>
    NextBoot,
    /// <summary>Takes effect only through a restart that Reconciler performs (or a stop).</summary>
    Restart,
    /// <summary>Undefine and define again, or remove the domain.</summary>
    Replace,
}

/// <summary>The printed names of the disruption classes.</summary>
public static class DisruptionNames
{
    /// <summary><c>none</c>, <c>live</c>, <c>next-boot</c>, <c>restart</c> or <c>replace</c>.</summary>
    public static string Of(Disruption disruption) => disruption switch
    {
        Disruption.None => "none",
        Disruption.Live => "live",
        Disruption.NextBoot => "next-boot",
        Disruption.Restart => "restart",
        _ => "replace",
    };
}

/// <summary>One field of a change.</summary>
/// <param name="Path">Manifest path.</param>
/// <param name="Before">Live value, or null.</param>
/// <param name="After">Desired value, or null.</param>
/// <param name="Disruption">What applying this field costs the running guest.</param>
public sealed record FieldChange(string Path, string? Before, string? After, Disruption Disruption);

/// <summary>
/// A plan: a pure value computed from (desired, live). Apply executes exactly these changes, in
/// this order.
/// </summary>
/// <param name="Source">Where the specs came from.</param>
/// <param name="Revision">The revision of the specs.</param>
/// <param name="Nodes">Each node read, with its URI and whether it is the sandbox.</param>
/// <param name="Changes">Ordered changes (create order: by node, then kind, then name; destroys last).</param>
/// <param name="Diagnostics">Errors and warnings found while planning (conflicts, protected prunes).</param>
/// <param name="Unchanged">Names of resources already in their desired state.</param>
public sealed record Plan(
    string Source,
    string Revision,
    IReadOnlyList<PlanNode> Nodes,
    IReadOnlyList<ResourceChange> Changes,
    IReadOnlyList<Diagnostic> Diagnostics,
    IReadOnlyList<string> Unchanged)
{
    /// <summary>Running domains whose running instance differs from their persistent definition: a restart (by anyone) applies them.</summary>
    public IReadOnlyList<PendingRestart> PendingRestarts { get; init; } = [];

    /// <summary>Domain removals held back by <see cref="PruneGuard"/> as a mass removal, by node; they are not in <see cref="Changes"/>.</summary>
    public IReadOnlyList<HeldPrune> HeldPrunes { get; init; } = [];

    /// <summary>Version of the plan's JSON view (<c>--output json</c>, specs/plan-json.md). Saved plans have their own version.</summary>
    public const int FormatVersion = 1;

    /// <summary>True when nothing would change.</summary>
    public bool IsEmpty => Changes.Count == 0;

    /// <summary>True when planning found errors.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>A running domain whose persistent definition has changes its running instance does not have yet.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Name">Domain name.</param>
/// <param name="Fields">The fields that differ, running → persistent.</param>
public sealed record PendingRestart(string Node, string Name, IReadOnlyList<FieldDiff> Fields);

/// <summary>A node as seen by a plan.</summary>
/// <param name="Name">Node name.</param>
/// <param name="Uri">libvirt URI.</param>
/// <param name="Sandbox">True for the embedded test-driver sandbox.</param>
/// <param name="Error">Why it could not be read, if so.</param>
public sealed record PlanNode(string Name, string Uri, bool Sandbox, string? Error = null);

/// <summary>The printed symbol of each action (Terraform's convention).</summary>
public static class PlanSymbols
{
    /// <summary><c>+</c> create, <c>~</c> update, <c>&gt;</c> start, <c>&lt;</c> stop, <c>-</c> destroy, <c>→</c> migrate.</summary>
    public static string Of(ChangeAction action) => action switch
    {
        ChangeAction.Create => "+",
        ChangeAction.Update => "~",
        ChangeAction.Start => ">",
        ChangeAction.Stop => "<",
        ChangeAction.Destroy => "-",
        ChangeAction.Migrate => "→",
        _ => "?",
    };
}
