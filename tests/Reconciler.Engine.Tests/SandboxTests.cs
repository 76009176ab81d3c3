using System.Text.Json;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The whole CLI against the embedded sandbox (libvirt's real test driver, kept in a file under
/// .reconcile/): every test reopens the node from its file, as a new process would.
/// </summary>
public sealed class SandboxTests
{
    private const string TwoDomains = """
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: web-1, labels: {tier: web}}
        spec:
          state: running
          autostart: true
          vcpus: 2
          memory: 256MiB
          disks:
            - {path: /var/lib/libvirt/images/web-1.qcow2}
            - {path: /srv/iso/installer.iso, device: cdrom}
          interfaces:
            - {network: default}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: db-1}
        spec: {state: stopped, vcpus: 1, memory: 128MiB, graphics: {type: none}}
        """;

    [Fact]
    public async Task Plan_apply_plan_converges_and_the_sandbox_remembers_between_runs()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        var plan = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2, plan.ToString());
        Assert.Contains("sandbox", plan.Out);
        Assert.Contains("Plan: 2 to create, 0 to update, 0 to destroy.", plan.Out);

        var apply = await Cli.RunAsync("apply", dir.Path, "--auto-approve");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("[1/2]", apply.Out);
        Assert.Contains("2 done, 0 failed", apply.Out);

        var again = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("No changes.", again.Out);

        // What was applied really is in the node file libvirt's test driver loads.
        using var node = LibvirtConnection.Open("test://" + System.IO.Path.Combine(dir.Path, ".reconcile", "sandbox-node.xml"));
        using var web = node.LookupDomainByName("web-1");
        Assert.NotNull(web);
        Assert.True(web.IsActive);
        using var db = node.LookupDomainByName("db-1");
        Assert.False(db!.IsActive);
    }

    [Fact]
    public async Task A_changed_spec_is_an_update_listing_each_field_and_apply_converges()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        dir.Write("vms.yaml", TwoDomains.Replace("memory: 128MiB", "memory: 512MiB").Replace("autostart: true", "autostart: false"));

        var plan = await Cli.RunAsync("plan", dir.Path, "--output", "json", "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2, plan.ToString());
        using var json = JsonDocument.Parse(plan.Out);
        var changes = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(2, changes.Count);
        var db = changes.Single(c => c.GetProperty("name").GetString() == "db-1");
        Assert.Equal("update", db.GetProperty("action").GetString());
        var fields = db.GetProperty("fields").EnumerateArray().Select(f => (f.GetProperty("path").GetString(), f.GetProperty("before").GetString(), f.GetProperty("after").GetString())).ToList();
        Assert.Contains(("spec.memory", "128MiB", "512MiB"), fields);
        Assert.Equal(1, json.RootElement.GetProperty("formatVersion").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("summary").GetProperty("update").GetInt32());

        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        var after = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    [Fact]
    public async Task Removing_a_spec_destroys_the_owned_domain()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        dir.Write("vms.yaml", TwoDomains.Split("---")[0]);
        var plan = await Cli.RunAsync("plan", dir.Path);
        Assert.Contains("- domain db-1", plan.Out);
        Assert.Contains("Plan: 0 to create, 0 to update, 1 to destroy.", plan.Out);
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);
    }

    [Fact]
    public async Task Apply_asks_first_and_changes_nothing_without_a_yes()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        var declined = await Cli.RunWithInputAsync("no\n", "apply", dir.Path);
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains("Apply these 2 change(s)?", declined.Out);
        Assert.Contains("nothing was changed", declined.Err);
        Assert.Equal(2, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);

        var accepted = await Cli.RunWithInputAsync("yes\n", "apply", dir.Path);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
    }

    [Fact]
    public async Task A_saved_plan_is_applied_as_saved_and_refused_when_the_domain_moved_under_it()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        var planFile = System.IO.Path.Combine(dir.Path, "p.plan");
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--out", planFile)).ExitCode);
        var applied = await Cli.RunAsync("apply", planFile);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);

        dir.Write("vms.yaml", TwoDomains.Replace("vcpus: 1", "vcpus: 2"));
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--out", planFile)).ExitCode);
        // Someone else changes db-1 between plan and apply: the saved plan must be refused whole.
        var nodeFile = System.IO.Path.Combine(dir.Path, ".reconcile", "sandbox-node.xml");
        File.WriteAllText(nodeFile, File.ReadAllText(nodeFile).Replace(">131072</memory>", ">262144</memory>", StringComparison.Ordinal));
        Assert.Contains(">262144</memory>", File.ReadAllText(nodeFile));
        var stale = await Cli.RunAsync("apply", planFile);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("stale", stale.Err);
        using var node = LibvirtConnection.Open("test://" + nodeFile);
        using var db = node.LookupDomainByName("db-1");
        Assert.Contains("<vcpu placement='static'>1</vcpu>", db!.GetXmlDesc(DomainXmlFlags.Inactive));
    }

    [Fact]
    public async Task A_plan_saved_in_another_format_or_with_a_change_of_no_known_type_is_refused_without_a_stack_trace()
    {
        using var dir = new SpecDir().Write("vms.yaml", TwoDomains);
        var planFile = System.IO.Path.Combine(dir.Path, "p.plan");
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--out", planFile)).ExitCode);
        var saved = File.ReadAllText(planFile);
        Assert.Contains("\"type\": \"domain-create\"", saved);
        var untyped = System.Text.RegularExpressions.Regex.Replace(saved, "\"type\": \"[a-z-]+\",", "");

        // Format 1 (before changes named their type): refused by its version, before its changes are read.
        File.WriteAllText(planFile, untyped.Replace("\"formatVersion\": 2", "\"formatVersion\": 1", StringComparison.Ordinal));
        var old = await Cli.RunAsync("apply", planFile);
        Assert.Equal(1, old.ExitCode);
        Assert.Contains("was saved in plan format 1; this reconcile reads format 2. Plan again.", old.Err);

        // The current format with a change that names no type: unreadable, said in one line.
        File.WriteAllText(planFile, untyped);
        var broken = await Cli.RunAsync("apply", planFile);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("is not a readable saved plan", broken.Err);
        foreach (var result in new[] { old, broken }) Assert.DoesNotMatch(@"^\s+at [A-Z][\w.]+\(", result.All);
        // Nothing was applied: both domains are still to create.
        Assert.Equal(2, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);
    }

    [Fact]
    public async Task Invalid_specs_exit_1_with_locations_and_no_stack_trace()
    {
        using var dir = new SpecDir().Write("bad.yaml", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: "x</name><devices>"}
            spec: {vcpus: -1, memory: lots, memroy: 1GiB}
            """);
        foreach (var args in new[] { new[] { "validate", dir.Path }, ["plan", dir.Path], ["apply", dir.Path, "-y"] })
        {
            var result = await Cli.RunAsync(args);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Matches(@"bad\.yaml:\d+:\d+", result.Err);
            Assert.DoesNotMatch(@"^\s+at [A-Z][\w.]+\(", result.All);
        }
        Assert.False(Directory.Exists(System.IO.Path.Combine(dir.Path, ".reconcile", "sandbox-node.xml")));
    }
}

public sealed class PausedDomainTests
{
    [Fact]
    public async Task A_domain_paused_behind_our_back_is_resumed()
    {
        using var dir = new SpecDir().Write("vm.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: p1}\nspec: {memory: 64MiB}\n");
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        var nodeFile = System.IO.Path.Combine(dir.Path, ".reconcile", "sandbox-node.xml");
        File.WriteAllText(nodeFile, File.ReadAllText(nodeFile).Replace(">1</test:runstate>", ">3</test:runstate>", StringComparison.Ordinal)); // 3 = paused
        var plan = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2, plan.ToString());
        Assert.Contains("spec.state: paused → running", plan.Out);
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);
    }
}
