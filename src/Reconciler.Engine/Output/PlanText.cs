using System.Text;

namespace Reconciler.Engine.Output;

/// <summary>Counts of a plan, as the summary line prints them.</summary>
/// <param name="Create">Domains to create.</param>
/// <param name="Update">Domains to update, start, stop or migrate.</param>
/// <param name="Destroy">Domains to destroy.</param>
public sealed record PlanSummary(int Create, int Update, int Destroy)
{
    /// <summary>Counts <paramref name="plan"/>'s changes.</summary>
    public static PlanSummary Of(Plan plan) => new(
        plan.Changes.Count(c => c.Action == ChangeAction.Create),
        plan.Changes.Count(c => c.Action is ChangeAction.Update or ChangeAction.Start or ChangeAction.Stop or ChangeAction.Migrate),
        plan.Changes.Count(c => c.Action == ChangeAction.Destroy));

    /// <summary><c>Plan: 2 to create, 1 to update, 0 to destroy.</c></summary>
    public override string ToString() => $"Plan: {Create} to create, {Update} to update, {Destroy} to destroy.";
}

/// <summary>
/// The human view of a plan, Terraform-style. It only formats the plan: every decision was made
/// by the planner.
/// </summary>
public static class PlanText
{
    /// <summary>Renders <paramref name="plan"/>; ANSI colour only when <paramref name="color"/>.</summary>
    public static string Render(Plan plan, bool color)
    {
        var sb = new StringBuilder();
        var c = new Palette(color);
        foreach (var node in plan.Nodes.Where(n => n.Sandbox))
        {
            sb.AppendLine(c.Cyan($"Using the sandbox node (libvirt's test driver, state kept in {SandboxDirectory(node.Uri)}): no real hypervisor is touched."));
            sb.AppendLine("Point at a real one with a Node spec, --connect qemu:///system, or LIBVIRT_DEFAULT_URI.");
            sb.AppendLine();
        }
        foreach (var group in plan.Changes.GroupBy(ch => ch.Node))
        {
            var node = plan.Nodes.FirstOrDefault(n => n.Name == group.Key);
            sb.AppendLine(c.Bold($"Node {group.Key}" + (node is null ? "" : $" ({node.Uri})")));
            foreach (var change in group)
            {
                var symbol = PlanSymbols.Of(change.Action);
                var head = $"  {symbol} {change.Kind.ToString().ToLowerInvariant()} {change.Name}";
                var worst = change.Action is ChangeAction.Update or ChangeAction.Stop or ChangeAction.Destroy or ChangeAction.Migrate
                    ? $"  [disruption: {DisruptionText(change.Disruption)}]" : "";
                var restart = change is DomainUpdate { Restart: true } ? "  [will restart]" : "";
                sb.AppendLine(c.ForAction(change.Action, head) + c.Dim($"  ({change.Reason}){worst}") + c.Yellow(restart));
                if (change is DesiredDomainChange { Placement: { } why }) sb.AppendLine($"      placed on node {change.Node}: {why}");
                if (change is DomainMigrate move)
                {
                    sb.AppendLine($"      move {move.FromNode} → {move.Node} ({move.Migration})");
                    if (move.Snapshots.Count > 0) sb.AppendLine($"      deletes Reconciler's snapshot(s) first: {string.Join(", ", move.Snapshots)}");
                }
                if (change is DomainDestroy { Snapshots.Count: > 0 } prune) sb.AppendLine($"      removes the metadata of Reconciler's snapshot(s): {string.Join(", ", prune.Snapshots)}");
                if (change is DomainChange { Kept: { } kept }) sb.AppendLine($"      {kept}");
                if (change is DesiredDomainChange { Checks.Count: > 0 } checkedChange)
                {
                    sb.AppendLine(c.Dim($"      checked against node {change.Node}: " + string.Join("; ", checkedChange.Checks.Select(CheckText))));
                }
                if (change is DomainCreate create)
                {
                    sb.AppendLine(c.Dim($"      {DomainSummary.Describe(create.Desired)}"));
                }
                else if (change.Action == ChangeAction.Create && StorageText.Describe(change) is { } line)
                {
                    sb.AppendLine(c.Dim($"      {line}"));
                }
                foreach (var field in change.Fields)
                {
                    var marker = field.Before is null ? "+" : field.After is null ? "-" : "~";
                    sb.AppendLine($"      {marker} {field.Path}: {field.Before ?? "(none)"} → {field.After ?? "(none)"}"
                                  + c.Dim($"   ({DisruptionText(field.Disruption)})"));
                }
            }
            sb.AppendLine();
        }
        foreach (var held in plan.HeldPrunes)
        {
            sb.AppendLine(c.Bold($"Held on node {held.Node}") + c.Red($" (mass removal: {held.Count} of {held.Owned} owned domains, revision {held.Revision}; not applied without {PruneGuard.AllowFlag})") + ":");
            foreach (var change in held.Changes)
            {
                sb.AppendLine(c.Yellow($"  ! {PlanSymbols.Of(change.Action)} {change.Kind.ToString().ToLowerInvariant()} {change.Name}") + c.Dim($"  (held: {change.Reason})"));
            }
            sb.AppendLine();
        }
        if (plan.PendingRestarts.Count > 0)
        {
            sb.AppendLine(c.Bold("Restart pending") + c.Dim(" (the running guest has not picked these up yet; a restart by anyone applies them):"));
            foreach (var p in plan.PendingRestarts)
            {
                sb.AppendLine($"  ! domain {p.Name} on {p.Node}: " + string.Join(", ", p.Fields.Select(f => $"{f.Path} {f.Before ?? "(none)"} → {f.After ?? "(none)"}")));
            }
            sb.AppendLine();
        }
        var nextBoot = plan.Changes.Where(ch => ch.Fields.Any(f => f.Disruption == Disruption.NextBoot)).Select(ch => ch.Name).ToList();
        if (nextBoot.Count > 0)
        {
            sb.AppendLine(c.Dim($"After apply, {string.Join(", ", nextBoot)} will show as restart pending until restarted (spec.updatePolicy.restart: auto lets Reconciler do it)."));
            sb.AppendLine();
        }
        foreach (var diagnostic in plan.Diagnostics)
        {
            sb.AppendLine(diagnostic.Severity switch
            {
                Core.Diagnostics.Severity.Error => c.Red(diagnostic.ToString()),
                Core.Diagnostics.Severity.Note => c.Dim(diagnostic.ToString()),
                _ => c.Yellow(diagnostic.ToString()),
            });
        }
        if (plan.Diagnostics.Count > 0) sb.AppendLine();
        sb.AppendLine(plan.IsEmpty
            ? c.Green("No changes.") + (plan.HasErrors ? "" : " The nodes match the specs.")
            : c.Bold(PlanSummary.Of(plan).ToString()));
        return sb.ToString();
    }

