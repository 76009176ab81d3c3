using System.Globalization;
using System.Text;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Output;

namespace Reconciler.GitHub;

/// <summary>
/// The pull-request view of a plan: GitHub-flavoured Markdown. Like <see cref="PlanText"/> it only
/// formats the plan (a pure function of it). The first line is <see cref="Marker"/>, by which a later
/// run finds this comment and edits it instead of adding another. Everything taken from specs or
/// the node (names, values, messages) is escaped, so it can neither inject HTML, mention people,
/// nor forge the marker.
/// </summary>
public static class PlanMarkdown
{
    /// <summary>The hidden first line of every plan comment.</summary>
    public const string Marker = "<!-- reconciler-plan -->";

    /// <summary>GitHub refuses comments longer than 65,536 characters; this leaves room for the footer.</summary>
    public const int MaxLength = 60_000;

    /// <summary>Plans whose change list is longer than this many lines are folded per node in <c>&lt;details&gt;</c>.</summary>
    public const int FoldAboveLines = 25;

    /// <summary>Renders <paramref name="plan"/>.</summary>
    public static string Render(Plan plan, int maxLength = MaxLength)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var sb = new StringBuilder();
        sb.Append(Marker).Append('\n');
        var summary = PlanSummary.Of(plan);
        var errors = plan.Diagnostics.Count(d => d.Severity == Severity.Error);
        if (errors > 0) sb.Append("### ❌ Reconciler plan: ").Append(Count(errors, "error")).Append('\n');
        else if (plan.IsEmpty) sb.Append("### ✅ Reconciler plan: no changes\n");
        else sb.Append("### 📝 Reconciler plan: ").Append(PlanCommitStatus.Counts(summary)).Append('\n');
        sb.Append('\n');
        if (plan.IsEmpty)
        {
            sb.Append(errors > 0 ? "**No changes** could be planned.\n" : "**No changes.** The nodes match the specs.\n");
        }
        else
        {
            sb.Append("**").Append(summary).Append("**");
            var worst = plan.Changes.Max(c => c.Disruption);
            sb.Append(" Worst disruption: **").Append(PlanText.DisruptionText(worst)).Append("**");
            if (worst >= Disruption.Restart)
            {
                var n = plan.Changes.Count(c => c.Disruption >= Disruption.Restart);
                sb.Append(" (").Append(Count(n, "resource")).Append(" restarted or replaced)");
            }
            sb.Append('\n');
        }
        foreach (var node in plan.Nodes.Where(n => n.Sandbox))
        {
            sb.Append("\n> [!NOTE]\n> Planned against the sandbox node ").Append(Code(node.Name))
              .Append(" (libvirt's test driver), not a real hypervisor.\n");
        }

