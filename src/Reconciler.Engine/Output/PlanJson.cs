using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reconciler.Engine.Output;

/// <summary>
/// The machine view of a plan (<c>--output json</c>), version <see cref="Plan.FormatVersion"/>,
/// documented in <c>specs/plan-json.md</c> and <c>specs/plan-v1.schema.json</c>. Fields are only
/// added within a version; a removal or change of meaning bumps the version.
/// </summary>
public static class PlanJson
{
    /// <summary>The serializer options of every JSON Reconciler writes: camelCase, indented, kebab-case enums.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>The JSON text for <paramref name="plan"/>.</summary>
    public static string Render(Plan plan)
    {
        var summary = PlanSummary.Of(plan);
        var view = new
        {
            formatVersion = Plan.FormatVersion,
            source = plan.Source,
            revision = plan.Revision,
            nodes = plan.Nodes.Select(n => new { name = n.Name, uri = n.Uri, sandbox = n.Sandbox, error = n.Error }),
            summary = new
            {
                create = summary.Create,
                update = summary.Update,
                destroy = summary.Destroy,
                noChanges = plan.IsEmpty,
                errors = plan.Diagnostics.Count(d => d.Severity == Severity.Error),
            },
            changes = plan.Changes.Select(c => new
            {
                node = c.Node,
                kind = c.Kind.ToString().ToLowerInvariant(),
                name = c.Name,
                action = c.Action.ToString().ToLowerInvariant(),
                reason = c.Reason,
                disruption = PlanText.DisruptionText(c.Disruption),
                restart = c is DomainUpdate { Restart: true },
                placement = (c as DesiredDomainChange)?.Placement,
                kept = (c as DomainChange)?.Kept,
                migration = (c as DomainMigrate)?.Migration,
                snapshots = c switch { DomainMigrate m => m.Snapshots, DomainDestroy d => d.Snapshots, _ => [] },
                checks = ((c as DesiredDomainChange)?.Checks ?? []).Select(r => new { check = r.Check, outcome = PlanText.OutcomeText(r.Outcome), detail = r.Detail }),
                fields = c.Fields.Select(f => new { path = f.Path, before = f.Before, after = f.After, disruption = PlanText.DisruptionText(f.Disruption) }),
            }),
            unchanged = plan.Unchanged,
            pendingRestarts = plan.PendingRestarts.Select(p => new
            {
                node = p.Node,
                name = p.Name,
                fields = p.Fields.Select(f => new { path = f.Path, running = f.Before, defined = f.After }),
            }),
            diagnostics = plan.Diagnostics.Select(DiagnosticJson),
            heldPrunes = plan.HeldPrunes.Select(h => new
            {
                node = h.Node,
                revision = h.Revision,
                owned = h.Owned,
                count = h.Count,
                names = h.Changes.Select(c => c.Name),
            }),
        };
        return JsonSerializer.Serialize(view, Options);
    }

    /// <summary>One diagnostic as JSON-ready object (also used by <c>validate --output json</c>).</summary>
    public static object DiagnosticJson(Diagnostic d) => new
    {
        severity = d.Severity switch { Severity.Error => "error", Severity.Note => "note", _ => "warning" },
        code = d.Code,
        message = d.Message,
        file = d.Location?.File,
        line = d.Location?.Line,
        column = d.Location?.Column,
        field = d.FieldPath,
        hint = d.Hint,
    };
}

/// <summary>
/// A plan saved by <c>plan --out FILE</c> for <c>apply FILE</c>: the full plan, including each
/// change's desired spec and the fingerprint of the live object it was made against. Each change
/// names its variant (<c>"type": "domain-update"</c>, <c>"pool"</c>, …; see <see cref="ResourceChange"/>).
/// </summary>
public static class SavedPlan
{
    /// <summary>The marker in a saved plan's <c>kind</c> field.</summary>
    public const string Kind = "reconciler-saved-plan";

    /// <summary>
    /// Version of the saved-plan document. 2: each change names its variant (<c>type</c>); format 1
    /// (the same number as the JSON view then) had one shape for every change and is refused.
    /// </summary>
    public const int FormatVersion = 2;

    private sealed record Envelope(string Kind, int FormatVersion, Plan Plan);

    /// <summary>Writes <paramref name="plan"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, Plan plan) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new Envelope(Kind, FormatVersion, plan), PlanJson.Options));

    /// <summary>True when <paramref name="path"/> looks like a saved plan (a file, not a spec directory).</summary>
    public static bool Looks(string path) => File.Exists(path) && !path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads a saved plan; returns null and an error message when it is not one, or one of another
    /// format (checked before the plan itself is read).
    /// </summary>
    public static Plan? Read(string path, out string? error)
    {
        error = null;
        try
        {
            var text = File.ReadAllText(path);
            var header = JsonSerializer.Deserialize<Header>(text, PlanJson.Options);
            if (header is null || header.Kind != Kind)
            {
                error = $"{path} is not a saved plan (make one with `reconcile plan DIR --out {path}`)";
                return null;
            }
            if (header.FormatVersion != FormatVersion)
            {
                error = $"{path} was saved in plan format {header.FormatVersion}; this reconcile reads format {FormatVersion}. Plan again.";
                return null;
            }
            return JsonSerializer.Deserialize<Envelope>(text, PlanJson.Options)?.Plan
                ?? throw new JsonException("the plan is missing");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            // NotSupportedException: a change that names no variant (it cannot be read as the abstract ResourceChange).
            error = $"{path} is not a readable saved plan: {e.Message}";
            return null;
        }
    }

    private sealed record Header(string? Kind, int FormatVersion);
}
