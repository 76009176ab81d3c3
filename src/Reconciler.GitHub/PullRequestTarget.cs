using System.Globalization;
using System.Text.RegularExpressions;

namespace Reconciler.GitHub;

/// <summary>A repository on GitHub.</summary>
/// <param name="Owner">User or organisation.</param>
/// <param name="Name">Repository name.</param>
public sealed partial record GitHubRepository(string Owner, string Name)
{
    /// <summary><c>OWNER/REPO</c>.</summary>
    public override string ToString() => $"{Owner}/{Name}";

    /// <summary>Parses <c>OWNER/REPO</c>; null when it is not one.</summary>
    public static GitHubRepository? Parse(string? text)
    {
        var m = RepoPattern().Match(text?.Trim() ?? "");
        return m.Success ? new GitHubRepository(m.Groups["owner"].Value, m.Groups["repo"].Value) : null;
    }

    /// <summary>True when <paramref name="fullName"/> (<c>OWNER/REPO</c>) names this repository (GitHub names are case-insensitive).</summary>
    public bool Is(string? fullName) => string.Equals(ToString(), fullName, StringComparison.OrdinalIgnoreCase);

    // GitHub's own rules: owners are alphanumerics and single hyphens; repository names add . and _.
    [GeneratedRegex(@"^(?<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?<repo>[A-Za-z0-9._-]{1,100})$", RegexOptions.CultureInvariant)]
    internal static partial Regex RepoPattern();
}

/// <summary>A pull request, and the head commit the plan is about (when already known).</summary>
/// <param name="Repository">The repository.</param>
/// <param name="Number">The pull request number.</param>
/// <param name="HeadSha">The head commit, or null to ask GitHub for it.</param>
public sealed partial record PullRequestTarget(GitHubRepository Repository, int Number, string? HeadSha = null)
{
    /// <summary><c>OWNER/REPO#N</c>.</summary>
    public override string ToString() => $"{Repository}#{Number.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses <c>OWNER/REPO#N</c>, or <c>#N</c> / <c>N</c> in <paramref name="defaultRepository"/>
    /// (GitHub Actions' <c>GITHUB_REPOSITORY</c>). Null with an error otherwise.
    /// </summary>
    public static PullRequestTarget? Parse(string text, GitHubRepository? defaultRepository, out string? error)
    {
        error = null;
        var m = TargetPattern().Match(text.Trim());
        if (!m.Success || !int.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            error = $"--github-pr '{text}' is not OWNER/REPO#NUMBER (e.g. acme/infra#42)";
            return null;
        }
        GitHubRepository? repository;
        if (m.Groups["repo"].Success)
        {
            repository = GitHubRepository.Parse(m.Groups["repo"].Value);
            if (repository is null)
            {
                error = $"--github-pr '{text}': '{m.Groups["repo"].Value}' is not a GitHub OWNER/REPO";
                return null;
            }
        }
        else
        {
            repository = defaultRepository;
            if (repository is null)
            {
                error = $"--github-pr '{text}' names no repository and GITHUB_REPOSITORY is not set: write OWNER/REPO#{number}";
                return null;
            }
        }
        return new PullRequestTarget(repository, number);
    }

    [GeneratedRegex(@"^(?:(?<repo>[^#\s]+))?#?(?<n>[0-9]{1,9})$", RegexOptions.CultureInvariant)]
    private static partial Regex TargetPattern();
}
