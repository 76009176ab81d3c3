using System.Text.RegularExpressions;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Runs build/package.sh once (into a temporary directory: the checkout's bin/obj are not touched)
/// and checks what a user installs: the Debian package on this machine (installed with apt-get,
/// used as an unprivileged user, purged), the single-file binary with no .NET in reach, the
/// dotnet tool, and the bash completion script in a real bash.
/// </summary>
public sealed class PackageBuild : IDisposable
{
    public PackageBuild()
    {
        Out = Path.Combine(Path.GetTempPath(), "reconciler-package-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, stdout, stderr) = Programs.Run("bash", Path.Combine(Repo.Root, "build", "package.sh"), Out);
        Log = stdout + stderr;
        Built = code == 0;
        Deb = Built ? Directory.GetFiles(Out, "reconciler_*_amd64.deb").SingleOrDefault() : null;
        Version = Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "Directory.Build.props")), "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
    }

    public string Out { get; }

    public bool Built { get; }

    public string Log { get; }

    public string? Deb { get; }

    public string Version { get; }

    public string Binary => Path.Combine(Out, "linux-x64", "reconcile");

    public void Dispose()
    {
        Programs.Run("apt-get", "purge", "-y", "-q", "reconciler");
        try { Directory.Delete(Out, recursive: true); } catch (IOException) { }
    }
}

public sealed class PackagingTests(PackageBuild build) : IClassFixture<PackageBuild>
{
    private const string Spec = "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: pkg-1}\nspec: {state: stopped, memory: 64MiB}\n";

    private void AssertBuilt()
    {
        Assert.True(build.Built, "build/package.sh failed:\n" + build.Log);
        Assert.NotNull(build.Deb);
    }

