namespace Reconciler.GitHub;

/// <summary>
/// A GitHub token. Its value never leaves this type except as the HTTP Authorization header
/// Octokit sends: <see cref="ToString"/> prints <c>***</c>, and <see cref="Redact"/> scrubs it from
/// any text (an error message, a log line) before that text is shown.
/// </summary>
public sealed class GitHubToken
{
    /// <summary>The environment variables read, in order, when no token file is given.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = ["GITHUB_TOKEN", "GH_TOKEN"];

    private GitHubToken(string value, string origin)
    {
        Value = value;
        Origin = origin;
    }

    /// <summary>The secret itself; only the client factory reads it.</summary>
    internal string Value { get; }

    /// <summary>Where the token came from, e.g. <c>file /run/secrets/gh</c> or <c>$GITHUB_TOKEN</c> (never the value).</summary>
    public string Origin { get; }

    /// <summary>Never the value.</summary>
    public override string ToString() => $"GitHub token from {Origin}";

    /// <summary>Makes a token from a literal value (tests, or a secret already read by the host).</summary>
    public static GitHubToken FromValue(string value, string origin) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("empty token", nameof(value)) : new(value.Trim(), origin);

    /// <summary>
    /// Reads the token: from <paramref name="tokenFile"/> when given, else from <c>GITHUB_TOKEN</c>
    /// or <c>GH_TOKEN</c>. Returns null with an error that never contains the token when there is
    /// none or the file cannot be read.
    /// </summary>
    public static GitHubToken? Resolve(string? tokenFile, Func<string, string?> getEnv, out string? error)
    {
        error = null;
        if (!string.IsNullOrWhiteSpace(tokenFile))
        {
            try
            {
                var text = File.ReadAllText(tokenFile).Trim();
                if (text.Length == 0)
                {
                    error = $"the GitHub token file {tokenFile} is empty";
                    return null;
                }
                if (text.Any(char.IsWhiteSpace))
                {
                    error = $"the GitHub token file {tokenFile} holds more than one word; it must hold only the token";
                    return null;
                }
                return new GitHubToken(text, $"file {tokenFile}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error = $"cannot read the GitHub token file {tokenFile}: {e.GetType().Name.Replace("Exception", "", StringComparison.Ordinal)}";
                return null;
            }
        }
        foreach (var name in EnvironmentVariables)
        {
            var value = getEnv(name);
            if (!string.IsNullOrWhiteSpace(value)) return new GitHubToken(value.Trim(), "$" + name);
        }
        error = "no GitHub token: set GITHUB_TOKEN (in a workflow: env: GITHUB_TOKEN: ${{ github.token }}) or pass --github-token-file FILE";
        return null;
    }

    /// <summary>Replaces every occurrence of the token in <paramref name="text"/> with <c>***</c>.</summary>
    public string Redact(string text) => text.Replace(Value, "***", StringComparison.Ordinal);
}
