using System.Diagnostics;
using Reconciler.Specs.Kinds;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>Bad input of any shape becomes diagnostics, never an exception.</summary>
public class RobustnessTests
{
    private static readonly string Example = new NodeKind().Example + "\n---\n" + new DomainKind().Example + "\n";

    private static void AssertWellFormed(LoadResult result)
    {
        foreach (var d in result.Diagnostics.Where(d => d.Code != NoManifests))
        {
            Assert.NotNull(d.Location);
            Assert.Equal("f.yaml", d.Location!.File);
            Assert.False(string.IsNullOrEmpty(d.Hint), d.ToString());
        }
        Assert.Equal(result.Specs is null, result.HasErrors);
    }

    [Fact]
    public void Every_prefix_of_a_valid_file_loads_without_throwing()
    {
        for (var length = 0; length <= Example.Length; length++)
        {
            AssertWellFormed(T.Load(Example[..length], "f.yaml"));
        }
    }

    [Fact]
    public void Random_mutations_load_without_throwing()
    {
        var random = new Random(42);
        const string alphabet = " \n\t:-[]{},'\"&*!|>#%@`?~0123456789abcxyzé\u0001";
        for (var round = 0; round < 500; round++)
        {
            var chars = Example.ToCharArray();
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            AssertWellFormed(T.Load(new string(chars), "f.yaml"));
        }
    }

    [Fact]
    public void Alias_bombs_are_cheap()
    {
        var yaml = T.DomainHeader
            + "  description: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "  disks: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "  interfaces: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            + "  xml: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        var watch = Stopwatch.StartNew();
        var result = T.Load(yaml, "f.yaml");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Contains(result.Diagnostics, d => d.Code == WrongType);
        AssertWellFormed(result);
    }

    [Fact]
    public void Odd_keys_and_tags_are_diagnostics()
    {
        AssertWellFormed(T.Load("? [a, b]\n: c\n", "f.yaml"));
        AssertWellFormed(T.Load(T.DomainHeader + "  ? {a: 1}\n  : 2\n  !!str vcpus: !!int 2\n  labels: {a: b}\n", "f.yaml"));
        AssertWellFormed(T.Load("apiVersion: reconciler/v1\nkind: [Domain]\nmetadata: [a]\nspec: 5\n", "f.yaml"));
        AssertWellFormed(T.Load("apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  name: a\n  labels: {a: [1], b: {c: d}, ~: x}\n", "f.yaml"));
        AssertWellFormed(T.Load("%YAML 1.1\n--- !foo\napiVersion: reconciler/v1\n", "f.yaml"));
        AssertWellFormed(T.Load("*undefined\n", "f.yaml"));
        AssertWellFormed(T.Load("\t\tkind: x\n", "f.yaml"));
    }

    [Fact]
    public void Huge_numbers_are_diagnostics()
    {
        T.Expect(T.Domain("  vcpus: 99999999999999999999999\n"), OutOfRange, "spec.vcpus", 6, 10);
        T.Expect(T.Domain("  memory: 99999999999999999999TiB\n"), InvalidSize, "spec.memory", 6, 11);
    }
}