        var sections = plan.Changes.GroupBy(c => c.Node).Select(g => (Node: g.Key, Changes: g.ToList())).ToList();
        var lines = plan.Changes.Sum(c => 1 + Math.Max(c.Fields.Count, c.Action == ChangeAction.Create ? 1 : 0));
        var fold = lines > FoldAboveLines;
        var budget = maxLength - 2_000 - DiagnosticsLength(plan);
        var shown = 0;
        foreach (var (nodeName, changes) in sections)
        {
            if (sb.Length > budget) break;
            var node = plan.Nodes.FirstOrDefault(n => n.Name == nodeName);
            var title = "Node " + Code(nodeName) + (node is null ? "" : " · " + Code(node.Uri));
            var counts = PlanCommitStatus.Counts(PlanSummary.Of(plan with { Changes = changes }));
            sb.Append('\n');
            if (fold)
            {
                sb.Append("<details><summary><b>Node <code>").Append(Html(nodeName)).Append("</code></b>: ")
                  .Append(Html(counts)).Append(", worst disruption ").Append(PlanText.DisruptionText(changes.Max(c => c.Disruption)))
                  .Append("</summary>\n\n");
            }
            else
            {
                sb.Append("#### ").Append(title).Append('\n').Append('\n');
            }
            foreach (var change in changes)
            {
                if (sb.Length > budget) break;
                AppendChange(sb, change);
                shown++;
            }
            if (fold) sb.Append("\n</details>\n");
        }
        if (plan.PendingRestarts.Count > 0)
        {
            sb.Append("\n#### Restart pending\n\nThe running guest has not picked these up yet; a restart by anyone applies them.\n\n");
            foreach (var p in plan.PendingRestarts.Take(100))
            {
                sb.Append("- domain ").Append(Code(p.Name)).Append(" on ").Append(Code(p.Node)).Append(": ")
                  .Append(string.Join(", ", p.Fields.Select(f => Code(f.Path) + " " + (f.Before is null ? "_(none)_" : Code(f.Before)) + " → " + (f.After is null ? "_(none)_" : Code(f.After)))))
                  .Append('\n');
            }
        }
        if (shown < plan.Changes.Count)
        {
            sb.Append("\n…and ").Append(Count(plan.Changes.Count - shown, "more change"))
              .Append(" not shown (GitHub's comment size limit). Run `reconcile plan` to see every change.\n");
        }
        AppendDiagnostics(sb, plan.Diagnostics);
        AppendFooter(sb, plan.Source, plan.Revision);
        return sb.ToString();
    }

    /// <summary>Renders the comment for specs that did not load: no plan, only their errors.</summary>
    public static string RenderInvalid(string source, IReadOnlyList<Diagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        var sb = new StringBuilder();
        sb.Append(Marker).Append('\n');
        var errors = diagnostics.Count(d => d.Severity == Severity.Error);
        sb.Append("### ❌ Reconciler plan: the specs have ").Append(Count(errors, "error")).Append('\n').Append('\n');
        sb.Append("No plan was made. Fix these and push again; `reconcile validate` shows the same list.\n");
        var budget = MaxLength - 2_000;
        var kept = new List<Diagnostic>();
        var length = 0;
        foreach (var d in diagnostics)
        {
            length += DiagnosticLine(d).Length;
            if (length > budget) break;
            kept.Add(d);
        }
        AppendDiagnostics(sb, kept);
        if (kept.Count < diagnostics.Count) sb.Append("\n…and ").Append(Count(diagnostics.Count - kept.Count, "more diagnostic")).Append(".\n");
        AppendFooter(sb, source, null);
        return sb.ToString();
    }

    private static void AppendChange(StringBuilder sb, ResourceChange change)
    {
        sb.Append("- ").Append(Code(PlanSymbols.Of(change.Action))).Append(" **").Append(change.Action.ToString().ToLowerInvariant()).Append("** ")
          .Append(change.Kind.ToString().ToLowerInvariant()).Append(' ').Append(Code(change.Name))
          .Append(" — ").Append(Text(change.Reason));
        if (change.Action is ChangeAction.Update or ChangeAction.Stop or ChangeAction.Destroy)
        {
            sb.Append(" — disruption: ").Append(Emphasize(change.Disruption));
        }
        if (change is DomainUpdate { Restart: true }) sb.Append(" — **will restart**");
        sb.Append('\n');
        if (change is DomainCreate create)
        {
            sb.Append("  - ").Append(Text(DomainSummary.Describe(create.Desired))).Append('\n');
        }
        if (change is DesiredDomainChange { Placement: { } why })
        {
            sb.Append("  - placed on node ").Append(Code(change.Node)).Append(": ").Append(Text(why)).Append('\n');
        }
        foreach (var f in change.Fields)
        {
            sb.Append("  - ").Append(Code(f.Path)).Append(": ")
              .Append(f.Before is null ? "_(none)_" : Code(f.Before)).Append(" → ")
              .Append(f.After is null ? "_(none)_" : Code(f.After))
              .Append(" (").Append(Emphasize(f.Disruption)).Append(")\n");
        }
    }

    private static string Emphasize(Disruption d)
    {
        var text = PlanText.DisruptionText(d);
        return d >= Disruption.Restart ? $"**{text}**" : text;
    }

    private static void AppendDiagnostics(StringBuilder sb, IReadOnlyList<Diagnostic> diagnostics)
    {
        if (diagnostics.Count == 0) return;
        var errors = diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        var warnings = diagnostics.Where(d => d.Severity == Severity.Warning).ToList();
        var notes = diagnostics.Where(d => d.Severity == Severity.Note).ToList();
        if (errors.Count > 0)
        {
            sb.Append("\n#### Errors\n\n");
            foreach (var d in errors) sb.Append(DiagnosticLine(d));
        }
        if (warnings.Count > 0)
        {
            sb.Append("\n#### Warnings\n\n");
            foreach (var d in warnings) sb.Append(DiagnosticLine(d));
        }
        if (notes.Count > 0)
        {
            sb.Append("\n#### Notes\n\n");
            foreach (var d in notes) sb.Append(DiagnosticLine(d));
        }
    }

    private static int DiagnosticsLength(Plan plan) => plan.Diagnostics.Sum(d => DiagnosticLine(d).Length) + 40;

    private static string DiagnosticLine(Diagnostic d)
    {
        var sb = new StringBuilder("- ");
        if (d.Location is { } where) sb.Append(Code(where.ToString())).Append(' ');
        if (d.FieldPath is { } field) sb.Append(Code(field)).Append(' ');
        sb.Append(Text(d.Message)).Append(" [").Append(Code(d.Code)).Append(']');
        if (d.Hint is { } hint) sb.Append("  \n  _hint:_ ").Append(Text(hint));
        return sb.Append('\n').ToString();
    }

    private static void AppendFooter(StringBuilder sb, string source, string? revision)
    {
        sb.Append("\n<sub>Specs ").Append(Code(source));
        if (revision is not null) sb.Append(" at revision ").Append(Code(Short(revision)));
        sb.Append(". This comment is updated on every push by <code>reconcile plan</code>.</sub>\n");
    }

    private static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;

    internal static string Count(int n, string noun) => DomainSummary.Count(n, noun);

    /// <summary>
    /// A code span that holds any text literally: the fence is one backtick longer than the longest
    /// run inside, newlines become spaces, and nothing inside is read as HTML or Markdown.
    /// </summary>
    internal static string Code(string value)
    {
        var text = value.ReplaceLineEndings(" ");
        var longest = 0;
        var run = 0;
        foreach (var ch in text)
        {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', longest + 1);
        var pad = text.StartsWith('`') || text.EndsWith('`') || text.Length == 0 ? " " : "";
        return fence + pad + text + pad + fence;
    }

    /// <summary>
    /// Plain text with every Markdown and HTML meaning removed: ASCII punctuation that could start
    /// syntax is backslash-escaped, and <c>@</c> is followed by a zero-width space so nobody is mentioned.
    /// </summary>
    internal static string Text(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var ch in value.ReplaceLineEndings(" "))
        {
            if (ch is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '#' or '|' or '~' or '&' or '!' or '(' or ')' or '{' or '}' or '+' or '-' or '=' or ':' or '"')
            {
                sb.Append('\\');
            }
            sb.Append(ch);
            if (ch == '@') sb.Append('\u200B');
        }
        return sb.ToString();
    }

    private static string Html(string value) =>
        System.Net.WebUtility.HtmlEncode(value.ReplaceLineEndings(" ")).Replace("@", "&#64;", StringComparison.Ordinal);
}
