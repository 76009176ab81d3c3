using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;

namespace Reconciler.GitHub.Tests;

public sealed class PlanMarkdownTests
{
    [Fact]
    public void Starts_with_the_marker_then_the_summary_line()
    {
        var md = PlanMarkdown.Render(Plans.ThreeCreatesOneUpdate());
        var lines = md.Split('\n');
        Assert.Equal("<!-- reconciler-plan -->", lines[0]);
        Assert.Equal("### 📝 Reconciler plan: 3 to create, 1 to update", lines[1]);
        Assert.Contains("**Plan: 3 to create, 1 to update, 0 to destroy.** Worst disruption: **restart** (1 resource restarted or replaced)", md);
    }

    [Fact]
    public void Lists_each_resource_per_node_with_fields_and_their_disruption_class()
    {
        var md = PlanMarkdown.Render(Plans.ThreeCreatesOneUpdate());
        Assert.Contains("#### Node `hv1` · `qemu:///system`", md);
        Assert.Contains("- `+` **create** domain `web-1` — not on the node\n", md);
        Assert.Contains("- `~` **update** domain `db-1` — spec changed — disruption: **restart**\n", md);
        Assert.Contains("  - `spec.memory`: `1GiB` → `2GiB` (next-boot)\n", md);
        Assert.Contains("  - `spec.vcpus`: `1` → `2` (**restart**)\n", md);
        Assert.DoesNotContain("<details>", md);
    }

    [Fact]
    public void Groups_by_node()
    {
        var hv2 = new PlanNode("hv2", "qemu+ssh://hv2/system", false);
        var md = PlanMarkdown.Render(Plans.Of([Plans.Create("a"), Plans.Create("b", "hv2")], nodes: [Plans.Hv1, hv2]));
        var first = md.IndexOf("#### Node `hv1`", StringComparison.Ordinal);
        var second = md.IndexOf("#### Node `hv2` · `qemu+ssh://hv2/system`", StringComparison.Ordinal);
        Assert.True(first > 0 && second > first);
        Assert.True(md.IndexOf("domain `b`", StringComparison.Ordinal) > second);
    }

    [Fact]
    public void A_placed_domain_says_where_and_why()
    {
        var placed = Plans.Create("b", "hv2") with { Placement = "1 of 2 nodes fit (nodeSelector rack=r2); most memory left (8GiB), 0 domains" };
        var md = PlanMarkdown.Render(Plans.Of([Plans.Create("a"), placed], nodes: [Plans.Hv1, new PlanNode("hv2", "qemu+ssh://hv2/system", false)]));
        // The reason is escaped as Markdown text (parentheses, '=' and friends).
        Assert.Contains(@"  - placed on node `hv2`: 1 of 2 nodes fit \(nodeSelector rack\=r2\); most memory left \(8GiB\), 0 domains" + "\n", md);
        Assert.Single(md.Split("placed on node").Skip(1));
    }

    [Fact]
    public void Folds_long_plans_in_details_per_node()
    {
        var changes = Enumerable.Range(1, 30).Select(i => Plans.Create($"vm-{i:00}")).ToList();
        var md = PlanMarkdown.Render(Plans.Of(changes));
        Assert.Contains("<details><summary><b>Node <code>hv1</code></b>: 30 to create, worst disruption none</summary>\n\n", md);
        Assert.Contains("\n</details>\n", md);
        Assert.Contains("domain `vm-30`", md);
        Assert.StartsWith("<!-- reconciler-plan -->\n### 📝 Reconciler plan: 30 to create\n", md);
    }

    [Fact]
    public void No_changes_and_errors_have_their_own_headlines()
    {
        Assert.Contains("### ✅ Reconciler plan: no changes\n\n**No changes.** The nodes match the specs.", PlanMarkdown.Render(Plans.Empty()));
        var md = PlanMarkdown.Render(Plans.WithError());
        Assert.Contains("### ❌ Reconciler plan: 1 error\n", md);
        Assert.Contains("#### Errors\n\n- `vms/legacy.yaml:3:9` `metadata.name` domain 'legacy' already exists on node 'hv1' and is not managed by Reconciler [`not-owned`]", md);
        Assert.Contains("_hint:_ run again with \\-\\-adopt", md);
    }

    [Fact]
    public void Invalid_specs_list_their_errors()
    {
        var md = PlanMarkdown.RenderInvalid("/work/specs", [Diagnostic.Error("unknown-field", "unknown field 'vcpu'", new SourceLocation("vm.yaml", 4, 3), "spec.vcpu", "did you mean vcpus?")]);
        Assert.StartsWith("<!-- reconciler-plan -->\n### ❌ Reconciler plan: the specs have 1 error\n", md);
        Assert.Contains("- `vm.yaml:4:3` `spec.vcpu` unknown field 'vcpu' [`unknown-field`]", md);
    }

