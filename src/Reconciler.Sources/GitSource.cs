using System.Formats.Tar;
using System.Text;
using System.Text.RegularExpressions;
using Reconciler.Core.Diagnostics;
using Reconciler.Specs;

namespace Reconciler.Sources;

/// <summary>Credentials for a Git source. Secrets are read from files or the environment at each fetch, never from the command line.</summary>
/// <param name="Username">User name for HTTPS (default <c>git</c>; GitHub accepts <c>x-access-token</c> with a token).</param>
/// <param name="TokenFile">A file holding an HTTPS token or password (a mounted Secret); read at each fetch, so rotation works.</param>
/// <param name="TokenEnvironmentVariable">An environment variable holding the token, used when <paramref name="TokenFile"/> is not set.</param>
/// <param name="SshKeyFile">A private key file for <c>ssh://</c> and <c>user@host:path</c> URLs.</param>
/// <param name="KnownHostsFile">A known_hosts file for SSH; without it the first host key seen is trusted and remembered in the cache.</param>
public sealed record GitCredentials(
    string? Username = null,
    string? TokenFile = null,
    string? TokenEnvironmentVariable = "RECONCILER_GIT_TOKEN",
    string? SshKeyFile = null,
    string? KnownHostsFile = null);

/// <summary>What a <see cref="GitSource"/> fetches.</summary>
/// <param name="Url">Repository URL: https://, http://, git://, ssh://, file:// or user@host:path. Credentials in it are used but never shown.</param>
/// <param name="Ref">A branch, a tag, or a full commit sha (pinned: fetched once, never moves).</param>
/// <param name="Path">Sub-directory of the repository that holds the specs; empty for the root.</param>
/// <param name="CacheDirectory">Where the local bare repository is kept.</param>
/// <param name="Depth">Fetch depth (1 = shallow, only the wanted commit); 0 fetches the whole history.</param>
/// <param name="Timeout">Longest time one git command may take.</param>
/// <param name="Credentials">Credentials, or null for none.</param>
public sealed record GitSourceOptions(
    string Url,
    string Ref,
    string Path,
    string CacheDirectory,
    int Depth = 1,
    TimeSpan? Timeout = null,
    GitCredentials? Credentials = null);

/// <summary>
/// Specs in a Git repository, fetched with the <c>git</c> command-line client into a local bare
/// cache: shallow by default, pinned to a branch, tag or commit, optionally a sub-path. The
/// snapshot's revision is the commit sha, and its files go through <see cref="SpecLoader.LoadFiles"/>.
/// </summary>
public sealed partial class GitSource : ISpecSource
{
    private readonly GitSourceOptions _options;
    private readonly string _path;
    private readonly Redactor _redactor;
    private readonly SpecFileCache _parsed = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A source over <paramref name="options"/>.</summary>
    public GitSource(GitSourceOptions options)
    {
        _options = options;
        _path = NormalizePath(options.Path);
        _redactor = new Redactor(options.Url);
        var url = Redactor.StripUserInfo(options.Url);
        Identity = _path.Length == 0 ? url : url + "//" + _path;
    }

    /// <summary>The stable identity recorded as the domains' source: the URL without credentials, and the sub-path.</summary>
    public string Identity { get; }

    /// <inheritdoc/>
    public string Kind => "git";

    /// <inheritdoc/>
    public string Description => $"{Identity} (ref {_options.Ref})";

    /// <inheritdoc/>
    public string StateDirectory => _options.CacheDirectory + ".state";

    /// <summary>True when <paramref name="text"/> looks like a repository URL rather than a local directory.</summary>
    public static bool IsGitUrl(string text) =>
        text.Contains("://", StringComparison.Ordinal) || ScpLike().IsMatch(text);

    /// <summary>True when <paramref name="gitRef"/> is a full commit id.</summary>
    public static bool IsCommitId(string gitRef) => CommitId().IsMatch(gitRef);

    /// <inheritdoc/>
    public IDisposable Watch(Action changed) => new Nothing();

