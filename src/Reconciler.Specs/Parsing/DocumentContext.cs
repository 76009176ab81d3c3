using Reconciler.Core.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Specs.Parsing;

/// <summary>
/// State of reading one YAML document: where each field was written, which paths already had an
/// error (so that semantic validation does not pile a second error on them), and the diagnostics.
/// </summary>
internal sealed class DocumentContext(string file, List<Diagnostic> diagnostics)
{
    private readonly HashSet<string> _badPaths = new(StringComparer.Ordinal);

    public string File { get; } = file;
    public Dictionary<string, SourceLocation> Fields { get; } = new(StringComparer.Ordinal);
    public List<Diagnostic> Diagnostics { get; } = diagnostics;
    public SourceLocation Start { get; set; } = SourceLocation.OfFile(file);

    /// <summary>Files next to the manifest (cloud-init files, local base images); null when the source has none.</summary>
    public SiblingFiles? Siblings
    {
        get
        {
            UsesSiblings = true;
            return _siblings;
        }
        set => _siblings = value;
    }

    private SiblingFiles? _siblings;

    /// <summary>True once anything asked for <see cref="Siblings"/>: the manifest depends on more than its own text.</summary>
    public bool UsesSiblings { get; private set; }

    /// <summary>The absolute local path of <paramref name="path"/> written in this file, or null when it cannot be resolved here.</summary>
    public string? ResolveLocalPath(string path) => Siblings?.LocalPath(File, path);

    public SourceLocation At(YamlNode node) => new(File, ToInt(node.Start.Line), ToInt(node.Start.Column));

    /// <summary>
    /// Where the document and its fields are. Shares <see cref="Fields"/> (no copy per manifest):
    /// a field recorded later, while the resource is built, is then found too.
    /// </summary>
    public SpecOrigin Origin() => new(Start, Fields);

    public void Error(string code, string message, SourceLocation location, string path, string? hint = null)
    {
        if (path.Length > 0) _badPaths.Add(path);
        Diagnostics.Add(Diagnostic.Error(code, message, location, path.Length == 0 ? null : path, hint));
    }

    public void Error(string code, string message, YamlNode node, string path, string? hint = null) =>
        Error(code, message, At(node), path, hint);

    /// <summary>
    /// True when <paramref name="path"/>, one of its parents or one of its children already had a
    /// parse error: a semantic error there would only repeat it.
    /// </summary>
    public bool IsBad(string path)
    {
        foreach (var bad in _badPaths)
        {
            if (Covers(bad, path) || Covers(path, bad)) return true;
        }
        return false;
    }

    private static bool Covers(string parent, string path) =>
        path.StartsWith(parent, StringComparison.Ordinal)
        && (path.Length == parent.Length || path[parent.Length] is '.' or '[');

    private static int ToInt(long value) => value > int.MaxValue ? int.MaxValue : (int)value;
}
