using System.Globalization;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>The YAML shape of a field; decides how it is parsed and how the schema describes it.</summary>
internal enum FieldType
{
    String,
    Integer,
    Boolean,
    Size,
    Enum,
    StringMap,
    Object,
    ObjectList,
    /// <summary>A list of scalars, each one of <see cref="FieldDef.Allowed"/> when given, else matching <see cref="FieldDef.Pattern"/>.</summary>
    StringList,
    /// <summary>A list of integers, each within <see cref="FieldDef.Minimum"/> and <see cref="FieldDef.Maximum"/>.</summary>
    IntegerList,
}

/// <summary>
/// One row of a kind's field table: the single source of truth for parsing (known fields, types,
/// allowed values and ranges, enforced where the value is read), for the JSON Schema and for the
/// reference documentation. A field that also names its <see cref="Xml"/> place is a declared field
/// (see <see cref="DeclaredFields"/>): loading, rendering, reading back from live XML, comparing and
/// classifying its changes are all driven by this one row, and its value lives in
/// <see cref="DomainSpec.Declared"/>.
/// </summary>
internal sealed class FieldDef(string name, FieldType type, string description)
{
    public string Name { get; } = name;
    public FieldType Type { get; } = type;
    public string Description { get; } = description;
    public bool Required { get; init; }
    /// <summary>Typed default used by the binder (int, bool, ulong, string), or null when none or contextual.</summary>
    public object? Default { get; init; }
    /// <summary>What the documentation shows when the default is contextual; else derived from <see cref="Default"/>.</summary>
    public string? DefaultText { get; init; }
    public IReadOnlyList<string>? Allowed { get; init; }
    /// <summary>A regular expression (ECMAScript-compatible) the value must match; checked by the validators.</summary>
    public string? Pattern { get; init; }
    /// <summary>For <see cref="FieldType.StringMap"/>: the pattern of the keys (<see cref="Pattern"/> is that of the values).</summary>
    public string? KeyPattern { get; init; }
    public int? Minimum { get; init; }
    public int? Maximum { get; init; }
    /// <summary>For <see cref="FieldType.Size"/>: the sizes allowed, enforced where the value is read.</summary>
    public SizeRange? Sizes { get; init; }
    /// <summary>An example value as written in YAML (flow style for objects).</summary>
    public string? Example { get; init; }
    /// <summary>The libvirt XML (or API) the field becomes.</summary>
    public string? Libvirt { get; init; }
    /// <summary>The shape of the object (for <see cref="FieldType.Object"/>) or of each item (for <see cref="FieldType.ObjectList"/>).</summary>
    public ObjectDef? Item { get; init; }
    /// <summary>
    /// For an <see cref="FieldType.Object"/>: a scalar written in place of the object is the value of
    /// this field of it (a one-item list when that field is a list): <c>vlan: 100</c> is <c>vlan: {tags: [100]}</c>.
    /// </summary>
    public string? ScalarOf { get; init; }
    /// <summary>Newlines and tabs are allowed in the string.</summary>
    public bool Multiline { get; init; }
    /// <summary>
    /// For a declared scalar: where the value lives in libvirt XML, relative to the element of the
    /// object holding the field (<see cref="ObjectDef.XmlElement"/>). Null for fields rendered by hand.
    /// </summary>
    public XmlPlace? Xml { get; init; }
    /// <summary>
    /// For a declared scalar: what changing it costs a running domain when that is not the general
    /// rule (the persistent definition changes; the guest sees it at the next boot).
    /// </summary>
    public Disruption? Change { get; init; }

    /// <summary>
    /// For a declared string whose libvirt spelling differs from the written one with the same
    /// meaning (a cpuset's <c>0,1</c> is libvirt's <c>0-1</c>): the canonical text, applied to the
    /// written value and to the one read back, so that they compare equal. Null: the text itself.
    /// </summary>
    public Func<string, string>? Normalize { get; init; }