    /// <inheritdoc/>
    public async Task<SourceSnapshot> FetchAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var env = BuildEnvironment();
            await EnsureRepositoryAsync(env, ct).ConfigureAwait(false);
            var sha = await FetchRefAsync(env, ct).ConfigureAwait(false);
            await RunAsync(["update-ref", "refs/reconciler/current", sha], env, ct).ConfigureAwait(false);
            var load = await LoadCommitAsync(sha, env, ct).ConfigureAwait(false);
            return new SourceSnapshot(Identity, sha, load, DateTimeOffset.UtcNow);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnsureRepositoryAsync(Dictionary<string, string> env, CancellationToken ct)
    {
        if (File.Exists(System.IO.Path.Combine(_options.CacheDirectory, "HEAD"))) return;
        Directory.CreateDirectory(_options.CacheDirectory);
        await GitCli.RunAsync(null, ["init", "--bare", "-q", _options.CacheDirectory], env, Timeout, _redactor, ct).ConfigureAwait(false);
    }

    private async Task<string> FetchRefAsync(Dictionary<string, string> env, CancellationToken ct)
    {
        var depth = _options.Depth > 0 ? new[] { $"--depth={_options.Depth}" } : [];
        if (IsCommitId(_options.Ref))
        {
            var sha = _options.Ref.ToLowerInvariant();
            if (await HasCommitAsync(sha, env, ct).ConfigureAwait(false)) return sha; // a pinned commit never changes
            try
            {
                await RunAsync(["fetch", "-q", "--no-tags", .. depth, "--", _options.Url, sha], env, ct).ConfigureAwait(false);
            }
            catch (SourceUnavailableException)
            {
                // Servers that refuse to serve an unadvertised commit: fetch the branches and tags instead.
                await RunAsync(["fetch", "-q", "--", _options.Url, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], env, ct).ConfigureAwait(false);
            }
            if (!await HasCommitAsync(sha, env, ct).ConfigureAwait(false))
            {
                throw new SourceUnavailableException($"commit {sha} is not in {Identity}");
            }
            return sha;
        }
        await RunAsync(["fetch", "-q", "--no-tags", "--force", .. depth, "--", _options.Url, _options.Ref], env, ct).ConfigureAwait(false);
        var head = await RunAsync(["rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}"], env, ct).ConfigureAwait(false);
        return Encoding.UTF8.GetString(head).Trim();
    }

    private async Task<bool> HasCommitAsync(string sha, Dictionary<string, string> env, CancellationToken ct)
    {
        try
        {
            await RunAsync(["cat-file", "-e", sha + "^{commit}"], env, ct).ConfigureAwait(false);
            return true;
        }
        catch (SourceUnavailableException)
        {
            return false;
        }
    }

