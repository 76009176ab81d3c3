namespace Reconciler.Specs.Parsing;

/// <summary>
/// The fields of one YAML mapping, read and typed by its <see cref="ObjectDef"/>: string, int,
/// bool, ulong (sizes), string (enums), sorted string map, <see cref="ParsedObject"/> or a list of them.
/// Reading a field that was not written yields the table's default.
/// </summary>
internal sealed class ParsedObject(ObjectDef def, string path)
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public ObjectDef Def { get; } = def;
    public string Path { get; } = path;

    public void Set(string name, object value) => _values[name] = value;

    /// <summary>Whether the field was written (with a valid value).</summary>
    public bool Has(string name) => _values.ContainsKey(Def[name].Name);

    public T? Get<T>(string name)
    {
        var field = Def[name];
        if (_values.TryGetValue(name, out var value)) return (T)value;
        return field.Default is null ? default : (T)field.Default;
    }

    public string FieldPath(string name) => Path.Length == 0 ? name : Path + "." + Def[name].Name;
}
