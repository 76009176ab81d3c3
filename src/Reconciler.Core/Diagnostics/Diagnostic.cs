using Reconciler.Core.Model;

namespace Reconciler.Core.Diagnostics;

/// <summary>How bad a diagnostic is. Errors stop the command; warnings are printed only.</summary>
public enum Severity
{
    /// <summary>Printed, does not stop anything.</summary>
    Warning,
    /// <summary>Stops the command with exit code 1.</summary>
    Error,
    /// <summary>Information the plan gives (e.g. a check the node could not answer and so was skipped); never stops anything.</summary>
    Note,
}

/// <summary>A place in a spec file. Line and column are 1-based; 0 means unknown.</summary>
/// <param name="File">Path of the file as the user gave it (relative to the spec root when known).</param>
/// <param name="Line">1-based line, 0 when unknown.</param>
/// <param name="Column">1-based column, 0 when unknown.</param>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <summary>A location that names only a file.</summary>
    public static SourceLocation OfFile(string file) => new(file, 0, 0);

    /// <summary><c>file:line:column</c>, or less when line or column are unknown.</summary>
    public override string ToString() =>
        Line <= 0 ? File : Column <= 0 ? $"{File}:{Line}" : $"{File}:{Line}:{Column}";
}

/// <summary>The resource a plan diagnostic is about; what the controller reports the diagnostic against.</summary>
/// <param name="Kind">The resource's kind.</param>
/// <param name="Name">The resource's name (for a domain, its spec's name).</param>
/// <param name="Node">The node it is on or placed on, when the diagnostic knows one; informational, not part of the match.</param>
public sealed record ResourceRef(ResourceKind Kind, string Name, string? Node = null)
{
    /// <summary>True when this names the resource <paramref name="kind"/> <paramref name="name"/> (on any node).</summary>
    public bool Is(ResourceKind kind, string name) => Kind == kind && string.Equals(Name, name, StringComparison.Ordinal);
}

/// <summary>
/// One problem found in the user's input or in the plan. Diagnostics are values gathered in a list
/// and turned into an exit code only at the edge (the CLI).
/// </summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Code">Stable machine-readable code, e.g. <c>unknown-field</c>.</param>
/// <param name="Message">What is wrong, in one sentence.</param>
/// <param name="Location">Where, or null when it is not about a file.</param>
/// <param name="FieldPath">The field path in the manifest, e.g. <c>spec.disks[0].bus</c>, or null.</param>
/// <param name="Hint">What to do about it, or null.</param>
public sealed record Diagnostic(
    Severity Severity,
    string Code,
    string Message,
    SourceLocation? Location = null,
    string? FieldPath = null,
    string? Hint = null)
{
    /// <summary>The resource the diagnostic is about, or null (input errors, node-wide problems, and plan diagnostics not yet tied to one).</summary>
    public ResourceRef? Resource { get; init; }

    /// <summary>This diagnostic, about the resource <paramref name="kind"/> <paramref name="name"/> on <paramref name="node"/>.</summary>
    public Diagnostic About(ResourceKind kind, string name, string? node = null) => this with { Resource = new ResourceRef(kind, name, node) };

    /// <summary>An error diagnostic.</summary>
    public static Diagnostic Error(string code, string message, SourceLocation? location = null, string? fieldPath = null, string? hint = null)
        => new(Severity.Error, code, message, location, fieldPath, hint);

    /// <summary>A warning diagnostic.</summary>
    public static Diagnostic Warning(string code, string message, SourceLocation? location = null, string? fieldPath = null, string? hint = null)
        => new(Severity.Warning, code, message, location, fieldPath, hint);

    /// <summary>A note: information, not a problem.</summary>
    public static Diagnostic Note(string code, string message, SourceLocation? location = null, string? fieldPath = null, string? hint = null)
        => new(Severity.Note, code, message, location, fieldPath, hint);

    /// <summary>One line: <c>file:line:col: error: spec.vcpus: message (hint: …)</c>.</summary>
    public override string ToString()
    {
        var where = Location is null ? "" : Location + ": ";
        var level = Severity switch { Severity.Error => "error", Severity.Note => "note", _ => "warning" };
        var field = FieldPath is null ? "" : FieldPath + ": ";
        var hint = Hint is null ? "" : $"\n    hint: {Hint}";
        return $"{where}{level}: {field}{Message} [{Code}]{hint}";
    }
}