    private async Task<LoadResult> LoadCommitAsync(string sha, Dictionary<string, string> env, CancellationToken ct)
    {
        // Only the sub-path's tree, as a tar stream: no working tree, nothing left half-written.
        var tree = _path.Length == 0 ? sha : $"{sha}:{_path}";
        byte[] tar;
        try
        {
            await RunAsync(["cat-file", "-e", tree], env, ct).ConfigureAwait(false);
            tar = await RunAsync(["archive", "--format=tar", tree], env, ct).ConfigureAwait(false);
        }
        catch (SourceUnavailableException)
        {
            return new LoadResult(null, [Diagnostic.Error("source-path-missing",
                $"the path '{_path}' does not exist in commit {sha[..Math.Min(12, sha.Length)]} of {Identity}",
                SourceLocation.OfFile(_path), hint: "check --path against the repository's layout at that ref")]);
        }
        var files = new List<(string, string)>();
        var diagnostics = new List<Diagnostic>();
        using (var reader = new TarReader(new MemoryStream(tar)))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                if (!SpecLoader.IsSpecFile(entry.Name)) continue;
                if (entry.Length > SpecLoader.MaxFileBytes)
                {
                    diagnostics.Add(Diagnostic.Error("file-too-large", $"the file is larger than {SpecLoader.MaxFileBytes >> 20}MiB",
                        SourceLocation.OfFile(entry.Name), hint: "split it into smaller files"));
                    continue;
                }
                using var buffer = new MemoryStream();
                await entry.DataStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                try
                {
                    files.Add((entry.Name, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.ToArray()).TrimStart('\uFEFF')));
                }
                catch (DecoderFallbackException)
                {
                    diagnostics.Add(Diagnostic.Error("file-unreadable", "the file is not valid UTF-8", SourceLocation.OfFile(entry.Name), hint: "save it as UTF-8"));
                }
            }
        }
        var result = SpecLoader.LoadFiles(Identity, files, ct, _parsed);
        var all = diagnostics.Count == 0 ? result.Diagnostics : [.. diagnostics, .. result.Diagnostics];
        var specs = result.Specs is null || diagnostics.Count > 0 ? null : result.Specs with { Source = Identity, Revision = sha };
        return new LoadResult(specs, all) { Texts = result.Texts };
    }

    private TimeSpan Timeout => _options.Timeout ?? TimeSpan.FromMinutes(2);

    private Task<byte[]> RunAsync(IReadOnlyList<string> args, Dictionary<string, string> env, CancellationToken ct) =>
        GitCli.RunAsync(_options.CacheDirectory, args, env, Timeout, _redactor, ct);

    /// <summary>
    /// The child's environment: no prompts, no system credential helpers, secrets handed to a
    /// small askpass script through the environment (never argv, so never in `ps` or logs).
    /// </summary>
    private Dictionary<string, string> BuildEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["LC_ALL"] = "C",
            ["GIT_CONFIG_COUNT"] = "1",
            ["GIT_CONFIG_KEY_0"] = "credential.helper",
            ["GIT_CONFIG_VALUE_0"] = "",
        };
        var creds = _options.Credentials;
        if (creds is null) return env;
        string? token = null;
        if (creds.TokenFile is { Length: > 0 } file)
        {
            try
            {
                token = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SourceUnavailableException($"the Git token file '{file}' could not be read: {e.GetType().Name}");
            }
        }
        else if (creds.TokenEnvironmentVariable is { Length: > 0 } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnv)
        {
            token = fromEnv.Trim();
        }
        if (token is { Length: > 0 })
        {
            _redactor.Add(token);
            env["GIT_ASKPASS"] = AskPassScript();
            env["RECONCILER_ASKPASS_USERNAME"] = creds.Username ?? "git";
            env["RECONCILER_ASKPASS_PASSWORD"] = token;
        }
        if (creds.SshKeyFile is { Length: > 0 } key)
        {
            // ssh names the key file in its errors (bad permissions, unreadable); where the key lives is not shown either.
            _redactor.Add(key);
            var knownHosts = creds.KnownHostsFile is { Length: > 0 } kh
                ? $"-o UserKnownHostsFile={Quote(kh)} -o StrictHostKeyChecking=yes"
                : $"-o UserKnownHostsFile={Quote(System.IO.Path.Combine(_options.CacheDirectory, "known_hosts"))} -o StrictHostKeyChecking=accept-new";
            env["GIT_SSH_COMMAND"] = $"ssh -i {Quote(key)} -o IdentitiesOnly=yes -o BatchMode=yes {knownHosts}";
        }
        return env;
    }

    private string AskPassScript()
    {
        var path = System.IO.Path.Combine(_options.CacheDirectory, "reconciler-askpass.sh");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(_options.CacheDirectory);
            File.WriteAllText(path, """
                #!/bin/sh
                # Written by Reconciler: answers git's credential prompts from its own environment.
                case "$1" in
                  Username*) printf '%s\n' "$RECONCILER_ASKPASS_USERNAME" ;;
                  *) printf '%s\n' "$RECONCILER_ASKPASS_PASSWORD" ;;
                esac

                """.Replace("\r", "", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string NormalizePath(string path)
    {
        var segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains("..")) throw new ArgumentException("the Git sub-path may not contain '..'", nameof(path));
        return string.Join('/', segments);
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    [GeneratedRegex("^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")]
    private static partial Regex CommitId();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:")]
    private static partial Regex ScpLike();

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
