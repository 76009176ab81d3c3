using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Specs;

namespace Reconciler.Specs.Tests;

internal static class T
{
    /// <summary>A Domain manifest whose spec fields start at line 6, column 3.</summary>
    public const string DomainHeader = "apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  name: web-1\nspec:\n";

    public static LoadResult Load(string yaml, string file = "a.yaml") => SpecLoader.LoadFiles("test", [(file, yaml)]);

    public static LoadResult Load(params (string Path, string Text)[] files) => SpecLoader.LoadFiles("test", files);

    public static LoadResult Domain(string specLines) => Load(DomainHeader + specLines);

    /// <summary>Asserts exactly one diagnostic with this code and field path, at file:line:column, with a hint; returns it.</summary>
    public static Diagnostic Expect(LoadResult result, string code, string? path, int line, int column, string file = "a.yaml")
    {
        var matching = result.Diagnostics.Where(d => d.Code == code && d.FieldPath == path).ToList();
        Assert.True(matching.Count == 1,
            $"expected one {code} at {path}, got:\n" + string.Join("\n", result.Diagnostics));
        var d = matching[0];
        Assert.Equal(Severity.Error, d.Severity);
        Assert.NotNull(d.Location);
        Assert.Equal((file, line, column), (d.Location!.File, d.Location.Line, d.Location.Column));
        Assert.False(string.IsNullOrWhiteSpace(d.Hint), "diagnostic has no hint: " + d);
        Assert.Null(result.Specs);
        return d;
    }

    /// <summary>Asserts the load succeeded without any diagnostic and returns the set.</summary>
    public static SpecSet Ok(LoadResult result)
    {
        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        Assert.NotNull(result.Specs);
        return result.Specs!;
    }

    public static DomainSpec OneDomain(LoadResult result) => Assert.Single(Ok(result).Domains);

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("reconciler-specs-").FullName;

    public string Write(string relative, string text)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