    public string TypeName => Type switch
    {
        FieldType.String => "string",
        FieldType.Integer => "integer",
        FieldType.Boolean => "boolean",
        FieldType.Size => "size",
        FieldType.Enum => "enum",
        FieldType.StringMap => "map of string to string",
        FieldType.Object => "object",
        FieldType.ObjectList => "list of objects",
        FieldType.StringList => "list of strings",
        FieldType.IntegerList => "list of integers",
        _ => Type.ToString(),
    };

    public string? DefaultDisplay => DefaultText ?? Default switch
    {
        null => null,
        bool b => b ? "true" : "false",
        ulong size => ByteSize.Format(size),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString(),
    };
}

/// <summary>The sizes a <see cref="FieldType.Size"/> field allows: between <paramref name="Minimum"/> and <paramref name="Maximum"/>, a whole number of <paramref name="Multiple"/> bytes, and a power of two when <paramref name="PowerOfTwo"/> (a huge page size).</summary>
internal sealed record SizeRange(ulong Minimum, ulong Maximum, ulong Multiple = 1, bool PowerOfTwo = false)
{
    /// <summary>Whether <paramref name="bytes"/> is allowed.</summary>
    public bool Contains(ulong bytes) => bytes >= Minimum && bytes <= Maximum && bytes % Multiple == 0 && (!PowerOfTwo || ulong.IsPow2(bytes));

    /// <summary>"between 1MiB and 16TiB and a whole number of KiB".</summary>
    public string Text => $"between {ByteSize.Format(Minimum)} and {ByteSize.Format(Maximum)}"
        + (Multiple > 1 ? $" and a whole number of {ByteSize.Format(Multiple)[1..]}" : "")
        + (PowerOfTwo ? " and a power of two" : "");
}

/// <summary>A mapping: its fields, in documentation order.</summary>
internal sealed class ObjectDef
{
    private readonly Dictionary<string, FieldDef> _byName;

    public ObjectDef(string schemaName, string description, IReadOnlyList<FieldDef> fields, IReadOnlyList<string[]>? exactlyOneOf = null, string? xmlElement = null)
    {
        XmlElement = xmlElement;
        SchemaName = schemaName;
        Description = description;
        Fields = fields;
        ExactlyOneOf = exactlyOneOf ?? [];
        _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>The name of the definition in the JSON Schema.</summary>
    public string SchemaName { get; }
    public string Description { get; }
    public IReadOnlyList<FieldDef> Fields { get; }
    /// <summary>
    /// The libvirt element the object maps to, relative to its parent object's element
    /// (<c>cpu</c>, <c>os</c>); its declared fields are read and written there. Null: the
    /// object is rendered by hand and holds no declared fields.
    /// </summary>
    public string? XmlElement { get; }
    /// <summary>Groups of fields of which exactly one must be written (expressed in the schema as oneOf).</summary>
    public IReadOnlyList<string[]> ExactlyOneOf { get; }

    public FieldDef? Find(string name) => _byName.GetValueOrDefault(name);

    public FieldDef this[string name] => _byName.TryGetValue(name, out var f)
        ? f
        : throw new KeyNotFoundException($"'{name}' is not a field of {SchemaName}");
}

/// <summary>Patterns shared by the field tables (schema) and the validators.</summary>
internal static class Patterns
{
    public const string Name = "^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$";
    public const string NameHint = "a name starts with a letter or digit, then up to 62 letters, digits or _ . + - (libvirt-safe: no spaces, slashes or XML characters)";
    public const string LabelKey = "^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$";
    public const string LabelValue = "^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$";
    public const string LabelHint = "label keys are an optional DNS prefix and '/', then up to 63 letters, digits, - _ . (starting and ending alphanumeric); values are empty or the same up to 63 characters";
    public const string Token = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
    public const string Target = "^(vd|sd|hd|xvd)[a-z]{1,2}$";
    public const string Mac = "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$";
    public const string Bridge = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$";
    public const string Arch = "^[a-z0-9_]{1,32}$";
    public const string Size = "^\\s*([0-9]+(\\.[0-9]*)?|\\.[0-9]+)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)\\s*$";
}
