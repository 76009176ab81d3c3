namespace Reconciler.GitHub;

/// <summary>Where the GitHub REST API lives: github.com or a GitHub Enterprise Server.</summary>
public static class GitHubApiUrl
{
    /// <summary>The public GitHub API.</summary>
    public static readonly Uri Public = new("https://api.github.com/");

    /// <summary>
    /// The API base URL for <paramref name="url"/> (from <c>--github-api-url</c> or <c>GITHUB_API_URL</c>),
    /// always ending in <c>/</c>. Null or empty means github.com. <c>github.com</c> maps to
    /// <c>api.github.com</c>; an Enterprise Server given as its bare host
    /// (<c>https://ghe.example.com</c>) gets <c>/api/v3/</c>; a URL with a path
    /// (<c>https://ghe.example.com/api/v3</c>, as GitHub Actions sets it) is used as it is.
    /// Returns null with an error for anything that is not an absolute http(s) URL.
    /// </summary>
    public static Uri? Normalize(string? url, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(url)) return Public;
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            error = $"the GitHub API URL '{url}' is not an absolute http(s) URL (e.g. https://ghe.example.com/api/v3)";
            return null;
        }
        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = "the GitHub API URL must not carry credentials, a query or a fragment (give the token with GITHUB_TOKEN or --github-token-file)";
            return null;
        }
        if (uri.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase) || uri.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase))
        {
            return Public;
        }
        var path = uri.AbsolutePath;
        if (path == "/" && !uri.Host.StartsWith("api.", StringComparison.OrdinalIgnoreCase)) path = "/api/v3/";
        if (!path.EndsWith('/')) path += "/";
        return new UriBuilder(uri) { Path = path }.Uri;
    }
}
