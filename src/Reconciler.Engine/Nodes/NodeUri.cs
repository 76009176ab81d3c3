namespace Reconciler.Engine.Nodes;

/// <summary>
/// Builds a node's connection URI from its spec: TLS client files and SASL credentials are given
/// by path and passed to libvirt as the <c>pkipath=</c> and <c>authfile=</c> URI parameters, so no
/// secret is ever part of the spec text.
/// </summary>
public static class NodeUri
{
    /// <summary>
    /// <paramref name="uri"/> with <c>pkipath=</c> and <c>authfile=</c> added (absolute paths); a
    /// parameter the URI already carries is left as written.
    /// </summary>
    public static string Build(string uri, string? pkiPath, string? authFile)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var result = uri;
        result = Add(result, "pkipath", pkiPath);
        result = Add(result, "authfile", authFile);
        return result;
    }

    private static string Add(string uri, string name, string? path)
    {
        if (string.IsNullOrEmpty(path) || HasParameter(uri, name)) return uri;
        var hash = uri.IndexOf('#', StringComparison.Ordinal);
        var fragment = hash >= 0 ? uri[hash..] : "";
        var head = hash >= 0 ? uri[..hash] : uri;
        var separator = head.Contains('?', StringComparison.Ordinal) ? (head.EndsWith('?') || head.EndsWith('&') ? "" : "&") : "?";
        return head + separator + name + "=" + Uri.EscapeDataString(Path.GetFullPath(path)).Replace("%2F", "/", StringComparison.Ordinal) + fragment;
    }

    private static bool HasParameter(string uri, string name)
    {
        var q = uri.IndexOf('?', StringComparison.Ordinal);
        if (q < 0) return false;
        return uri[(q + 1)..].Split('&', '#').Any(p => p.Split('=')[0].Equals(name, StringComparison.OrdinalIgnoreCase));
    }
}
