using System.Text.Json;
using Json.Schema;

namespace Reconciler.Engine.Tests;

/// <summary>The plan JSON that `plan --output json` prints is what specs/plan-v1.schema.json documents.</summary>
public sealed class PlanJsonSchemaTests
{
    // Parsed once: JsonSchema.Net registers a schema by its $id globally and refuses a second copy.
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(RepoFile("specs/plan-v1.schema.json"))));

    private static string RepoFile(string relative)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Reconciler.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new InvalidOperationException("repo root not found"), relative);
    }

    [Fact]
    public async Task Plans_with_changes_errors_and_no_changes_all_match_the_documented_schema()
    {
        var schema = Schema.Value;
        using var dir = new SpecDir().Write("vms.yaml", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: a}
            spec: {memory: 64MiB}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: b}
            spec: {memory: 64MiB, node: nowhere}
            """);
        var outputs = new List<string> { (await Cli.RunAsync("plan", dir.Path, "-o", "json")).Out };
        dir.Write("vms.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: a}\nspec: {memory: 64MiB}\n");
        await Cli.RunAsync("apply", dir.Path, "-y");
        outputs.Add((await Cli.RunAsync("plan", dir.Path, "-o", "json")).Out);

        foreach (var output in outputs)
        {
            using var doc = JsonDocument.Parse(output);
            var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            var problems = result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? [];
            Assert.True(result.IsValid, string.Join("\n", problems) + "\n" + output);
        }
        Assert.Contains("\"unknown-node\"", outputs[0]);
        Assert.Contains("\"noChanges\": true", outputs[1]);
    }

    [Fact]
    public async Task A_plan_with_node_checks_and_their_skip_notes_matches_the_documented_schema()
    {
        using var dir = new SpecDir().Write("vms.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: a}\nspec: {memory: 64MiB, cpu: {mode: custom, model: qemu64}}\n");
        var output = (await Cli.RunAsync("plan", dir.Path, "-o", "json")).Out;
        using var doc = JsonDocument.Parse(output);
        var result = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, output);
        Assert.Contains("\"severity\": \"note\"", output);
        Assert.Contains("\"outcome\": \"skipped\"", output);
    }

    [Fact]
    public async Task A_plan_with_held_removals_matches_the_documented_schema()
    {
        using var dir = new SpecDir().Write("vms.yaml", MassPruneApplyTests.Domains(20));
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "-y")).ExitCode);
        dir.Write("vms.yaml", MassPruneApplyTests.Domains(5));
        var output = (await Cli.RunAsync("plan", dir.Path, "-o", "json")).Out;
        using var doc = JsonDocument.Parse(output);
        var result = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, output);
        Assert.Equal(15, doc.RootElement.GetProperty("heldPrunes")[0].GetProperty("names").GetArrayLength());
        Assert.Contains("\"mass-prune-held\"", output);
    }

    [Fact]
    public void A_schema_violation_is_detected()
    {
        // Guards the test above: the schema really is strict.
        var schema = Schema.Value;
        using var doc = JsonDocument.Parse("""{"formatVersion": 1, "extra": true}""");
        Assert.False(schema.Evaluate(doc.RootElement).IsValid);
    }
}
