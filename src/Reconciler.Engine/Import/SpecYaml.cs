using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Reconciler.Engine.Import;

/// <summary>
/// A small YAML document builder for the specs import writes: block mappings at the top, flow
/// mappings for leaves (<c>cpu: {mode: custom, model: qemu64}</c>), lists of flow mappings, and
/// scalars quoted only when YAML would read them otherwise.
/// </summary>
internal sealed partial class YamlMap
{
    private readonly List<(string Key, object Value)> _entries = [];

    public bool IsEmpty => _entries.Count == 0;

    /// <summary>True when <paramref name="key"/> is not set.</summary>
    public bool IsEmptyAt(string key) => _entries.All(e => e.Key != key);

    /// <summary>Sets a scalar (string, integer, boolean); null leaves the key out.</summary>
    public YamlMap Set(string key, object? value)
    {
        if (value is not null) Put(key, value);
        return this;
    }

    /// <summary>The nested map at <paramref name="key"/>, created when absent.</summary>
    public YamlMap Map(string key)
    {
        foreach (var (k, v) in _entries)
        {
            if (k == key && v is YamlMap existing) return existing;
        }
        var map = new YamlMap();
        _entries.Add((key, map));
        return map;
    }

    /// <summary>A list of maps or scalars; an empty list leaves the key out.</summary>
    public YamlMap List(string key, IEnumerable<object> items)
    {
        var list = items.ToList();
        if (list.Count > 0) Put(key, list);
        return this;
    }

    /// <summary>Sets the value at a dotted path below this map (<c>cpu.topology.sockets</c>).</summary>
    public void SetPath(string dotted, object value)
    {
        var parts = dotted.Split('.');
        var map = this;
        foreach (var part in parts[..^1]) map = map.Map(part);
        map.Set(parts[^1], value);
    }

    private void Put(string key, object value)
    {
        var i = _entries.FindIndex(e => e.Key == key);
        if (i >= 0) _entries[i] = (key, value);
        else _entries.Add((key, value));
    }

    /// <summary>The map in block style at <paramref name="indent"/> spaces.</summary>
    public void WriteBlock(StringBuilder text, int indent)
    {
        var pad = new string(' ', indent);
        foreach (var (key, value) in _entries)
        {
            if (value is YamlMap { IsEmpty: true }) continue;
            text.Append(pad).Append(key).Append(':');
            switch (value)
            {
                case YamlMap map when map.IsFlat || indent >= 2:
                    text.Append(' ').Append(map.Flow()).Append('\n');
                    break;
                case YamlMap map:
                    text.Append('\n');
                    map.WriteBlock(text, indent + 2);
                    break;
                case List<object> list:
                    text.Append('\n');
                    foreach (var item in list) text.Append(pad).Append("  - ").Append(FlowValue(item)).Append('\n');
                    break;
                default:
                    text.Append(' ').Append(Scalar(value)).Append('\n');
                    break;
            }
        }
    }

    private bool IsFlat => _entries.All(e => e.Value is not YamlMap && e.Value is not List<object>) || _entries.Count <= 3;

    /// <summary>The map in flow style: <c>{a: 1, b: {c: 2}}</c>.</summary>
    public string Flow() => "{" + string.Join(", ", _entries.Where(e => e.Value is not YamlMap { IsEmpty: true }).Select(e => e.Key + ": " + FlowValue(e.Value))) + "}";

    private static string FlowValue(object value) => value switch
    {
        YamlMap map => map.Flow(),
        List<object> list => "[" + string.Join(", ", list.Select(FlowValue)) + "]",
        _ => Scalar(value),
    };

    /// <summary>A scalar as YAML: plain when it reads back as the same string, else double-quoted.</summary>
    public static string Scalar(object value) => value switch
    {
        bool b => b ? "true" : "false",
        int n => n.ToString(CultureInfo.InvariantCulture),
        long n => n.ToString(CultureInfo.InvariantCulture),
        string s => Plain().IsMatch(s) && !Special().IsMatch(s) ? s : Quote(s),
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string Quote(string s)
    {
        var text = new StringBuilder("\"");
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    /// <summary>Safe as a plain scalar in block and flow context.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9/_][A-Za-z0-9/_.+-]*$")]
    private static partial Regex Plain();

    /// <summary>Plain text YAML would read as something other than a string.</summary>
    [GeneratedRegex(@"^(?i:true|false|yes|no|on|off|y|n|null|~)$|^[-+]?[0-9][0-9_.]*([eE][-+]?[0-9]+)?$|^0[xo]")]
    private static partial Regex Special();
}

/// <summary>One document of a spec file: apiVersion, kind, metadata and spec.</summary>
internal static class SpecDocument
{
    public static string Write(string kind, string name, YamlMap spec, string? comment = null)
    {
        var text = new StringBuilder();
        if (comment is not null)
        {
            foreach (var line in comment.Split('\n')) text.Append("# ").Append(line).Append('\n');
        }
        text.Append("apiVersion: reconciler/v1\n");
        text.Append("kind: ").Append(kind).Append('\n');
        text.Append("metadata: {name: ").Append(YamlMap.Scalar(name)).Append("}\n");
        if (spec.IsEmpty)
        {
            text.Append("spec: {}\n");
            return text.ToString();
        }
        text.Append("spec:\n");
        spec.WriteBlock(text, 2);
        return text.ToString();
    }
}
