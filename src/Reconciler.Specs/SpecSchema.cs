using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Reconciler.Specs;

/// <summary>
/// Generates the user-facing JSON Schema and reference documentation from the same field tables
/// the loader parses with, so the three cannot drift apart. The checked-in copies live in
/// <c>specs/</c> and a test fails when they differ from what this generates.
/// </summary>
public static class SpecSchema
{
    /// <summary>The schema's <c>$id</c>.</summary>
    public const string SchemaId = "https://reconciler.dev/schemas/reconciler-v1.schema.json";

    /// <summary>A JSON Schema (draft-07) for one manifest document, with per-kind <c>spec</c> via if/then.</summary>
    public static string GenerateJsonSchema()
    {
        var buffer = new MemoryStream();
        var options = new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            var supported = KindRegistry.SupportedKinds.ToList();
            w.WriteStartObject();
            w.WriteString("$schema", "http://json-schema.org/draft-07/schema#");
            w.WriteString("$id", SchemaId);
            w.WriteString("title", $"Reconciler manifest ({KindRegistry.ApiVersion})");
            w.WriteString("description", "One YAML document of a Reconciler spec directory: " + string.Join(", ", supported.Select(k => k.Kind)) + ".");
            w.WriteString("type", "object");
            w.WriteBoolean("additionalProperties", false);
            WriteStrings(w, "required", ["apiVersion", "kind", "metadata"]);
            w.WriteStartObject("properties");
            w.WriteStartObject("apiVersion");
            w.WriteString("description", Top("apiVersion"));
            w.WriteString("const", KindRegistry.ApiVersion);
            w.WriteEndObject();
            w.WriteStartObject("kind");
            w.WriteString("description", Top("kind"));
            w.WriteString("type", "string");
            WriteStrings(w, "enum", supported.Select(k => k.Kind));
            w.WriteEndObject();
            w.WriteStartObject("metadata");
            w.WriteString("description", Top("metadata"));
            w.WriteString("$ref", "#/definitions/" + KindRegistry.Metadata.SchemaName);
            w.WriteEndObject();
            w.WriteStartObject("spec");
            w.WriteString("description", Top("spec"));
            w.WriteString("type", "object");
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartArray("allOf");
            foreach (var kind in supported)
            {
                w.WriteStartObject();
                w.WriteStartObject("if");
                w.WriteStartObject("properties");
                w.WriteStartObject("kind");
                w.WriteString("const", kind.Kind);
                w.WriteEndObject();
                w.WriteEndObject();
                WriteStrings(w, "required", ["kind"]);
                w.WriteEndObject();
                w.WriteStartObject("then");
                if (kind.Spec!.Fields.Any(f => f.Required)) WriteStrings(w, "required", ["spec"]);
                w.WriteStartObject("properties");
                w.WriteStartObject("spec");
                w.WriteString("$ref", "#/definitions/" + kind.Spec.SchemaName);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("definitions");
            foreach (var def in AllObjects())
            {
                WriteObject(w, def);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Top(string name) => KindRegistry.TopLevel.First(t => t.Name == name).Description.Replace("`", "", StringComparison.Ordinal);

    /// <summary>Every object table, in a stable order (metadata, then each kind's spec depth-first).</summary>
    private static List<ObjectDef> AllObjects()
    {
        var result = new List<ObjectDef>();
        void Visit(ObjectDef def)
        {
            if (result.Contains(def)) return;
            result.Add(def);
            foreach (var f in def.Fields) if (f.Item is { } item) Visit(item);
        }
        Visit(KindRegistry.Metadata);
        foreach (var kind in KindRegistry.SupportedKinds) Visit(kind.Spec!);
        return result;
    }

    private static void WriteObject(Utf8JsonWriter w, ObjectDef def)
    {
        w.WriteStartObject(def.SchemaName);
        w.WriteString("description", def.Description);
        w.WriteString("type", "object");
        w.WriteBoolean("additionalProperties", false);
        var required = def.Fields.Where(f => f.Required).Select(f => f.Name).ToList();
        if (required.Count > 0) WriteStrings(w, "required", required);
        w.WriteStartObject("properties");
        foreach (var field in def.Fields)
        {
            w.WriteStartObject(field.Name);
            WriteField(w, field);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        foreach (var group in def.ExactlyOneOf)
        {
            w.WriteStartArray("oneOf");
            foreach (var name in group)
            {
                w.WriteStartObject();
                WriteStrings(w, "required", [name]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter w, FieldDef field)
    {
        var description = new StringBuilder(field.Description);
        if (field.DefaultDisplay is { } d) description.Append(" Default: ").Append(d).Append('.');
        if (field.Libvirt is { } x) description.Append(" libvirt: ").Append(x);
        w.WriteString("description", description.ToString());
        switch (field.Type)
        {
            case FieldType.String:
                w.WriteString("type", "string");
                if (field.Pattern is { } p) w.WriteString("pattern", p);
                if (field.Default is string s) w.WriteString("default", s);
                break;
            case FieldType.Integer:
                w.WriteString("type", "integer");
                if (field.Minimum is { } min) w.WriteNumber("minimum", min);
                if (field.Maximum is { } max) w.WriteNumber("maximum", max);
                if (field.Default is int i) w.WriteNumber("default", i);
                break;
            case FieldType.Boolean:
                w.WriteString("type", "boolean");
                if (field.Default is bool b) w.WriteBoolean("default", b);
                break;
            case FieldType.Size:
                w.WriteString("type", "string");
                w.WriteString("pattern", Patterns.Size);
                if (field.Default is ulong size) w.WriteString("default", ByteSize.Format(size));
                break;
            case FieldType.Enum:
                w.WriteString("type", "string");
                WriteStrings(w, "enum", field.Allowed!);
                if (field.Default is string e) w.WriteString("default", e);
                break;
            case FieldType.StringMap:
                w.WriteString("type", "object");
                if (field.KeyPattern is { } kp)
                {
                    w.WriteStartObject("propertyNames");
                    w.WriteString("pattern", kp);
                    w.WriteEndObject();
                }
                w.WriteStartObject("additionalProperties");
                w.WriteString("type", "string");
                if (field.Pattern is { } vp) w.WriteString("pattern", vp);
                w.WriteEndObject();
                break;
            case FieldType.Object:
                w.WriteStartArray(field.ScalarOf is null ? "allOf" : "oneOf");
                w.WriteStartObject();
                w.WriteString("$ref", "#/definitions/" + field.Item!.SchemaName);
                w.WriteEndObject();
                if (field.ScalarOf is { } inner)
                {
                    // The scalar form: one value of that field (one item of it when it is a list).
                    var target = field.Item[inner];
                    w.WriteStartObject();
                    WriteScalar(w, target.Type is FieldType.IntegerList ? FieldType.Integer : FieldType.String, target);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case FieldType.ObjectList:
                w.WriteString("type", "array");
                w.WriteStartObject("items");
                w.WriteString("$ref", "#/definitions/" + field.Item!.SchemaName);
                w.WriteEndObject();
                break;
            case FieldType.StringList:
                w.WriteString("type", "array");
                w.WriteStartObject("items");
                w.WriteString("type", "string");
                if (field.Allowed is { } items) WriteStrings(w, "enum", items);
                else if (field.Pattern is { } ip) w.WriteString("pattern", ip);
                w.WriteEndObject();
                break;
            case FieldType.IntegerList:
                w.WriteString("type", "array");
                w.WriteStartObject("items");
                WriteScalar(w, FieldType.Integer, field);
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>The type and range of one integer or string of <paramref name="field"/> (a list's item, an object's scalar form).</summary>
    private static void WriteScalar(Utf8JsonWriter w, FieldType type, FieldDef field)
    {
        if (type == FieldType.Integer)
        {
            w.WriteString("type", "integer");
            if (field.Minimum is { } min) w.WriteNumber("minimum", min);
            if (field.Maximum is { } max) w.WriteNumber("maximum", max);
            return;
        }
        w.WriteString("type", "string");
        if (field.Pattern is { } p) w.WriteString("pattern", p);
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>The Markdown reference: every kind and field with type, default, allowed values, example and libvirt XML.</summary>
    public static string GenerateReference()
    {
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');

        L($"# Manifest reference ({KindRegistry.ApiVersion})");
        L();
        L("<!-- Generated from the field tables in src/Reconciler.Specs by SpecSchema.GenerateReference(); do not edit by hand.");
        L("     Regenerate: RECONCILER_UPDATE_GOLDEN=1 dotnet test tests/Reconciler.Specs.Tests -->");
        L();
        L("A spec directory holds `*.yaml` / `*.yml` files, searched recursively (hidden files and directories such as `.git` are skipped).");
        L("Each file holds one or more manifests separated by `---`. Every manifest has these top-level fields and no others:");
        L();
        L("| Field | Description |");
        L("| --- | --- |");
        foreach (var (name, description) in KindRegistry.TopLevel) L($"| `{name}` | {Cell(description)} |");
        L();
        L("Unknown fields are errors (with a \"did you mean\" hint), so typos are never silently ignored.");
        L();
        L("## Value types");
        L();
        L("- **string**: any scalar; control characters are refused.");
        L("- **integer**: a plain whole number (`2`, not `\"2\"`).");
        L("- **boolean**: plain `true` or `false` (`yes`/`no`/`on`/`off` are refused).");
        L($"- **size**: a number with a unit ({ByteSize.AcceptedUnits}), e.g. `512MiB`, `2GiB`. A bare number such as `1024` is an error.");
        L("- **enum**: one of the listed values, exactly as written (lower case).");
        L("- **list of strings**: a YAML list of strings, e.g. `[\"2\", \"3\"]`; a pattern applies to each item.");
        L("- **list of integers**: a YAML list of plain whole numbers, e.g. `[10, 20]`; the range applies to each item.");
        L("- **cpuset** (a string): CPU or node numbers and ranges separated by commas, `^N` excluding one (`0-3,^2`); compared as a set, so `0,1` and `0-1` are the same.");
        L("- A field written as `field:` or `field: null` is not set: its default applies.");
        L();
        L("## metadata (every kind)");
        L();
        WriteFields(md, KindRegistry.Metadata, "metadata.");
        foreach (var kind in KindRegistry.SupportedKinds)
        {
            L($"## kind: {kind.Kind}");
            L();
            L(kind.Description);
            L();
            if (kind.Example is { } example)
            {
                L("```yaml");
                L(example.TrimEnd());
                L("```");
                L();
            }
            L("| Field | Type | Default |");
            L("| --- | --- | --- |");
            foreach (var (path, field) in Flatten(kind.Spec!, "spec."))
            {
                L($"| `{path}` | {TypeText(field)} | {Cell(field.DefaultDisplay ?? (field.Required ? "required" : "unset"))} |");
            }
            L();
            WriteFields(md, kind.Spec!, "spec.");
        }
        if (KindRegistry.All.Any(k => !k.Supported))
        {
            L("## Kinds not supported yet");
            L();
            L("These kinds are recognised but refused with `unsupported-kind` for now:");
            L();
            foreach (var kind in KindRegistry.All.Where(k => !k.Supported)) L($"- `{kind.Kind}`: {kind.Description}");
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    private static IEnumerable<(string Path, FieldDef Field)> Flatten(ObjectDef def, string prefix)
    {
        foreach (var field in def.Fields)
        {
            var path = prefix + field.Name;
            yield return (path, field);
            if (field.Item is { } item)
            {
                var child = field.Type == FieldType.ObjectList ? path + "[]." : path + ".";
                foreach (var nested in Flatten(item, child)) yield return nested;
            }
        }
    }

    private static void WriteFields(StringBuilder md, ObjectDef def, string prefix)
    {
        void L(string line = "") => md.Append(line).Append('\n');
        foreach (var (path, field) in Flatten(def, prefix))
        {
            L($"### `{path}`");
            L();
            L(field.Description);
            L();
            L($"- Type: {TypeText(field)}" + (field.Required ? " (required)" : ""));
            if (field.DefaultDisplay is { } d) L($"- Default: {d}");
            if (field.Type is FieldType.Integer or FieldType.IntegerList && (field.Minimum is not null || field.Maximum is not null))
            {
                L($"- Range: {field.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "…"} to {field.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "…"}");
            }
            if (field.KeyPattern is { } kp) L($"- Key pattern: `{kp}`");
            if (field.Pattern is { } p) L($"- Pattern: `{p}`");
            var owner = Flatten(def, prefix).FirstOrDefault(x => x.Field.Item is { } item && item.Fields.Contains(field));
            if (owner.Field?.Item is { ExactlyOneOf.Count: > 0 } parent)
            {
                foreach (var group in parent.ExactlyOneOf.Where(g => g.Contains(field.Name)))
                {
                    L($"- Exactly one of: {string.Join(", ", group.Select(g => $"`{g}`"))}");
                }
            }
            if (field.Example is { } e) L($"- Example: `{field.Name}: {e}`");
            if (field.Libvirt is { } x) L($"- libvirt: `{x}`");
            L();
        }
    }

    private static string TypeText(FieldDef field) => field.Type switch
    {
        FieldType.Enum => "enum: " + string.Join(", ", field.Allowed!.Select(a => $"`{a}`")),
        FieldType.Object when field.ScalarOf is { } inner => $"object ({field.Item!.SchemaName}), or one {(field.Item[inner].Type == FieldType.IntegerList ? "integer" : "string")} for its `{inner}`",
        FieldType.Object => $"object ({field.Item!.SchemaName})",
        FieldType.ObjectList => $"list of {field.Item!.SchemaName}",
        FieldType.StringList when field.Allowed is { } allowed => "list of: " + string.Join(", ", allowed.Select(a => $"`{a}`")),
        _ => field.TypeName,
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
