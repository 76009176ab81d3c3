using System.Text.Json;

namespace Reconciler.Engine.Tests;

/// <summary><c>plan</c> and <c>apply</c> hold a mass removal (sandbox node) and release it with --allow-mass-prune.</summary>
public sealed class MassPruneApplyTests
{
    internal static string Domains(int count, int firstMemoryMiB = 64) => string.Join("---\n", Enumerable.Range(0, count).Select(i =>
        $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: m-{i:D2}}}\nspec: {{state: stopped, vcpus: 1, memory: {(i == 0 ? firstMemoryMiB : 64)}MiB, graphics: {{type: none}}}}\n"));

    [Fact]
    public async Task Apply_holds_15_of_20_applies_the_rest_exits_1_and_allow_mass_prune_releases_them()
    {
        using var dir = new SpecDir().Write("vms.yaml", Domains(20));
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);

        // 15 of the 20 leave the specs, and the first one changes: the change is applied, the removals held.
        dir.Write("vms.yaml", Domains(5, firstMemoryMiB: 96));
        var plan = await Cli.RunAsync("plan", dir.Path);
        Assert.True(plan.ExitCode == 1, plan.ToString());
        Assert.Contains("Held on node", plan.Out);
        Assert.Contains("15 of 20 owned domains", plan.Out);
        Assert.Contains("! - domain m-19", plan.Out);
        Assert.Contains("Plan: 0 to create, 1 to update, 0 to destroy.", plan.Out);

        var held = await Cli.RunAsync("apply", dir.Path, "-y");
        Assert.True(held.ExitCode == 1, held.ToString());
        Assert.Contains("--allow-mass-prune", held.All);
        Assert.Contains("Held: 15 of the 20 owned domains", held.Err);
        Assert.Contains("Apply complete: 1 done, 0 failed, 0 not done.", held.Out);

        // The update went through; only the held removals are left, and are held again.
        var again = await Cli.RunAsync("plan", dir.Path, "-o", "json");
        using (var doc = JsonDocument.Parse(again.Out))
        {
            Assert.Equal(0, doc.RootElement.GetProperty("changes").GetArrayLength());
            var heldPrune = Assert.Single(doc.RootElement.GetProperty("heldPrunes").EnumerateArray());
            Assert.Equal(15, heldPrune.GetProperty("count").GetInt32());
            Assert.Equal(20, heldPrune.GetProperty("owned").GetInt32());
        }

        var allowed = await Cli.RunAsync("apply", dir.Path, "-y", "--allow-mass-prune");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Contains("Apply complete: 15 done", allowed.Out);
        Assert.Equal(0, (await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode")).ExitCode);
    }

    [Fact]
    public async Task A_removal_under_the_limit_goes_ahead_and_the_limit_can_be_changed()
    {
        using var dir = new SpecDir().Write("vms.yaml", Domains(20));
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        dir.Write("vms.yaml", Domains(17));
        // 3 of 20 is under the default limit, over a stricter one.
        var strict = await Cli.RunAsync("plan", dir.Path, "--mass-prune-limit", "2,10%,50");
        Assert.True(strict.ExitCode == 1, strict.ToString());
        Assert.Contains("mass-prune-held", strict.Out);
        var bad = await Cli.RunAsync("plan", dir.Path, "--mass-prune-limit", "lots");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("COUNT,PERCENT%,MAX", bad.All);
        var applied = await Cli.RunAsync("apply", dir.Path, "-y");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("Apply complete: 3 done", applied.Out);
    }
}
