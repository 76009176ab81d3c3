using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Specs.Parsing;

/// <summary>
/// Reads YAML nodes into <see cref="ParsedObject"/>s, driven only by the field tables: unknown
/// fields, wrong types, bad enum values and sizes become diagnostics at the node's position; every
/// written field's position is recorded for later stages.
/// </summary>
internal static partial class FieldReader
{
    private const string StrTag = "tag:yaml.org,2002:str";

    public static ParsedObject? ReadObject(YamlNode node, ObjectDef def, string path, DocumentContext ctx)
    {
        if (node is not YamlMappingNode map)
        {
            ctx.Error(WrongType, $"expected a mapping, got {Describe(node)}", node, path,
                "write fields as 'name: value' pairs; fields here: " + string.Join(", ", def.Fields.Select(f => f.Name)));
            return null;
        }
        var result = new ParsedObject(def, path);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || IsNull(keyNode))
            {
                ctx.Error(WrongType, $"a field name must be a plain string, got {Describe(keyNode)}", keyNode, path,
                    "fields here: " + string.Join(", ", def.Fields.Select(f => f.Name)));
                continue;
            }
            var fieldPath = Join(path, key);
            var field = def.Find(key);
            if (field is null)
            {
                ReportUnknown(key, keyNode, fieldPath, def.Fields.Select(f => f.Name), ctx);
                continue;
            }
            if (IsNull(valueNode))
            {
                // "field:" or "field: null" means "not set": the default applies.
                ctx.Fields[fieldPath] = ctx.At(keyNode);
                continue;
            }
            ctx.Fields[fieldPath] = valueNode is YamlScalarNode ? ctx.At(valueNode) : ctx.At(keyNode);
            if (ReadValue(valueNode, field, fieldPath, ctx) is { } value) result.Set(field.Name, value);
        }
        foreach (var field in def.Fields.Where(f => f.Required))
        {
            if (!map.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value == field.Name))
            {
                ctx.Error(MissingField, $"'{field.Name}' is required", map, Join(path, field.Name),
                    $"add '{field.Name}:' ({field.Description.TrimEnd('.')}), e.g. {field.Name}: {field.Example}");
            }
        }
        return result;
    }

    /// <summary>An object written as one scalar (<see cref="FieldDef.ScalarOf"/>): the value of that field of it, a one-item list for a list field.</summary>
    private static ParsedObject? ReadScalarObject(YamlNode node, FieldDef field, string inner, string path, DocumentContext ctx)
    {
        var item = field.Item!;
        var target = item[inner];
        var result = new ParsedObject(item, path);
        var innerPath = target.Type is FieldType.IntegerList or FieldType.StringList ? $"{Join(path, inner)}[0]" : Join(path, inner);
        ctx.Fields[innerPath] = ctx.At(node);
        var one = target.Type switch
        {
            FieldType.IntegerList => ReadInteger(node, target, innerPath, ctx) is { } n ? new List<int> { n } : null,
            FieldType.StringList => ReadString(node, target, innerPath, ctx) is { } s ? new List<string> { s } : null,
            _ => ReadValue(node, target, innerPath, ctx),
        };
        if (one is null) return null;
        result.Set(inner, one);
        return result;
    }

    public static void ReportUnknown(string key, YamlNode keyNode, string fieldPath, IEnumerable<string> known, DocumentContext ctx, string? extraHint = null)
    {
        var names = known.ToList();
        var hint = Suggest.DidYouMean(key, names) ?? extraHint ?? "known fields here: " + string.Join(", ", names);
        ctx.Error(UnknownField, $"unknown field '{key}'", keyNode, fieldPath, hint);
    }

    private static object? ReadValue(YamlNode node, FieldDef field, string path, DocumentContext ctx) => field.Type switch
    {
        FieldType.String => ReadString(node, field, path, ctx),
        FieldType.Integer => ReadInteger(node, field, path, ctx),
        FieldType.Boolean => ReadBoolean(node, path, ctx),
        FieldType.Size => ReadSize(node, field, path, ctx),
        FieldType.Enum => ReadEnum(node, field, path, ctx),
        FieldType.StringMap => ReadStringMap(node, path, ctx),
        FieldType.Object when field.ScalarOf is { } inner && node is YamlScalarNode => ReadScalarObject(node, field, inner, path, ctx),
        FieldType.Object => ReadObject(node, field.Item!, path, ctx),
        FieldType.ObjectList => ReadList(node, field.Item!, path, ctx),
        FieldType.StringList => ReadStringList(node, field, path, ctx),
        FieldType.IntegerList => ReadItems(node, path, ctx, field.Example is null ? "write a list, e.g. [1, 2]" : $"e.g. {field.Name}: {field.Example}",
            (child, itemPath) => ReadInteger(child, field, itemPath, ctx) is { } n ? (object)n : null)?.Cast<int>().ToList(),
        _ => throw new InvalidOperationException(field.Type.ToString()),
    };

    private static string? ReadString(YamlNode node, FieldDef field, string path, DocumentContext ctx)
    {
        if (node is not YamlScalarNode scalar)
        {
            ctx.Error(WrongType, $"expected a string, got {Describe(node)}", node, path,
                field.Example is null ? "write a single value" : $"e.g. {field.Name}: {field.Example}");
            return null;
        }
        var text = scalar.Value ?? "";
        foreach (var c in text)
        {
            if (char.IsControl(c) && !(field.Multiline && c is '\n' or '\t' or '\r'))
            {
                ctx.Error(InvalidCharacters, $"the value contains the control character U+{(int)c:X4}", node, path,
                    "remove control characters (they cannot be written to libvirt XML)");
                return null;
            }
        }
        return text;
    }

    /// <summary>An integer within the row's <see cref="FieldDef.Minimum"/> and <see cref="FieldDef.Maximum"/>.</summary>
    private static int? ReadInteger(YamlNode node, FieldDef field, string path, DocumentContext ctx)
    {
        if (node is YamlScalarNode scalar && IsPlain(scalar) && IntegerRegex().IsMatch(scalar.Value ?? ""))
        {
            if (int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                if (value >= (field.Minimum ?? int.MinValue) && value <= (field.Maximum ?? int.MaxValue)) return value;
                ctx.Error(OutOfRange, $"{field.Name} must be {RangeText(field)}, got {value}", node, path,
                    field.Example is null ? $"write a number {RangeText(field)}" : $"e.g. {field.Name}: {field.Example}");
                return null;
            }
            ctx.Error(OutOfRange, $"{scalar.Value} is too large", node, path, "use a smaller number");
            return null;
        }
        var hint = node is YamlScalarNode s && !IsPlain(s) && IntegerRegex().IsMatch(s.Value ?? "")
            ? "remove the quotes: an integer is written plain, e.g. 2"
            : "write a whole number, e.g. 2";
        ctx.Error(WrongType, $"expected an integer, got {Describe(node)}", node, path, hint);
        return null;
    }

    /// <summary>"between 1 and 64", "at least 1", "at most 8".</summary>
    public static string RangeText(FieldDef field) => (field.Minimum, field.Maximum) switch
    {
        ({ } min, { } max) => $"between {min} and {max}",
        ({ } min, null) => $"at least {min}",
        (null, { } max) => $"at most {max}",
        _ => "a whole number",
    };

    private static bool? ReadBoolean(YamlNode node, string path, DocumentContext ctx)
    {
        if (node is YamlScalarNode scalar && IsPlain(scalar))
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE": return true;
                case "false" or "False" or "FALSE": return false;
            }
        }
        var hint = node is YamlScalarNode { Value: "yes" or "no" or "on" or "off" or "y" or "n" or "Yes" or "No" or "On" or "Off" }
            ? "YAML 1.1 words like yes/no/on/off are not booleans here: write true or false"
            : "write true or false (without quotes)";
        ctx.Error(WrongType, $"expected a boolean, got {Describe(node)}", node, path, hint);
        return null;
    }

    /// <summary>A size within the row's <see cref="FieldDef.Sizes"/>.</summary>
    private static ulong? ReadSize(YamlNode node, FieldDef field, string path, DocumentContext ctx)
    {
        if (node is not YamlScalarNode scalar)
        {
            ctx.Error(WrongType, $"expected a size such as 1GiB, got {Describe(node)}", node, path, SizeHint);
            return null;
        }
        ulong bytes;
        string? error;
        try
        {
            if (ByteSize.TryParse(scalar.Value, out bytes, out error))
            {
                if (field.Sizes is not { } range || range.Contains(bytes)) return bytes;
                ctx.Error(OutOfRange, $"{field.Name} must be {range.Text}, got {ByteSize.Format(bytes)}", node, path,
                    field.Example is null ? $"write a size {range.Text}" : $"e.g. {field.Name}: {field.Example}");
                return null;
            }
        }
        catch (OverflowException)
        {
            error = "the size is too large";
        }
        ctx.Error(InvalidSize, $"not a size: {error}", node, path, SizeHint);
        return null;
    }

    private const string SizeHint = "write a number with a unit, e.g. 1GiB or 512MiB (units: " + ByteSize.AcceptedUnits + ")";

    private static string? ReadEnum(YamlNode node, FieldDef field, string path, DocumentContext ctx)
    {
        var allowed = field.Allowed!;
        var list = string.Join(", ", allowed);
        if (node is not YamlScalarNode scalar)
        {
            ctx.Error(WrongType, $"expected one of {list}, got {Describe(node)}", node, path, $"allowed values: {list}");
            return null;
        }
        var value = scalar.Value ?? "";
        if (allowed.Contains(value, StringComparer.Ordinal)) return value;
        var mean = Suggest.DidYouMean(value, allowed);
        ctx.Error(InvalidEnum, $"'{value}' is not a valid {field.Name}", node, path,
            $"allowed values: {list}" + (mean is null ? "" : "; " + mean));
        return null;
    }

    private static SortedDictionary<string, string>? ReadStringMap(YamlNode node, string path, DocumentContext ctx)
    {
        if (node is not YamlMappingNode map)
        {
            ctx.Error(WrongType, $"expected a mapping of strings, got {Describe(node)}", node, path, "e.g. labels: {tier: web}");
            return null;
        }
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || IsNull(keyNode))
            {
                ctx.Error(WrongType, $"a key must be a string, got {Describe(keyNode)}", keyNode, path, "e.g. labels: {tier: web}");
                continue;
            }
            var entryPath = path + "." + key;
            ctx.Fields[entryPath] = ctx.At(keyNode);
            if (valueNode is not YamlScalarNode valueScalar)
            {
                ctx.Error(WrongType, $"expected a string, got {Describe(valueNode)}", valueNode, entryPath, "label values are single strings, e.g. tier: web");
                continue;
            }
            result[key] = IsNull(valueNode) ? "" : valueScalar.Value ?? "";
        }
        return result;
    }

    // A broken item keeps its place (empty) so that later indexes still match the file.
    private static List<ParsedObject>? ReadList(YamlNode node, ObjectDef item, string path, DocumentContext ctx) =>
        ReadItems(node, path, ctx, "write a list, one '- ' per item",
            (child, itemPath) => ReadObject(child, item, itemPath, ctx) ?? new ParsedObject(item, itemPath));

    /// <summary>A YAML sequence read item by item (each item's position recorded at <c>path[i]</c>); items read as null are left out.</summary>
    private static List<T>? ReadItems<T>(YamlNode node, string path, DocumentContext ctx, string hint, Func<YamlNode, string, T?> read) where T : class
    {
        if (node is not YamlSequenceNode sequence)
        {
            ctx.Error(WrongType, $"expected a list, got {Describe(node)}", node, path, hint);
            return null;
        }
        var result = new List<T>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var child = sequence.Children[i];
            ctx.Fields[itemPath] = ctx.At(child);
            if (read(child, itemPath) is { } value) result.Add(value);
        }
        return result;
    }

    /// <summary>
    /// A list of strings (enums when the row has allowed values); each item's position is recorded
    /// as <c>path[i]</c>. A broken item keeps its place (empty) so that later indexes still match
    /// the file (pinning.vcpus: the index is the vCPU).
    /// </summary>
    private static List<string>? ReadStringList(YamlNode node, FieldDef field, string path, DocumentContext ctx) =>
        ReadItems(node, path, ctx, field.Example is null ? "write a list, e.g. [\"a\", \"b\"]" : $"e.g. {field.Name}: {field.Example}",
            (child, itemPath) => IsNull(child) ? "" : (field.Allowed is null ? ReadString(child, field, itemPath, ctx) : ReadEnum(child, field, itemPath, ctx)) ?? "");

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode scalar && IsPlain(scalar) && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static bool IsPlain(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && (scalar.Tag.IsEmpty || scalar.Tag.Value != StrTag);

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "nothing (null)",
        YamlScalarNode s when !IsPlain(s) => $"the quoted string \"{Shorten(s.Value)}\"",
        YamlScalarNode s => $"'{Shorten(s.Value)}'",
        _ => "an unsupported node",
    };

    private static string Shorten(string? value)
    {
        var v = value ?? "";
        return v.Length > 40 ? v[..40] + "…" : v;
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerRegex();
}
