using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Reconciler.Host.Dashboard;

/// <summary>
/// The dashboard's sign-in: the same token as the action endpoints (<c>--api-token-file</c>, read at
/// every request so it can be rotated). Signing in sets an HttpOnly, SameSite=Strict cookie holding
/// an HMAC of the token (never the token itself); rotating the token signs every browser out.
/// </summary>
internal static class DashboardAuth
{
    /// <summary>The session cookie's name.</summary>
    public const string Cookie = "reconciler_session";

    /// <summary>The access of <paramref name="request"/> under the token in <paramref name="tokenFile"/>.</summary>
    public static ActionAccess Access(HttpRequest request, string? tokenFile)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (tokenFile is null) return ActionAccess.Disabled;
        var token = Read(tokenFile);
        if (token is null) return ActionAccess.Unavailable;
        var cookie = request.Cookies[Cookie] ?? "";
        return Matches(cookie, SessionValue(token)) ? ActionAccess.SignedIn : ActionAccess.SignedOut;
    }

    /// <summary>True when <paramref name="given"/> is the configured token; the session cookie is then set on <paramref name="response"/>.</summary>
    public static bool SignIn(HttpRequest request, HttpResponse response, string tokenFile, string given)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var token = Read(tokenFile);
        if (token is null || !Matches(given.Trim(), token)) return false;
        response.Cookies.Append(Cookie, SessionValue(token), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = request.IsHttps,
            Path = "/",
            IsEssential = true,
        });
        return true;
    }

    /// <summary>Removes the session cookie.</summary>
    public static void SignOut(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Cookies.Delete(Cookie, new CookieOptions { Path = "/" });
    }

    private static string? Read(string tokenFile)
    {
        try
        {
            var token = File.ReadAllText(tokenFile).Trim();
            return token.Length == 0 ? null : token;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string SessionValue(string token) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "reconciler dashboard session v1"u8));

    private static bool Matches(string given, string expected) =>
        given.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
