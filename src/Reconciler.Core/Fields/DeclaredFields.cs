using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>One declared scalar: its path, its row, and the element path from the root element to where its value lives.</summary>
/// <param name="Path">Manifest path, e.g. <c>spec.cpu.NAME.FIELD</c>.</param>
/// <param name="Def">The field-table row.</param>
/// <param name="Elements">Element names from the root element (<c>&lt;domain&gt;</c>) down to the element holding the value.</param>
/// <param name="Attribute">The attribute holding the value, or null for the element's text.</param>
internal sealed record DeclaredField(FieldPath Path, FieldDef Def, IReadOnlyList<string> Elements, string? Attribute);

/// <summary>
/// Drives every stage from the declared rows of a field table (rows with an <see cref="FieldDef.Xml"/>
/// place, inside objects with an <see cref="ObjectDef.XmlElement"/>): the canonical value the loader
/// stores, rendering into XML, reading back from live XML, the flattened values the planner compares
/// and the disruption of a change. A new field of that shape is one row; no stage names it.
/// </summary>
internal sealed class DeclaredFields
{
    private readonly Dictionary<string, DeclaredField> _byPath;

    /// <summary>The declared fields of a table whose root object is rendered as the root element.</summary>
    public DeclaredFields(FieldPath root, IEnumerable<FieldDef> fields)
    {
        var all = new List<DeclaredField>();
        Collect(root, fields, [], all);
        All = all;
        _byPath = all.ToDictionary(f => f.Path.Text, StringComparer.Ordinal);
        TopElements = all.Where(f => f.Elements.Count > 0).Select(f => f.Elements[0]).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The Domain kind's declared fields.</summary>
    public static DeclaredFields Domain { get; } = new(DomainPaths.Spec, DomainFieldTable.Declared);

    /// <summary>All declared fields, in table order.</summary>
    public IReadOnlyList<DeclaredField> All { get; }

    /// <summary>The root element's children that hold declared values (the live-XML reader must load them).</summary>
    public IReadOnlySet<string> TopElements { get; }

    /// <summary>The declared field at <paramref name="path"/>, or null.</summary>
    public DeclaredField? Find(FieldPath path) => _byPath.GetValueOrDefault(path.Text);

    private static void Collect(FieldPath parent, IEnumerable<FieldDef> fields, string[] elements, List<DeclaredField> into)
    {
        foreach (var field in fields)
        {
            var path = parent.Field(field.Name);
            if (field.Xml is { } place)
            {
                // Booleans (libvirt spells them yes/no, on/off) and sizes (units) need a spelling in XmlPlace first.
                if (field.Type is not (FieldType.Integer or FieldType.String or FieldType.Enum))
                {
                    throw new InvalidOperationException($"{path}: a declared field must be an integer, string or enum, not {field.TypeName}");
                }
                into.Add(new DeclaredField(path, field, [.. elements, .. Split(place.Element)], place.Attribute));
            }
            else if (field is { Type: FieldType.Object, Item.XmlElement: { } element })
            {
                Collect(path, field.Item.Fields, [.. elements, .. Split(element)], into);
            }
        }
    }

    private static string[] Split(string element) => element.Length == 0 ? [] : element.Split('/');

    /// <summary>The canonical text of a value as the loader typed it (int, bool, string).</summary>
    public static string Canonical(object value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The canonical text of a written value of <paramref name="field"/> (its <see cref="FieldDef.Normalize"/> applied).</summary>
    public static string Canonical(DeclaredField field, object value) =>
        field.Def.Normalize is { } normalize && value is string text ? normalize(text) : Canonical(value);

    /// <summary>Writes every value into <paramref name="root"/>, creating elements at libvirt's position.</summary>
    public void Render(XElement root, FieldValues values)
    {
        foreach (var field in All)
        {
            if (values[field.Path] is not { } value) continue;
            var element = root;
            foreach (var step in field.Elements) element = XmlStep.Ensure(element, step);
            if (field.Attribute is { } attribute) element.SetAttributeValue(attribute, value);
            else element.Value = value;
        }
    }

    /// <summary>Reads the declared values present in <paramref name="root"/>; integers are canonicalised, other text is kept as written.</summary>
    public FieldValues Parse(XElement root)
    {
        var values = FieldValues.Empty;
        foreach (var field in All)
        {
            XElement? element = root;
            foreach (var step in field.Elements)
            {
                element = XmlStep.Find(element, step);
                if (element is null) break;
            }
            if (element is null) continue;
            var text = field.Attribute is { } attribute ? (string?)element.Attribute(attribute) : element.Value;
            if (text is null) continue;
            text = text.Trim();
            if (field.Def.Type == FieldType.Integer && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                text = Canonical(n);
            }
            else if (field.Def.Normalize is { } normalize)
            {
                text = normalize(text);
            }
            values = values.With(field.Path, text);
        }
        return values;
    }

    /// <summary>Each declared field with its value (null: not written, so not owned), in table order.</summary>
    public IEnumerable<FieldValue> Flatten(FieldValues values) => All.Select(f => new FieldValue(f.Path.Text, values[f.Path]));

    /// <summary>Adds <see cref="Flatten"/>'s values to <paramref name="into"/>.</summary>
    public void FlattenInto(List<FieldValue> into, FieldValues values)
    {
        foreach (var f in All) into.Add(new FieldValue(f.Path.Text, values[f.Path]));
    }

    /// <summary>What changing <paramref name="path"/> costs a running domain, when its row says; null for the general rule.</summary>
    public Disruption? ChangeOf(FieldPath path) => Find(path)?.Def.Change;
}
