using System.CommandLine;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;
using Reconciler.GitHub;

namespace Reconciler.Cli;

/// <summary>The GitHub options of <c>plan</c>, as given on the command line.</summary>
/// <param name="PullRequest"><c>--github-pr</c>: <c>OWNER/REPO#N</c>, <c>#N</c>, <c>off</c>, or null.</param>
/// <param name="TokenFile"><c>--github-token-file</c>, or null.</param>
/// <param name="ApiUrl"><c>--github-api-url</c>, or null.</param>
internal sealed record GitHubArgs(string? PullRequest, string? TokenFile, string? ApiUrl);

/// <summary>The three <c>plan</c> options; one instance per command tree.</summary>
internal sealed class GitHubPlanOptions
{
    private readonly Option<string?> _pr = new("--github-pr")
    {
        Description = "Post the plan as a comment on this pull request (OWNER/REPO#N), updated in place on every run, and set the "
            + "commit status reconciler/plan on its head commit. In a GitHub Actions pull_request workflow this happens without "
            + "the flag when GITHUB_TOKEN is set; 'off' turns it off there. See docs/github.md.",
    };

    private readonly Option<string?> _tokenFile = new("--github-token-file")
    {
        Description = "File holding the GitHub token (default: the GITHUB_TOKEN or GH_TOKEN environment variable). Never printed.",
    };

    private readonly Option<string?> _apiUrl = new("--github-api-url")
    {
        Description = "GitHub API URL, for GitHub Enterprise Server: https://HOST/api/v3 (default: GITHUB_API_URL, else https://api.github.com).",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_pr);
        command.Options.Add(_tokenFile);
        command.Options.Add(_apiUrl);
    }

    /// <summary>The values given.</summary>
    public GitHubArgs Read(ParseResult parse) => new(parse.GetValue(_pr), parse.GetValue(_tokenFile), parse.GetValue(_apiUrl));
}

/// <summary>
/// What <c>plan</c> does with GitHub after planning: publish the plan to the pull request named by
/// <c>--github-pr</c> or by the GitHub Actions environment, and say so on stderr (stdout keeps
/// the plan alone, so <c>--output json</c> stays parseable). Nothing here ever prints the token.
/// </summary>
internal static class GitHubPlanPublishing
{
    /// <summary>Publishes <paramref name="plan"/>; false when publishing was asked for and failed.</summary>
    public static Task<bool> PublishAsync(Io io, GitHubArgs? args, Plan plan, CancellationToken ct) =>
        PublishAsync(io, args, plan, plan.Source, [], ct);

    /// <summary>Publishes the errors of specs that did not load (failure status); false when that failed.</summary>
    public static Task<bool> PublishInvalidAsync(Io io, GitHubArgs? args, string dir, IReadOnlyList<Diagnostic> diagnostics, CancellationToken ct) =>
        PublishAsync(io, args, null, Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar), diagnostics, ct);

    private static async Task<bool> PublishAsync(Io io, GitHubArgs? args, Plan? plan, string source, IReadOnlyList<Diagnostic> diagnostics, CancellationToken ct)
    {
        var request = PlanPublishing.Resolve(args?.PullRequest, args?.TokenFile, args?.ApiUrl, Environment.GetEnvironmentVariable, out var error, out var note);
        if (note is not null) io.Err.WriteLine("note: " + note);
        if (error is not null)
        {
            io.Err.WriteLine($"error: GitHub: {error}");
            return false;
        }
        if (request is null) return true;

        var result = await PlanPublishing.PublishAsync(request, plan, source, diagnostics, line => io.Err.WriteLine(line), ct).ConfigureAwait(false);
        if (result.CommentId is not null)
        {
            io.Err.WriteLine($"GitHub: {(result.Updated ? "updated the plan comment on" : "posted the plan to")} {request.Target}"
                + (result.CommentUrl is null ? "" : $": {result.CommentUrl}"));
        }
        if (result is { StatusSet: true, HeadSha: { } sha })
        {
            var status = plan is null ? PlanCommitStatus.Invalid(diagnostics) : PlanCommitStatus.Of(plan);
            io.Err.WriteLine($"GitHub: status {status.Context} on {sha[..Math.Min(12, sha.Length)]}: "
                + $"{status.State.ToString().ToLowerInvariant()} ({status.TrimmedDescription})");
        }
        foreach (var e in result.Errors) io.Err.WriteLine($"error: GitHub: {e}");
        return result.Succeeded;
    }
}
