using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Reconciler.Sources;

/// <summary>Runs the <c>git</c> client; failures become <see cref="SourceUnavailableException"/> with redacted text.</summary>
internal static class GitCli
{
    private const int MaxOutputBytes = 256 << 20;

    public static async Task<byte[]> RunAsync(string? gitDir, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> env,
        TimeSpan timeout, Redactor redactor, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("git")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (gitDir is not null) psi.ArgumentList.Add("--git-dir=" + gitDir);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new SourceUnavailableException("could not start git");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SourceUnavailableException($"could not run git ({e.Message}); install git (Debian: apt-get install git)");
        }
        using (process)
        {
            process.StandardInput.Close();
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timer.CancelAfter(timeout);
            var stdout = new MemoryStream();
            var outTask = CopyBoundedAsync(process.StandardOutput.BaseStream, stdout, timer.Token);
            var errTask = process.StandardError.ReadToEndAsync(timer.Token);
            try
            {
                await Task.WhenAll(outTask, errTask, process.WaitForExitAsync(timer.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                ct.ThrowIfCancellationRequested();
                throw new SourceUnavailableException($"git {args[0]} took longer than {timeout.TotalSeconds:0}s and was stopped");
            }
            if (process.ExitCode != 0)
            {
                var err = redactor.Redact(errTask.Result.Trim());
                var firstLines = string.Join(" | ", err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3));
                throw new SourceUnavailableException($"git {args[0]} failed (exit {process.ExitCode}): {(firstLines.Length == 0 ? "no message" : firstLines)}{Hint(err)}");
            }
            return stdout.ToArray();
        }
    }

    /// <summary>A hint for the failures a user fixes with credentials.</summary>
    private static string Hint(string error)
    {
        if (error.Contains("could not read Username", StringComparison.Ordinal) || error.Contains("Authentication failed", StringComparison.Ordinal)
            || error.Contains("could not read Password", StringComparison.Ordinal))
        {
            return " (hint: the server wants credentials: put a token in the file named by GitTokenFile (--git-token-file) or in RECONCILER_GIT_TOKEN, and the user in GitUsername)";
        }
        if (error.Contains("Permission denied (publickey", StringComparison.Ordinal))
        {
            return " (hint: the server refused the SSH key: name a private key it accepts with GitSshKeyFile (--git-ssh-key))";
        }
        if (error.Contains("Host key verification failed", StringComparison.Ordinal))
        {
            return " (hint: the server's host key is not in the GitKnownHostsFile (--git-known-hosts) given)";
        }
        return "";
    }

    private static async Task CopyBoundedAsync(Stream from, MemoryStream to, CancellationToken ct)
    {
        var buffer = new byte[81920];
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (to.Length + n > MaxOutputBytes) throw new SourceUnavailableException("git produced more output than allowed (256 MiB)");
            to.Write(buffer, 0, n);
        }
    }
}

/// <summary>Removes secrets from text that may reach logs or status: known tokens, and user info in URLs.</summary>
internal sealed partial class Redactor
{
    private readonly List<string> _secrets = [];
    private readonly Lock _gate = new();

    public Redactor(string url)
    {
        if (UserInfo().Match(url) is { Success: true } m)
        {
            var info = m.Groups[1].Value;
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0) Add(info[(colon + 1)..]); // a user name alone is no secret; a password or token is
        }
    }

    public void Add(string secret)
    {
        if (secret.Length < 4) return;
        lock (_gate)
        {
            if (!_secrets.Contains(secret)) _secrets.Add(secret);
        }
    }

    public string Redact(string text)
    {
        var result = StripUserInfo(text);
        lock (_gate)
        {
            foreach (var s in _secrets) result = result.Replace(s, "***", StringComparison.Ordinal);
        }
        return result;
    }

    /// <summary><c>https://user:token@host/x</c> → <c>https://host/x</c>, anywhere in the text.</summary>
    public static string StripUserInfo(string text) => UserInfo().Replace(text, "://");

    [GeneratedRegex(@"://([^/@\s]+)@")]
    private static partial Regex UserInfo();
}
