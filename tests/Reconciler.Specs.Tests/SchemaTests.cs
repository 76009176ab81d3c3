using System.Text.Json;
using Reconciler.Specs.Kinds;

namespace Reconciler.Specs.Tests;

public class SchemaTests
{
    [Theory]
    [InlineData("reconciler-v1.schema.json")]
    [InlineData("reference.md")]
    public void Checked_in_schema_and_reference_match_the_field_tables(string file)
    {
        var generated = file.EndsWith(".json", StringComparison.Ordinal) ? SpecSchema.GenerateJsonSchema() : SpecSchema.GenerateReference();
        var path = Path.Combine(T.RepoRoot(), "specs", file);
        if (Environment.GetEnvironmentVariable("RECONCILER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, generated);
        }
        Assert.True(File.Exists(path), $"{path} is missing; run with RECONCILER_UPDATE_GOLDEN=1 to create it");
        var checkedIn = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(checkedIn == generated,
            $"specs/{file} is out of date with the field tables; regenerate with RECONCILER_UPDATE_GOLDEN=1 dotnet test tests/Reconciler.Specs.Tests");
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        Assert.Equal(SpecSchema.GenerateJsonSchema(), SpecSchema.GenerateJsonSchema());
        Assert.Equal(SpecSchema.GenerateReference(), SpecSchema.GenerateReference());
    }

    [Fact]
    public void Schema_is_closed_and_typed()
    {
        using var doc = JsonDocument.Parse(SpecSchema.GenerateJsonSchema());
        var root = doc.RootElement;
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(["Node", "StoragePool", "Volume", "Network", "Domain"], root.GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var defs = root.GetProperty("definitions");
        foreach (var def in defs.EnumerateObject())
        {
            Assert.False(def.Value.GetProperty("additionalProperties").GetBoolean(), def.Name);
        }
        var domain = defs.GetProperty("DomainSpec").GetProperty("properties");
        Assert.Equal(["running", "stopped"], domain.GetProperty("state").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4096, domain.GetProperty("vcpus").GetProperty("maximum").GetInt32());
        Assert.Equal("1GiB", domain.GetProperty("memory").GetProperty("default").GetString());
        Assert.Equal("uri", Assert.Single(defs.GetProperty("NodeSpec").GetProperty("required").EnumerateArray()).GetString());
        Assert.Equal("^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$", defs.GetProperty("Metadata").GetProperty("properties").GetProperty("name").GetProperty("pattern").GetString());
        Assert.Equal(5, root.GetProperty("allOf").GetArrayLength());
    }

    [Fact]
    public void Reference_documents_every_field_of_every_table()
    {
        var reference = SpecSchema.GenerateReference();
        foreach (var kind in KindRegistry.SupportedKinds)
        {
            Assert.Contains($"## kind: {kind.Kind}", reference);
            foreach (var field in kind.Spec!.Fields)
            {
                Assert.Contains($"### `spec.{field.Name}`", reference);
                Assert.False(string.IsNullOrEmpty(field.Libvirt), $"{kind.Kind} spec.{field.Name} has no libvirt mapping");
                Assert.False(string.IsNullOrEmpty(field.Example), $"{kind.Kind} spec.{field.Name} has no example");
            }
        }
        Assert.Contains("### `spec.disks[].bus`", reference);
        Assert.Contains("StoragePool", reference);
    }

    [Fact]
    public void Kind_examples_in_the_reference_load_cleanly()
    {
        var files = KindRegistry.SupportedKinds.Select(k => ($"{k.Kind}.yaml", k.Example!)).ToArray();
        var set = T.Ok(SpecLoader.LoadFiles("examples", files));
        Assert.Single(set.Nodes);
        Assert.Single(set.Domains);
    }

    [Fact]
    public void Every_table_field_example_is_accepted_by_the_loader()
    {
        // Each spec field's documented example, written alone in a manifest, loads (given what it needs).
        foreach (var field in DomainKind.SpecDef.Fields)
        {
            var extra = field.Name switch
            {
                "maxVcpus" => "  vcpus: 2\n",
                "maxMemory" => "  memory: 2GiB\n",
                "secureBoot" => "  firmware: uefi\n",
                _ => "",
            };
            var result = T.Domain(extra + $"  {field.Name}: {field.Example}\n");
            Assert.True(result.Diagnostics.Count == 0, $"{field.Name}: " + string.Join("\n", result.Diagnostics));
        }
    }
}