    /// <summary>One node check as the plan prints it: <c>cpu-model ok (…)</c>, <c>tpm skipped (…)</c>, <c>hugepages warns (…)</c>.</summary>
    public static string CheckText(CheckResult r) => $"{r.Check} {OutcomeText(r.Outcome)} ({r.Detail})";

    /// <summary><c>ok</c>, <c>warns</c>, <c>refused</c> or <c>skipped</c>.</summary>
    public static string OutcomeText(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Passed => "ok",
        CheckOutcome.Warned => "warns",
        CheckOutcome.Refused => "refused",
        _ => "skipped",
    };

    /// <summary>The lower-case hyphenated name of a disruption class.</summary>
    public static string DisruptionText(Disruption disruption) => DisruptionNames.Of(disruption);

    private static string SandboxDirectory(string uri) =>
        uri.StartsWith("test://", StringComparison.Ordinal) ? Path.GetDirectoryName(uri["test://".Length..]) ?? uri : uri;

    private readonly struct Palette(bool on)
    {
        private string Wrap(string code, string text) => on ? $"\u001b[{code}m{text}\u001b[0m" : text;
        public string Bold(string t) => Wrap("1", t);
        public string Dim(string t) => Wrap("2", t);
        public string Red(string t) => Wrap("31", t);
        public string Green(string t) => Wrap("32", t);
        public string Yellow(string t) => Wrap("33", t);
        public string Cyan(string t) => Wrap("36", t);
        public string ForAction(ChangeAction a, string t) => a switch
        {
            ChangeAction.Create => Green(t),
            ChangeAction.Destroy => Red(t),
            ChangeAction.Start or ChangeAction.Stop => Cyan(t),
            _ => Yellow(t),
        };
    }
}
