namespace Reconciler.Engine.Tests;

/// <summary>The spec examples shipped in examples/: every directory holding Reconciler manifests.</summary>
public static class Examples
{
    public static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Reconciler.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("repo root not found");
        }
    }

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(RepoRoot, "examples")).Order(StringComparer.Ordinal))
        {
            var files = Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();
            var manifests = files.Any(f => f.Contains("apiVersion: reconciler/v1", StringComparison.Ordinal));
            // Examples that bring their own Node (a real hypervisor) are run by their own end-to-end tests, never here.
            if (manifests && !files.Any(f => f.Contains("kind: Node", StringComparison.Ordinal))) data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    /// <summary>Copies an example to a fresh temp directory (so its sandbox state starts empty).</summary>
    internal static SpecDir Copy(string name)
    {
        var target = new SpecDir();
        var source = Path.Combine(RepoRoot, "examples", name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith(".reconcile", StringComparison.Ordinal)) continue;
            var destination = Path.Combine(target.Path, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    /// <summary>
    /// <see cref="Copy"/>, and for small-env an empty stand-in for its base image, which is the user's
    /// to supply (not in the repo): loading checks only that it exists.
    /// </summary>
    internal static SpecDir CopyLoadable(string name)
    {
        var copy = Copy(name);
        var baseImage = Path.Combine(copy.Path, "images", "base.qcow2");
        if (name == "small-env" && !File.Exists(baseImage))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(baseImage)!);
            File.WriteAllBytes(baseImage, []);
        }
        return copy;
    }
}

/// <summary>Every example applies on the sandbox (libvirt's test driver) and then plans empty.</summary>
public sealed class ExampleTests
{
    [Theory]
    [MemberData(nameof(Examples.All), MemberType = typeof(Examples))]
    public async Task Example_applies_on_the_sandbox_then_plans_empty(string example)
    {
        using var dir = Examples.Copy(example);
        var validate = await Cli.RunAsync("validate", dir.Path);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        var apply = await Cli.RunAsync("apply", dir.Path, "-y", "--shutdown-timeout", "2");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var plan = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("No changes.", plan.Out);
    }
}

/// <summary>Every domain of every example renders to XML that libvirt's own schema accepts.</summary>
public sealed class ExampleSchemaTests
{
    public static TheoryData<string> AllExamples()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(Examples.RepoRoot, "examples")).Order(StringComparer.Ordinal))
        {
            if (Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains("kind: Domain", StringComparison.Ordinal)))
            {
                data.Add(Path.GetFileName(dir));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllExamples))]
    public void Example_domains_validate_with_virt_xml_validate(string example)
    {
        using var copy = Examples.CopyLoadable(example);
        var loaded = Workspace.Load(copy.Path, connect: null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        var rendered = Operations.Render(loaded, name: null, domainType: "kvm");   // what a real node offers; no node is opened
        Assert.Equal(loaded.Specs!.Domains.Count, rendered.Count);
        foreach (var (_, domain, xml) in rendered)
        {
            var file = Path.Combine(Path.GetTempPath(), $"example-{example}-{domain}-{Guid.NewGuid():N}.xml");
            File.WriteAllText(file, xml);
            try
            {
                var psi = new System.Diagnostics.ProcessStartInfo("virt-xml-validate", [file, "domain"]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var process = System.Diagnostics.Process.Start(psi)!;
                var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, $"{example}/{domain}: {output}\n{xml}");
            }
            finally
            {
                File.Delete(file);
            }
        }
    }
}