    /// <summary>A spec directory any user may write (the sandbox keeps its state in DIR/.reconcile).</summary>
    private static string OpenSpecDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "reconciler-pkg-specs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "d.yaml"), Spec);
        Programs.Run("chmod", "-R", "a+rwX", dir);
        return dir;
    }

    [Fact]
    public void The_deb_installs_runs_as_an_unprivileged_user_and_purges_without_leftovers()
    {
        AssertBuilt();
        var (listed, contents, _) = Programs.Run("dpkg-deb", "-c", build.Deb!);
        Assert.Equal(0, listed);
        var shipped = contents.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l[(l.IndexOf("./", StringComparison.Ordinal) + 1)..].Trim())
            .Where(p => !p.EndsWith('/')).ToList();
        Assert.Contains("/usr/bin/reconcile", shipped);
        Assert.Contains("/lib/systemd/system/reconciler.service", shipped);
        Assert.Contains("/etc/reconciler/appsettings.json", shipped);
        Assert.Contains("/usr/share/bash-completion/completions/reconcile", shipped);
        Assert.Contains("/usr/share/doc/reconciler/copyright", shipped);

        var install = Programs.Run("apt-get", "install", "-y", "-q", build.Deb!);
        Assert.True(install.Code == 0, install.Out + install.Err);
        try
        {
            var (_, fields, _) = Programs.Run("dpkg-query", "-W", "-f=${Depends}\n${Conffiles}\n", "reconciler");
            Assert.Contains("libvirt0", fields);
            Assert.Contains("/etc/reconciler/appsettings.json", fields);

            var version = Programs.Run("/usr/bin/reconcile", "--version");
            Assert.Equal(0, version.Code);
            Assert.StartsWith(build.Version + "+", version.Out.Trim());
            var commit = Programs.Run("git", "-C", Repo.Root, "rev-parse", "HEAD");
            if (commit.Code == 0) Assert.Equal(build.Version + "+" + commit.Out.Trim(), version.Out.Trim());

            var unit = File.ReadAllText("/lib/systemd/system/reconciler.service");
            Assert.Contains("ExecStart=/usr/bin/reconcile run --config /etc/reconciler/appsettings.json", unit);
            var verify = Programs.Run("systemd-analyze", "verify", "/lib/systemd/system/reconciler.service");
            Assert.True(verify.Code == 0, verify.Out + verify.Err);

            var dir = OpenSpecDir();
            try
            {
                var plan = Programs.Run("su", "-s", "/bin/sh", "nobody", "-c", $"HOME={dir} /usr/bin/reconcile plan {dir}");
                Assert.True(plan.Code == 0, plan.Out + plan.Err);
                Assert.Contains("Plan: 1 to create", plan.Out);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            var purge = Programs.Run("apt-get", "purge", "-y", "-q", "reconciler");
            Assert.True(purge.Code == 0, purge.Out + purge.Err);
        }
        Assert.All(shipped, p => Assert.False(File.Exists(p), $"{p} is still there after the purge"));
        Assert.False(Directory.Exists("/etc/reconciler"), "/etc/reconciler is still there after the purge");
        var status = Programs.Run("dpkg-query", "-W", "-f=${Status}", "reconciler");
        Assert.False(status.Code == 0 && status.Out.Contains("ok installed", StringComparison.Ordinal), "still installed: " + status.Out);
    }

    [Fact]
    public void Lintian_reports_no_errors_on_the_deb()
    {
        AssertBuilt();
        var (_, stdout, stderr) = Programs.Run("lintian", "--tag-display-limit", "0", build.Deb!);
        var errors = (stdout + stderr).Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [Fact]
    public void The_single_file_binary_plans_with_no_dotnet_in_reach()
    {
        AssertBuilt();
        Assert.Equal(["reconcile"], Directory.GetFiles(Path.GetDirectoryName(build.Binary)!).Select(Path.GetFileName));
        var dir = OpenSpecDir();
        var empty = Directory.CreateTempSubdirectory("reconciler-no-dotnet-").FullName;
        try
        {
            // env -i: no PATH to the SDK, DOTNET_ROOT pointing at an empty folder.
            var plan = Programs.Run("env", "-i", "PATH=/usr/bin:/bin", $"DOTNET_ROOT={empty}", $"HOME={dir}", build.Binary, "plan", dir);
            Assert.True(plan.Code == 0, plan.Out + plan.Err);
            Assert.Contains("Plan: 1 to create", plan.Out);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void The_dotnet_tool_installs_from_the_package_folder_and_runs()
    {
        AssertBuilt();
        Assert.Single(Directory.GetFiles(build.Out, $"reconciler.{build.Version}.nupkg"));
        var tools = Directory.CreateTempSubdirectory("reconciler-tool-").FullName;
        try
        {
            var install = Programs.Run("dotnet", "tool", "install", "--tool-path", tools, "--add-source", build.Out, "--version", build.Version, "reconciler");
            Assert.True(install.Code == 0, install.Out + install.Err);
            var version = Programs.Run(Path.Combine(tools, "reconcile"), "--version");
            Assert.Equal(0, version.Code);
            Assert.StartsWith(build.Version + "+", version.Out.Trim());
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    [Fact]
    public void Bash_completion_offers_commands_and_the_domain_names_of_the_directory()
    {
        AssertBuilt();
        using var specs = new SpecDir()
            .Write("a.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: web-1}\nspec: {memory: 64MiB}\n")
            .Write("b.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: db-1}\nspec: {memory: 64MiB}\n");
        string Complete(params string[] words)
        {
            var line = "reconcile " + string.Join(' ', words);
            var script = $$"""
                source <("$RC_BIN" completion bash)
                COMP_WORDS=("$RC_BIN" {{string.Join(' ', words.Select(w => $"'{w}'"))}})
                COMP_CWORD={{words.Length}}
                COMP_LINE='{{line}}'
                COMP_POINT=${#COMP_LINE}
                _reconcile_complete
                printf '%s\n' "${COMPREPLY[@]}"
                """;
            var (code, stdout, stderr) = Programs.Run("env", $"RC_BIN={build.Binary}", "bash", "-c", script);
            Assert.True(code == 0, stderr);
            return stdout;
        }
        Assert.Equal("plan", Complete("pla").Trim());
        Assert.Equal("web-1", Complete("render", specs.Path, "--name", "w").Trim());
        Assert.Equal(["db-1", "web-1"], Complete("render", specs.Path, "--name", "").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>The repository's root (the directory holding Reconciler.sln).</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Reconciler.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Reconciler.sln not found above " + AppContext.BaseDirectory);
    }
}
