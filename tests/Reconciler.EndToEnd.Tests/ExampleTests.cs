using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Every example in examples/ applies on a real libvirtd and then plans empty. The example runs
/// from a temp copy, and only domains whose owner metadata names that copy are removed afterwards,
/// so a developer's own domains with the same names are never touched (the apply would refuse them).
/// </summary>
public sealed class ExampleTests
{
    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(RepoRoot, "examples")).Order(StringComparer.Ordinal))
        {
            var files = Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();
            // Examples that bring their own Node specs are run by their own tests.
            if (files.Any(f => f.Contains("apiVersion: reconciler/v1", StringComparison.Ordinal)) && !files.Any(f => f.Contains("kind: Node", StringComparison.Ordinal)))
            {
                data.Add(Path.GetFileName(dir));
            }
        }
        return data;
    }

    private static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Reconciler.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("repo root not found");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Example_applies_on_real_libvirt_then_plans_empty(string example)
    {
        using var dir = new SpecDir();
        var source = Path.Combine(RepoRoot, "examples", example);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(dir.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        try
        {
            var apply = await Cli.RunAsync("apply", dir.Path, "--connect", RealLibvirt.Uri, "-y", "--shutdown-timeout", "3");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            var plan = await Cli.RunAsync("plan", dir.Path, "--connect", RealLibvirt.Uri, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 0, plan.ToString());
        }
        finally
        {
            RemoveOwnedBy(Path.GetFullPath(dir.Path).TrimEnd('/'));
        }
    }

    private static void RemoveOwnedBy(string specSource)
    {
        using var conn = RealLibvirt.Connect();
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                var owner = d.GetMetadata(OwnerRecord.Namespace, DomainModificationImpact.Config);
                if (owner is null || (string?)XElement.Parse(owner).Attribute("source") != specSource) continue;
                if (d.IsActive) d.Destroy();
                d.Undefine(UndefineFlags.Nvram);
            }
        }
    }
}
