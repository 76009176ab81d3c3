using System.Diagnostics;
using Reconciler.Sources;

namespace Reconciler.Host.Tests;

/// <summary>A real `git daemon` on loopback serving a bare repository; commits are pushed to it over git://.</summary>
internal sealed class GitServer : IDisposable
{
    private readonly TempDir _root = new("git");
    private Process? _daemon;

    public GitServer()
    {
        Port = Shell.FreePort();
        Shell.Run("git", null, "init", "-q", "--bare", "-b", "main", Path.Combine(_root.Path, "infra.git"));
        Shell.Run("git", null, "init", "-q", "-b", "main", Work);
        Shell.Run("git", Work, "remote", "add", "origin", Url);
        Start();
    }

    public int Port { get; }

    public string Url => $"git://127.0.0.1:{Port}/infra.git";

    public string Work => Path.Combine(_root.Path, "work");

    /// <summary>The directory that holds <c>infra.git</c> (for serving it over other protocols too).</summary>
    public string Root => _root.Path;

    /// <summary>The bare repository.</summary>
    public string Bare => Path.Combine(_root.Path, "infra.git");

    public void Start()
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1", $"--port={Port}", $"--base-path={_root.Path}", _root.Path })
        {
            psi.ArgumentList.Add(a);
        }
        _daemon = Process.Start(psi)!;
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Shell.Run("git", null, "ls-remote", Url);
                return;
            }
            catch (InvalidOperationException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(100);
            }
        }
    }

    public void Stop()
    {
        if (_daemon is { HasExited: false })
        {
            _daemon.Kill(entireProcessTree: true);
            _daemon.WaitForExit(10_000);
        }
        _daemon?.Dispose();
        _daemon = null;
    }

    /// <summary>Writes files in the work tree, commits (even when nothing changed) and pushes; returns the commit sha.</summary>
    public string Commit(string message, params (string Path, string? Text)[] files)
    {
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(Work, path);
            if (text is null)
            {
                File.Delete(full);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        Shell.Run("git", Work, "add", "-A");
        Shell.Run("git", Work, "commit", "-q", "--allow-empty", "-m", message);
        Shell.Run("git", Work, "push", "-q", "origin", "main");
        return Shell.Run("git", Work, "rev-parse", "HEAD").Trim();
    }

    public void Dispose()
    {
        Stop();
        _root.Dispose();
    }
}

/// <summary>The controller following a Git repository served by a real git daemon, on the real libvirtd.</summary>
public sealed class GitControllerTests : IDisposable
{
    private readonly GitServer _git = new();
    private readonly TempDir _cache = new("cache");

    public GitControllerTests() => RealLibvirt.Cleanup();

