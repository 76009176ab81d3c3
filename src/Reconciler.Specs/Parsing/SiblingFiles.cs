namespace Reconciler.Specs.Parsing;

/// <summary>
/// Files a manifest refers to by a path relative to its own directory (cloud-init files, local base
/// images). For a directory source they are read from disk, never outside the spec root; for a
/// source given as texts (a Git tree) from the texts given.
/// </summary>
internal sealed class SiblingFiles
{
    /// <summary>Largest file read (cloud-init files are small; libvirt and cloud-init have limits too).</summary>
    public const int MaxBytes = 1 << 20;

    private readonly string? _root;
    private readonly IReadOnlyDictionary<string, string>? _texts;

    private SiblingFiles(string? root, IReadOnlyDictionary<string, string>? texts)
    {
        _root = root;
        _texts = texts;
    }

    public static SiblingFiles ForDirectory(string root) => new(Path.GetFullPath(root), null);

    public static SiblingFiles ForTexts(IReadOnlyDictionary<string, string> texts) => new(null, texts);

    /// <summary>The source-relative path ('/'-separated) of <paramref name="path"/> written in <paramref name="specFile"/>, or null when it leaves the source.</summary>
    public static string? Combine(string specFile, string path)
    {
        var parts = new List<string>();
        var dir = specFile.Replace('\\', '/');
        var cut = dir.LastIndexOf('/');
        foreach (var segment in (cut < 0 ? "" : dir[..cut]).Split('/', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (segment == ".") continue;
            if (segment == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(segment);
        }
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    /// <summary>Reads a file next to <paramref name="specFile"/>; returns its text and the path to show, or an error.</summary>
    public (string? Text, string Display, string? Error) Read(string specFile, string path)
    {
        if (Path.IsPathRooted(path)) return (null, path, "the path must be relative to the spec file's directory");
        var relative = Combine(specFile, path);
        if (relative is null) return (null, path, "the path leaves the spec directory");
        if (_texts is not null)
        {
            return _texts.TryGetValue(relative, out var text) ? (text, relative, null) : (null, relative, "no such file in the source");
        }
        var full = Path.Combine(_root!, relative);
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists) return (null, relative, "no such file");
            if (info.Length > MaxBytes) return (null, relative, $"the file is larger than {MaxBytes >> 20}MiB");
            return (File.ReadAllText(full), relative, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, relative, e.Message);
        }
    }

    /// <summary>The absolute local path of a file (relative to <paramref name="specFile"/>'s directory, or absolute); null when there is no local directory.</summary>
    public string? LocalPath(string specFile, string path)
    {
        if (Path.IsPathRooted(path)) return path;
        if (_root is null) return null;
        var relative = Combine(specFile, path);
        return relative is null ? null : Path.Combine(_root, relative);
    }
}