    [Fact]
    public void Escapes_what_users_wrote()
    {
        var evil = Plans.Of([
            Plans.Update("x", new FieldChange("spec.description", "a`b", "<!-- reconciler-plan --><img src=x onerror=alert(1)> @octocat", Disruption.None)),
        ], [Diagnostic.Warning("w", "see <script>alert(1)</script> and ping @octocat **now**")]);
        var md = PlanMarkdown.Render(evil);
        // Values are code spans: a fence longer than any backtick run inside, so nothing escapes them.
        Assert.Contains("``a`b``", md);
        Assert.Contains("`<!-- reconciler-plan --><img src=x onerror=alert(1)> @octocat`", md);
        // Free text loses every HTML and Markdown meaning, and mentions nobody.
        Assert.Contains("see \\<script\\>alert\\(1\\)\\</script\\> and ping @\u200Boctocat \\*\\*now\\*\\*", md);
        // The marker appears only as the first line (in a code span elsewhere, never raw at a line start).
        Assert.Equal(0, md.IndexOf(PlanMarkdown.Marker, StringComparison.Ordinal));
        Assert.DoesNotContain("\n" + PlanMarkdown.Marker, md);
    }

    [Fact]
    public void Code_spans_hold_any_text()
    {
        Assert.Equal("`plain`", PlanMarkdown.Code("plain"));
        Assert.Equal("``a`b``", PlanMarkdown.Code("a`b"));
        Assert.Equal("`` `x ``", PlanMarkdown.Code("`x"));
        Assert.Equal("`a b`", PlanMarkdown.Code("a\nb"));
    }

    [Fact]
    public void Stays_under_GitHubs_comment_limit()
    {
        var huge = Enumerable.Range(1, 3000).Select(i => Plans.Update($"vm-{i:0000}",
            new FieldChange("spec.description", new string('a', 40), new string('b', 40), Disruption.None))).ToList();
        var md = PlanMarkdown.Render(Plans.Of(huge));
        Assert.True(md.Length < 65_536, $"length {md.Length}");
        Assert.Matches(@"…and \d+ more changes not shown \(GitHub's comment size limit\)", md);
        Assert.Contains("<sub>Specs `/work/specs` at revision `3f2a9c1d0e4b`", md);
    }

    [Fact]
    public void Restarts_are_called_out()
    {
        var plan = Plans.Of([Plans.Update("db-1", new FieldChange("spec.vcpus", "1", "2", Disruption.Restart)) with { Restart = true }])
            with { PendingRestarts = [new PendingRestart("hv1", "web-1", [new FieldDiff("spec.memory", "1GiB", "2GiB")])] };
        var md = PlanMarkdown.Render(plan);
        Assert.Contains("- `~` **update** domain `db-1` — spec changed — disruption: **restart** — **will restart**\n", md);
        Assert.Contains("#### Restart pending\n\nThe running guest has not picked these up yet; a restart by anyone applies them.\n\n- domain `web-1` on `hv1`: `spec.memory` `1GiB` → `2GiB`\n", md);
    }

    [Fact]
    public void Sandbox_is_called_out()
    {
        var md = PlanMarkdown.Render(Plans.Of([Plans.Create("a", "sandbox")], nodes: [new PlanNode("sandbox", "test:///tmp/x/.reconcile/sandbox.xml", true)]));
        Assert.Contains("> [!NOTE]\n> Planned against the sandbox node `sandbox` (libvirt's test driver), not a real hypervisor.", md);
    }
}

public sealed class PlanCommitStatusTests
{
    [Fact]
    public void Success_says_what_changes()
    {
        var s = PlanCommitStatus.Of(Plans.ThreeCreatesOneUpdate());
        Assert.Equal(new CommitStatusUpdate("reconciler/plan", CommitStatusState.Success, "3 to create, 1 to update"), s);
        Assert.Equal("No changes", PlanCommitStatus.Of(Plans.Empty()).Description);
        Assert.Equal("1 to destroy", PlanCommitStatus.Of(Plans.Of([Plans.Destroy("old")])).Description);
    }

    [Fact]
    public void Errors_fail()
    {
        var s = PlanCommitStatus.Of(Plans.WithError());
        Assert.Equal(CommitStatusState.Failure, s.State);
        Assert.Equal("1 error; 1 to create", s.Description);
        Assert.Equal(new CommitStatusUpdate("reconciler/plan", CommitStatusState.Failure, "Invalid specs: 2 errors; no plan"),
            PlanCommitStatus.Invalid([Diagnostic.Error("a", "a"), Diagnostic.Error("b", "b"), Diagnostic.Warning("c", "c")]));
    }

    [Fact]
    public void Descriptions_are_cut_to_140_characters()
    {
        var s = new CommitStatusUpdate("c", CommitStatusState.Failure, new string('x', 200));
        Assert.Equal(140, s.TrimmedDescription.Length);
        Assert.EndsWith("…", s.TrimmedDescription);
    }
}
