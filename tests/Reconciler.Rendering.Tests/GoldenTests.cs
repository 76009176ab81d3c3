using System.Text;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// Rendered XML against reviewed files in Golden/. <c>RECONCILER_UPDATE_GOLDEN=1</c> rewrites them
/// (then review the git diff carefully). Every golden file must also pass libvirt's own schema.
/// </summary>
public sealed class GoldenTests
{
    private static readonly string GoldenDir = Path.Combine(Tools.SourceDir(), "Golden");
    private static bool Update => Environment.GetEnvironmentVariable("RECONCILER_UPDATE_GOLDEN") == "1";

    public static TheoryData<string> CaseNames() => new(Cases.All.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rendered_xml_matches_the_golden_file(string caseName)
    {
        var (spec, domainType) = Cases.All[caseName];
        var actual = DomainRenderer.Render(spec, Cases.Options(caseName, domainType));
        var path = Path.Combine(GoldenDir, caseName + ".xml");
        if (Update)
        {
            Directory.CreateDirectory(GoldenDir);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"missing golden file {path}; run with RECONCILER_UPDATE_GOLDEN=1 and review it");
        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            Assert.Fail($"{caseName}: rendered XML differs from {path} (RECONCILER_UPDATE_GOLDEN=1 rewrites it):\n{LineDiff(expected, actual)}");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Golden_file_is_valid_libvirt_domain_xml(string caseName)
    {
        var path = Path.Combine(GoldenDir, caseName + ".xml");
        Assert.True(File.Exists(path), $"missing golden file {path}");
        var result = Tools.Run("virt-xml-validate", path, "domain");
        Assert.True(result.Ok, $"virt-xml-validate rejected {path}:\n{result}");
    }

    [Fact]
    public void Every_golden_file_belongs_to_a_case()
    {
        var stale = Directory.GetFiles(GoldenDir, "*.xml")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(name => !Cases.All.ContainsKey(name))
            .ToList();
        Assert.True(stale.Count == 0, $"golden files without a case (delete them): {string.Join(", ", stale)}");
        Assert.True(Cases.All.Count >= 8);
    }

    /// <summary>Lines that differ, with line numbers, '-' expected and '+' actual.</summary>
    internal static string LineDiff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var text = new StringBuilder();
        var shown = 0;
        for (var i = 0; i < Math.Max(a.Length, b.Length) && shown < 40; i++)
        {
            var left = i < a.Length ? a[i] : null;
            var right = i < b.Length ? b[i] : null;
            if (left == right) continue;
            shown++;
            if (left is not null) text.Append($"{i + 1,4} - {left}\n");
            if (right is not null) text.Append($"{i + 1,4} + {right}\n");
        }
        return text.ToString();
    }
}
