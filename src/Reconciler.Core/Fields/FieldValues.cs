using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reconciler.Core.Fields;

/// <summary>
/// The values of a domain's declared fields (those whose field-table row names their XML place),
/// by manifest path, in canonical text: what the spec wrote, or what live XML holds. A field that
/// is absent was not written (its default, if it has one, applies). Compares by value.
/// </summary>
[JsonConverter(typeof(FieldValuesJsonConverter))]
public sealed class FieldValues : IEquatable<FieldValues>
{
    private readonly ImmutableSortedDictionary<string, string> _values;

    private FieldValues(ImmutableSortedDictionary<string, string> values) => _values = values;

    /// <summary>No declared field written.</summary>
    public static FieldValues Empty { get; } = new(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal));

    /// <summary>The canonical value of <paramref name="path"/>, or null when it was not written.</summary>
    public string? this[FieldPath path] => _values.GetValueOrDefault(path.Text);

    /// <summary>The value of <paramref name="path"/> as an integer, or null when it is absent or not one.</summary>
    public int? Int(FieldPath path) =>
        this[path] is { } text && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Whether any field inside <paramref name="path"/> was written.</summary>
    public bool AnyWithin(FieldPath path) => _values.Keys.Any(k => new FieldPath(k).IsWithin(path));

    /// <summary>These values with <paramref name="path"/> set to <paramref name="value"/> (removed when null).</summary>
    public FieldValues With(FieldPath path, string? value) =>
        new(value is null ? _values.Remove(path.Text) : _values.SetItem(path.Text, value));

    /// <summary>Every written value, ordered by path.</summary>
    public IEnumerable<KeyValuePair<string, string>> All => _values;

    /// <summary>How many values are written.</summary>
    public int Count => _values.Count;

    /// <inheritdoc/>
    public bool Equals(FieldValues? other) =>
        other is not null && (ReferenceEquals(this, other) || (_values.Count == other._values.Count
            && _values.All(kv => other._values.TryGetValue(kv.Key, out var v) && string.Equals(v, kv.Value, StringComparison.Ordinal))));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FieldValues);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (key, value) in _values)
        {
            hash.Add(key, StringComparer.Ordinal);
            hash.Add(value, StringComparer.Ordinal);
        }
        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(kv => kv.Key + "=" + kv.Value));
}

/// <summary>A saved plan's form of <see cref="FieldValues"/>: a JSON object of path → canonical text.</summary>
internal sealed class FieldValuesJsonConverter : JsonConverter<FieldValues>
{
    public override FieldValues Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(ref reader, options) ?? [];
        return map.Aggregate(FieldValues.Empty, (values, kv) => values.With(new FieldPath(kv.Key), kv.Value));
    }

    public override void Write(Utf8JsonWriter writer, FieldValues value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (path, text) in value.All) writer.WriteString(path, text);
        writer.WriteEndObject();
    }
}
