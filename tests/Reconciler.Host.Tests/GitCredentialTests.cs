using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reconciler.Sources;

namespace Reconciler.Host.Tests;

/// <summary>
/// Git's own smart-HTTP server, <c>git http-backend</c> (a CGI program from the git package),
/// behind a loopback Kestrel server that demands HTTP Basic credentials with the right password
/// (the token) and answers 401 with a Basic challenge otherwise, as a hosted Git server does.
/// </summary>
internal sealed class GitHttpServer : IAsyncDisposable
{
    private const string Backend = "/usr/lib/git-core/git-http-backend";
    private readonly WebApplication _app;

    public GitHttpServer(string projectRoot, string token)
    {
        if (!File.Exists(Backend)) throw new InvalidOperationException($"{Backend} is missing; install git (Debian: apt-get install git)");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(async ctx =>
        {
            var authorization = ctx.Request.Headers.Authorization.ToString();
            var user = Authorized(authorization, token);
            Requests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString} user={user ?? "(refused)"}");
            if (user is null)
            {
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"reconciler-test\"";
                return;
            }
            await CgiAsync(ctx, projectRoot, user);
        });
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/');
    }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>Every request with the user it was let in as, or "(refused)".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The user name when the Basic credentials carry the token as the password; else null.</summary>
    private static string? Authorized(string header, string token)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal)) return null;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[(colon + 1)..] == token ? decoded[..colon] : null;
    }

    /// <summary>Runs git-http-backend for one request (CGI/1.1: environment in, request body on stdin, headers and body on stdout).</summary>
    private static async Task CgiAsync(HttpContext ctx, string projectRoot, string user)
    {
        var psi = new ProcessStartInfo(Backend)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var request = ctx.Request;
        psi.Environment["GIT_PROJECT_ROOT"] = projectRoot;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        psi.Environment["SERVER_PROTOCOL"] = "HTTP/1.1";
        psi.Environment["REQUEST_METHOD"] = request.Method;
        psi.Environment["PATH_INFO"] = request.Path.Value ?? "/";
        psi.Environment["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        psi.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
        psi.Environment["REMOTE_USER"] = user;
        psi.Environment["REMOTE_ADDR"] = "127.0.0.1";
        if (request.ContentLength is { } length) psi.Environment["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding) psi.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        if (request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol) psi.Environment["GIT_PROTOCOL"] = protocol;
        using var process = Process.Start(psi)!;
        var output = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        await request.Body.CopyToAsync(process.StandardInput.BaseStream);
        process.StandardInput.Close();
        await copyOut;
        await process.WaitForExitAsync();
        var bytes = output.ToArray();
        var (headerEnd, separator) = FindHeaderEnd(bytes);
        if (headerEnd < 0)
        {
            ctx.Response.StatusCode = 502;
            await ctx.Response.WriteAsync("git-http-backend wrote no CGI headers: " + await errors);
            return;
        }
        foreach (var line in Encoding.ASCII.GetString(bytes, 0, headerEnd).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) ctx.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            else ctx.Response.Headers[name] = value;
        }
        await ctx.Response.Body.WriteAsync(bytes.AsMemory(headerEnd + separator));
    }

    private static (int Index, int Length) FindHeaderEnd(byte[] bytes)
    {
        for (var i = 0; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n') return (i, 2);
            if (bytes[i] == '\r' && i + 3 < bytes.Length && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return (i, 4);
        }
        return (-1, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A private OpenSSH server (<c>sshd -D -f CONFIG</c>) on a loopback port with its own host key,
/// accepting one generated client key for the current user; git runs git-upload-pack through it.
/// </summary>
internal sealed class SshServer : IDisposable
{
    private readonly TempDir _dir = new("sshd");
    private readonly Process _sshd;
    private readonly StringBuilder _log = new();

    public SshServer()
    {
        const string sshd = "/usr/sbin/sshd";
        if (!File.Exists(sshd)) throw new InvalidOperationException($"{sshd} is missing; install openssh-server (Debian: apt-get install openssh-server; .ci/setup-libvirt.sh does)");
        // sshd refuses to start without its privilege separation directory (normally made by its init script).
        if (Environment.UserName == "root") Directory.CreateDirectory("/run/sshd");
        Shell.Run("ssh-keygen", null, "-q", "-t", "ed25519", "-N", "", "-C", "reconciler-test-host", "-f", HostKey);
        Shell.Run("ssh-keygen", null, "-q", "-t", "ed25519", "-N", "", "-C", "reconciler-test-client", "-f", ClientKey);
        Shell.Run("ssh-keygen", null, "-q", "-t", "ed25519", "-N", "", "-C", "reconciler-test-stranger", "-f", StrangerKey);
        File.Copy(ClientKey + ".pub", Path.Combine(_dir.Path, "authorized_keys"));
        Port = Shell.FreePort();
        var config = Path.Combine(_dir.Path, "sshd_config");
        File.WriteAllText(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {HostKey}
            AuthorizedKeysFile {Path.Combine(_dir.Path, "authorized_keys")}
            PidFile none
            UsePAM no
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            AllowUsers {User}
            LogLevel VERBOSE

            """);
        var hostKey = File.ReadAllText(HostKey + ".pub").Split(' ');
        File.WriteAllText(KnownHosts, $"[127.0.0.1]:{Port} {hostKey[0]} {hostKey[1]}\n");
        var psi = new ProcessStartInfo(sshd) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", config }) psi.ArgumentList.Add(a);
        _sshd = Process.Start(psi)!;
        _sshd.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _sshd.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_sshd.HasExited) throw new InvalidOperationException($"sshd exited ({_sshd.ExitCode}): {Log}");
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                probe.Connect(System.Net.IPAddress.Loopback, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(100);
            }
        }
    }

    public int Port { get; }

    /// <summary>The login user: the one running the tests (root in CI), as sshd not running as root can only let its own user in.</summary>
    public static string User => Environment.UserName;

    public string HostKey => Path.Combine(_dir.Path, "host_ed25519");

    /// <summary>The private key the server accepts.</summary>
    public string ClientKey => Path.Combine(_dir.Path, "client_ed25519");

    /// <summary>A private key the server does not know.</summary>
    public string StrangerKey => Path.Combine(_dir.Path, "stranger_ed25519");

    /// <summary>A known_hosts file with the server's host key.</summary>
    public string KnownHosts => Path.Combine(_dir.Path, "known_hosts");

    /// <summary>What sshd logged.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>An ssh:// URL for a repository at an absolute path on this machine.</summary>
    public string Url(string path) => $"ssh://{User}@127.0.0.1:{Port}{path}";

    public void Dispose()
    {
        if (!_sshd.HasExited)
        {
            _sshd.Kill(entireProcessTree: true);
            _sshd.WaitForExit(10_000);
        }
        _sshd.Dispose();
        _dir.Dispose();
    }
}

/// <summary>Fetching over HTTPS-style token auth (git http-backend) with credentials from a file or the environment.</summary>
public sealed class GitCredentialTests : IDisposable
{
    private readonly GitServer _git = new();
    private readonly TempDir _cache = new("cache");
    private readonly TempDir _secrets = new("secret");

    public GitCredentialTests() => RealLibvirt.Cleanup();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("RECONCILER_GIT_TOKEN", null);
        RealLibvirt.Cleanup();
        _git.Dispose();
        _cache.Dispose();
        _secrets.Dispose();
    }

    [Fact]
    public async Task A_token_from_a_file_or_the_environment_lets_the_controller_fetch_over_http_and_never_shows()
    {
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var name = RealLibvirt.Prefix + "https";
        var sha = _git.Commit("first", ("vms/node.yaml", RealLibvirt.NodeYaml), ("vms/vm.yaml", RealLibvirt.DomainYaml(name, state: "stopped")));
        await using var http = new GitHttpServer(_git.Root, token);
        var url = http.BaseUrl + "/infra.git";

        // No token: refused by the server, and the error says what to do.
        using (var bare = new GitSource(new GitSourceOptions(url, "main", "vms", Path.Combine(_cache.Path, "none"), 1, TimeSpan.FromSeconds(30),
            new GitCredentials(TokenEnvironmentVariable: "RECONCILER_TEST_UNSET_TOKEN"))))
        {
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => bare.FetchAsync(CancellationToken.None));
            Assert.Contains("git fetch failed", e.Message);
            Assert.Contains("GitTokenFile", e.Message);
        }
        Assert.Contains(http.Requests, r => r.EndsWith("user=(refused)", StringComparison.Ordinal));

        // A wrong token: refused too, and the wrong token is not repeated back either.
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(Path.Combine(_secrets.Path, "wrong"), wrong + "\n");
        using (var bad = new GitSource(new GitSourceOptions(url, "main", "vms", Path.Combine(_cache.Path, "wrong"), 1, TimeSpan.FromSeconds(30),
            new GitCredentials("x-access-token", Path.Combine(_secrets.Path, "wrong")))))
        {
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => bad.FetchAsync(CancellationToken.None));
            Assert.Contains("Authentication failed", e.Message);
            Assert.DoesNotContain(wrong, e.Message);
        }

        // From a file, through the controller: applied, the revision recorded, the token nowhere.
        File.WriteAllText(Path.Combine(_secrets.Path, "token"), token + "\n");
        await using (var controller = await Controller.StartAsync(url, ("Path", "vms"), ("GitUsername", "x-access-token"),
            ("GitTokenFile", Path.Combine(_secrets.Path, "token")), ("GitCacheDirectory", Path.Combine(_cache.Path, "file")), ("Interval", "1s")))
        {
            var s = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "applied from the token-protected server");
            Assert.Equal(sha, s.Source.AppliedRevision);
            Assert.Contains(http.Requests, r => r.EndsWith("user=x-access-token", StringComparison.Ordinal));
            await AssertNowhereAsync(controller, token, name);
        }

        // From the environment (RECONCILER_GIT_TOKEN), no file: a new commit is followed.
        Environment.SetEnvironmentVariable("RECONCILER_GIT_TOKEN", token);
        var second = _git.Commit("more memory", ("vms/vm.yaml", RealLibvirt.DomainYaml(name, memory: "96MiB", state: "stopped")));
        await using (var controller = await Controller.StartAsync(url, ("Path", "vms"), ("GitCacheDirectory", Path.Combine(_cache.Path, "env")), ("Interval", "1s")))
        {
            var s = await controller.WaitAsync(s => s.Source.AppliedRevision == second && controller.Resource(s, name) is { State: "Ready" }, "applied with the token from the environment");
            Assert.Equal(96UL * 1024, RealLibvirt.Domain(name).MemoryKiB);
            Assert.Contains(http.Requests, r => r.EndsWith("user=git", StringComparison.Ordinal));   // the default user name
            await AssertNowhereAsync(controller, token, name);

            // The token is withdrawn: the next fetch is refused, status degrades without the token, the last good revision stays.
            Environment.SetEnvironmentVariable("RECONCILER_GIT_TOKEN", null);
            var down = await controller.WaitAsync(s => s.Source.Condition.Reason == "FetchFailed", "refused without the token");
            Assert.Contains("GitTokenFile", down.Source.LastError);
            Assert.Equal(second, down.Source.AppliedRevision);
            await AssertNowhereAsync(controller, token, name);
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_ssh_key_from_a_file_lets_the_controller_fetch_over_ssh_and_neither_its_path_nor_its_contents_show()
    {
        using var sshd = new SshServer();
        var name = RealLibvirt.Prefix + "ssh";
        var sha = _git.Commit("first", ("vms/node.yaml", RealLibvirt.NodeYaml), ("vms/vm.yaml", RealLibvirt.DomainYaml(name, state: "stopped")));
        var url = sshd.Url(_git.Bare);
        var secretLines = File.ReadAllLines(sshd.ClientKey).Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && l.Length > 20).ToList();
        Assert.NotEmpty(secretLines);

        // A key the server does not accept: refused, with a hint, and the key's path is not in the message.
        using (var stranger = new GitSource(new GitSourceOptions(url, "main", "vms", Path.Combine(_cache.Path, "stranger"), 1, TimeSpan.FromSeconds(30),
            new GitCredentials(SshKeyFile: sshd.StrangerKey, KnownHostsFile: sshd.KnownHosts))))
        {
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => stranger.FetchAsync(CancellationToken.None));
            Assert.Contains("Permission denied (publickey", e.Message);
            Assert.Contains("GitSshKeyFile", e.Message);
            Assert.DoesNotContain(sshd.StrangerKey, e.Message);
        }

        // A key file ssh itself refuses (readable by others): ssh names the file in its error; the message does not.
        var loose = Path.Combine(_secrets.Path, "loose_key");
        File.Copy(sshd.ClientKey, loose);
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (var unprotected = new GitSource(new GitSourceOptions(url, "main", "vms", Path.Combine(_cache.Path, "loose"), 1, TimeSpan.FromSeconds(30),
            new GitCredentials(SshKeyFile: loose, KnownHostsFile: sshd.KnownHosts))))
        {
            var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => unprotected.FetchAsync(CancellationToken.None));
            Assert.DoesNotContain(loose, e.Message);
            Assert.DoesNotContain("loose_key", e.Message);
        }

        // The accepted key, strict host key checking against the known_hosts file, through the controller.
        await using var controller = await Controller.StartAsync(url, ("Path", "vms"), ("GitSshKeyFile", sshd.ClientKey),
            ("GitKnownHostsFile", sshd.KnownHosts), ("GitCacheDirectory", Path.Combine(_cache.Path, "ssh")), ("Interval", "1s"));
        var s = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "applied over ssh");
        Assert.Equal(sha, s.Source.AppliedRevision);
        Assert.Contains($"revision=\"{sha}\"", RealLibvirt.Domain(name).Xml);
        Assert.Contains("Accepted publickey for " + SshServer.User, sshd.Log);
        Assert.True(File.Exists(Path.Combine(_cache.Path, "ssh", "shallow")), "the ssh fetch is shallow");
        var second = _git.Commit("more memory", ("vms/vm.yaml", RealLibvirt.DomainYaml(name, memory: "96MiB", state: "stopped")));
        await controller.WaitAsync(s => s.Source.AppliedRevision == second, "a new commit followed over ssh");
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).MemoryKiB == 96 * 1024, "the new commit applied");
        await AssertNowhereAsync(controller, sshd.ClientKey, name);
        foreach (var line in secretLines) await AssertNowhereAsync(controller, line, name);
    }

    /// <summary>The secret is in no log line, not in /status, /metrics, the status table, nor the domain's recorded source.</summary>
    internal static async Task AssertNowhereAsync(Controller controller, string secret, string domain)
    {
        Assert.DoesNotContain(secret, (await controller.GetAsync("/status")).Body);
        Assert.DoesNotContain(secret, (await controller.GetAsync("/metrics")).Body);
        var table = await Cli.RunAsync("status", "-e", controller.BaseAddress.ToString());
        Assert.DoesNotContain(secret, table.Out + table.Err);
        Assert.DoesNotContain(controller.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, RealLibvirt.Domain(domain).Xml);
    }
}