    public void Dispose()
    {
        RealLibvirt.Cleanup();
        _git.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task Pushed_commits_change_domains_a_broken_commit_is_rejected_and_a_dead_server_degrades_then_recovers()
    {
        var name = RealLibvirt.Prefix + "git";
        var first = _git.Commit("first", ("clusters/prod/node.yaml", RealLibvirt.NodeYaml), ("clusters/prod/vm.yaml", RealLibvirt.DomainYaml(name, state: "stopped")),
            ("clusters/dev/other.yaml", RealLibvirt.DomainYaml(RealLibvirt.Prefix + "not-this-path")));
        await using var controller = await Controller.StartAsync(_git.Url, ("Ref", "main"), ("Path", "clusters/prod"), ("Interval", "1s"),
            ("GitCacheDirectory", Path.Combine(_cache.Path, "repo")));

        var s = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "first commit applied");
        Assert.Equal(first, s.Source.AppliedRevision);
        Assert.Contains($"revision=\"{first}\"", RealLibvirt.Domain(name).Xml);
        Assert.Contains($"source=\"{_git.Url}//clusters/prod\"", RealLibvirt.Domain(name).Xml);
        Assert.False(RealLibvirt.Domain(RealLibvirt.Prefix + "not-this-path").Exists);
        Assert.True(File.Exists(Path.Combine(_cache.Path, "repo", "shallow")), "the fetch is shallow");

        // Push a commit: the domain changes, and records the new sha.
        var second = _git.Commit("more memory", ("clusters/prod/vm.yaml", RealLibvirt.DomainYaml(name, memory: "96MiB", state: "stopped")));
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).MemoryKiB == 96 * 1024, "pushed change applied");
        Assert.Contains($"revision=\"{second}\"", RealLibvirt.Domain(name).Xml);
        await controller.WaitAsync(s => s.Source.AppliedRevision == second && controller.Resource(s, name)?.LastAppliedRevision == second, "status shows the new sha");

        // A broken commit never half-applies: the good part of it is not applied either.
        var broken = _git.Commit("broken", ("clusters/prod/vm.yaml", RealLibvirt.DomainYaml(name, memory: "128MiB", state: "stopped")),
            ("clusters/prod/bad.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: x\n"));
        var rejected = await controller.WaitAsync(s => s.Source.RejectedRevision == broken, "broken commit rejected");
        Assert.Equal(second, rejected.Source.AppliedRevision);
        Assert.Equal("InvalidSpec", rejected.Source.Condition.Reason);
        Assert.Contains(rejected.Source.RejectedBecause, d => d.Contains("bad.yaml", StringComparison.Ordinal));
        Assert.Equal(96UL * 1024, RealLibvirt.Domain(name).MemoryKiB);

        // The server goes away: status degrades, the last good revision stays; it comes back: recovered.
        _git.Stop();
        var down = await controller.WaitAsync(s => s.Source.Condition.Reason == "FetchFailed", "fetch failure reported");
        Assert.Equal(second, down.Source.AppliedRevision);
        Assert.Contains("git fetch failed", down.Source.LastError);
        Assert.Equal(0, (await Cli.RunAsync("status", "-e", controller.BaseAddress.ToString())).Code);
        _git.Start();
        var fixedSha = _git.Commit("fixed", ("clusters/prod/bad.yaml", null));
        await controller.WaitAsync(s => s.Source.Condition.Reason == "Fetched" && s.Source.AppliedRevision == fixedSha, "recovered after the server came back");
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).MemoryKiB == 128 * 1024, "the fixed commit applied");
    }

    [Fact]
    public async Task A_pinned_commit_or_tag_is_followed_and_credentials_never_reach_logs_or_status()
    {
        var first = _git.Commit("first", ("vms/node.yaml", RealLibvirt.NodeYaml));
        Shell.Run("git", _git.Work, "tag", "v1");
        Shell.Run("git", _git.Work, "push", "-q", "origin", "v1");
        _git.Commit("second", ("vms/more.yaml", RealLibvirt.DomainYaml(RealLibvirt.Prefix + "later", state: "stopped")));

        using var tokenFile = new TempDir("token");
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(Path.Combine(tokenFile.Path, "token"), secret);
        var urlWithUser = _git.Url.Replace("git://", "git://", StringComparison.Ordinal);

        foreach (var pin in new[] { first, "v1" })
        {
            using var source = new GitSource(new GitSourceOptions(urlWithUser, pin, "vms", Path.Combine(_cache.Path, pin), 1, null,
                new GitCredentials("x-access-token", Path.Combine(tokenFile.Path, "token"))));
            var snapshot = await source.FetchAsync(CancellationToken.None);
            Assert.True(snapshot.IsValid, string.Join("\n", snapshot.Load.Diagnostics));
            Assert.Equal(first, snapshot.Revision);
            Assert.Empty(snapshot.Load.Specs!.Domains);
        }

        // A token and a password in the URL are redacted from every error.
        var leaky = $"http://user:{secret}@127.0.0.1:{Shell.FreePort()}/nothing.git";
        using var failing = new GitSource(new GitSourceOptions(leaky, "main", "", Path.Combine(_cache.Path, "leaky"), 1, TimeSpan.FromSeconds(20),
            new GitCredentials("x-access-token", Path.Combine(tokenFile.Path, "token"))));
        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => failing.FetchAsync(CancellationToken.None));
        Assert.DoesNotContain(secret, e.Message);
        Assert.DoesNotContain(secret, failing.Description);

        await using var controller = await Controller.StartAsync(leaky, ("GitTokenFile", Path.Combine(tokenFile.Path, "token")),
            ("GitCacheDirectory", Path.Combine(_cache.Path, "ctl")), ("Interval", "1s"));
        var s = await controller.WaitAsync(s => s.Source.Condition.Reason == "FetchFailed", "fetch fails");
        Assert.DoesNotContain(secret, s.ToJson());
        Assert.DoesNotContain(secret, (await controller.GetAsync("/metrics")).Body);
        Assert.DoesNotContain(controller.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }
}
