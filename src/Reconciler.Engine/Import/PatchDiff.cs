using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace Reconciler.Engine.Import;

/// <summary>
/// The <c>xml:</c> patches that turn a rendered definition into a live one: everything the live
/// definition holds that the model did not express. Both sides are cleaned first
/// (<see cref="LiveXmlCleaner"/>). Renderer defaults the live domain lacks are turned off through
/// <see cref="DefaultDevices"/>; the rest is a structural diff: a differing attribute present on both
/// sides is a <c>set</c>, text is a <c>set</c>, an element only live is an <c>add</c>, an element only
/// rendered is a <c>remove</c>, and an element whose attributes differ in kind is replaced (remove,
/// then add). Patches address what the rendered XML holds when they apply, in order.
/// </summary>
internal static class PatchDiff
{
    /// <summary>The patches, and the live elements they carry (for the summary).</summary>
    public sealed record Result(IReadOnlyList<XmlPatch> Patches, IReadOnlyList<string> Carried);

    public static Result Compute(XElement rendered, XElement live)
    {
        var r = LiveXmlCleaner.Clean(rendered);
        var l = LiveXmlCleaner.Clean(live);
        var patches = new List<XmlPatch>();
        var carried = new List<string>();
        if (r.Element("devices") is { } rd)
        {
            DefaultDevices.TurnOff(rd, l.Element("devices") ?? new XElement("devices"), patches, carried);
        }
        // Metadata: the live children are added inside the rendered <metadata> (which holds the owner record).
        var liveMeta = l.Element("metadata");
        var renderedMeta = r.Element("metadata")?.Elements().ToList() ?? [];
        r.Element("metadata")?.Remove();
        if (liveMeta is not null)
        {
            foreach (var child in liveMeta.Elements().Where(c => !renderedMeta.Any(m => Same(m, c))))
            {
                patches.Add(new XmlPatch("/domain/metadata", Add: Serialize(child)));
                carried.Add("metadata/" + child.Name.LocalName);
            }
            liveMeta.Remove();
        }
        r.Element("name")?.Remove();
        l.Element("name")?.Remove();
        Children(r, l, "/domain", "", patches, carried);
        return new Result(patches, carried);
    }

    /// <summary>Whether two elements are the same: name, attributes as a set, trimmed text and children in order.</summary>
    public static bool Same(XElement a, XElement b)
    {
        if (a.Name != b.Name) return false;
        var aa = Attributes(a);
        var ba = Attributes(b);
        if (aa.Count != ba.Count || aa.Any(kv => !ba.TryGetValue(kv.Key, out var v) || v != kv.Value)) return false;
        var ac = a.Elements().ToList();
        var bc = b.Elements().ToList();
        if (ac.Count != bc.Count) return false;
        if (ac.Count == 0) return Text(a) == Text(b);
        for (var i = 0; i < ac.Count; i++)
        {
            if (!Same(ac[i], bc[i])) return false;
        }
        return true;
    }

    /// <summary>Diffs the children of two elements that stay (same place on both sides).</summary>
    private static void Children(XElement r, XElement l, string path, string label, List<XmlPatch> patches, List<string> carried)
    {
        var names = r.Elements().Concat(l.Elements()).Select(e => e.Name).Distinct().ToList();
        foreach (var name in names)
        {
            var rs = r.Elements(name).ToList();
            var ls = l.Elements(name).ToList();
            var local = name.LocalName;
            var childLabel = label.Length == 0 ? local : label + "/" + local;
            var childPath = path + "/" + local;
            if (rs.Count == 0)
            {
                patches.Add(new XmlPatch(path, Add: string.Concat(ls.Select(Serialize))));
                carried.AddRange(ls.Select(_ => childLabel));
                continue;
            }
            if (ls.Count == 0)
            {
                patches.Add(new XmlPatch(childPath, Remove: true));
                carried.AddRange(rs.Select(_ => childLabel + " (removed)"));
                continue;
            }
            Group(rs, ls, path, childPath, childLabel, patches, carried);
        }
    }

    /// <summary>The elements of one name under one parent: aligned by identity, then diffed pair by pair.</summary>
    private static void Group(List<XElement> rs, List<XElement> ls, string parent, string path, string label, List<XmlPatch> patches, List<string> carried)
    {
        // Greedy alignment by identity (a disk's source, a channel's target name, …), in order.
        var pairs = new List<(int R, int L)>();
        // One on each side: the same element whatever its identity (a NIC model that changed is a set, not a new NIC).
        var single = rs.Count == 1 && ls.Count == 1;
        if (single) pairs.Add((0, 0));
        // Controllers: libvirt orders them by type and index itself, so they pair in any order, and a live one among
        // the matched is added after them (replacing the group would also remove the root ports, which the patch's xpath selects when it applies).
        var ordered = rs[0].Name.LocalName != "controller";
        var next = 0;
        for (var i = 0; !single && i < rs.Count; i++)
        {
            for (var j = ordered ? next : 0; j < ls.Count; j++)
            {
                if (Key(rs[i]) != Key(ls[j]) || pairs.Any(p => p.L == j)) continue;
                pairs.Add((i, j));
                next = j + 1;
                break;
            }
        }
        var matchedL = pairs.Select(p => p.L).ToHashSet();
        var unmatchedL = Enumerable.Range(0, ls.Count).Where(j => !matchedL.Contains(j)).ToList();
        var lastMatched = pairs.Count == 0 ? -1 : pairs.Max(p => p.L);
        var replaceAll = (ordered && unmatchedL.Any(j => j < lastMatched)) || pairs.Any(p => NeedsReplace(rs[p.R], ls[p.L]) && pairs.Count > 1);
        if (replaceAll || pairs.Count == 0)
        {
            ReplaceGroup(rs, ls, parent, path, label, patches, carried);
            return;
        }
        var matchedR = pairs.Select(p => p.R).ToHashSet();
        var unmatchedR = Enumerable.Range(0, rs.Count).Where(i => !matchedR.Contains(i)).ToList();
        // Rendered-only elements go first, from the last, so the positions of the others stay valid after.
        foreach (var i in Enumerable.Reverse(unmatchedR))
        {
            patches.Add(new XmlPatch(rs.Count == 1 ? path : $"{path}[{Num(i + 1)}]", Remove: true));
            carried.Add(label + " (removed)");
        }
        for (var k = 0; k < pairs.Count; k++)
        {
            var (ri, li) = pairs[k];
            var at = pairs.Count == 1 ? path : $"{path}[{Num(k + 1)}]";
            if (NeedsReplace(rs[ri], ls[li]))
            {
                // One element of its name: removed and added again (libvirt does not care where it is among its siblings).
                patches.Add(new XmlPatch(at, Remove: true));
                patches.Add(new XmlPatch(parent, Add: Serialize(ls[li])));
                carried.Add(label);
                continue;
            }
            Pair(rs[ri], ls[li], at, label, patches, carried);
        }
        if (unmatchedL.Count > 0)
        {
            patches.Add(new XmlPatch(parent, Add: string.Concat(unmatchedL.Select(j => Serialize(ls[j])))));
            carried.AddRange(unmatchedL.Select(_ => label));
        }
    }

    private static void ReplaceGroup(List<XElement> rs, List<XElement> ls, string parent, string path, string label, List<XmlPatch> patches, List<string> carried)
    {
        if (rs.Count == ls.Count && rs.Zip(ls).All(p => Same(p.First, p.Second))) return;
        patches.Add(new XmlPatch(path, Remove: true));
        patches.Add(new XmlPatch(parent, Add: string.Concat(ls.Select(Serialize))));
        carried.AddRange(ls.Select(_ => label));
    }

    /// <summary>Diffs one element present on both sides, at <paramref name="path"/>.</summary>
    private static void Pair(XElement r, XElement l, string path, string label, List<XmlPatch> patches, List<string> carried)
    {
        if (Same(r, l)) return;
        var ra = Attributes(r);
        var la = Attributes(l);
        foreach (var (name, value) in la)
        {
            if (ra[name] != value)
            {
                patches.Add(new XmlPatch($"{path}/@{name}", Set: value));
                carried.Add($"{label}@{name}");
            }
        }
        if (!r.HasElements && !l.HasElements)
        {
            if (Text(r) != Text(l))
            {
                patches.Add(new XmlPatch(path, Set: Text(l)));
                carried.Add(label);
            }
            return;
        }
        Children(r, l, path, label, patches, carried);
    }

    /// <summary>True when the two cannot be reconciled in place: their attribute names differ, or one has text and the other children.</summary>
    private static bool NeedsReplace(XElement r, XElement l)
    {
        var ra = Attributes(r);
        var la = Attributes(l);
        if (ra.Count != la.Count || ra.Keys.Any(k => !la.ContainsKey(k))) return true;
        return r.HasElements != l.HasElements && (Text(r).Length > 0 || Text(l).Length > 0);
    }

    /// <summary>What identifies a device among others of its kind.</summary>
    private static string Key(XElement e)
    {
        var type = (string?)e.Attribute("type") ?? "";
        return e.Name.LocalName switch
        {
            "disk" => $"{(string?)e.Attribute("device")}|{SourceText(e)}",
            "interface" => $"{type}|{SourceText(e)}",
            "channel" => $"{type}|{(string?)e.Element("target")?.Attribute("name")}",
            "controller" => $"{type}|{(string?)e.Attribute("model")}",
            "input" => $"{type}|{(string?)e.Attribute("bus")}",
            "timer" => (string?)e.Attribute("name") ?? "",
            "hostdev" => $"{type}|{SourceText(e)}",
            _ => type,
        };
    }

    private static string SourceText(XElement e) => e.Element("source") is { } s
        ? string.Join(",", s.Attributes().OrderBy(a => a.Name.ToString(), StringComparer.Ordinal).Select(a => a.Name + "=" + a.Value))
        : "";

    private static Dictionary<string, string> Attributes(XElement e) =>
        e.Attributes().Where(a => !a.IsNamespaceDeclaration).ToDictionary(a => a.Name.ToString(), a => a.Value, StringComparer.Ordinal);

    private static string Text(XElement e) => e.HasElements ? "" : e.Value.Trim();

    /// <summary>An element as a compact fragment: single-quoted attributes, no indentation, namespace prefixes kept.</summary>
    public static string Serialize(XElement e)
    {
        var text = new StringBuilder();
        Write(e, text, []);
        return text.ToString();
    }

    private static void Write(XElement e, StringBuilder text, HashSet<string> declared)
    {
        declared = [.. declared, .. e.Attributes().Where(a => a.IsNamespaceDeclaration).Select(a => a.Value)];
        var name = QName(e, e.Name);
        text.Append('<').Append(name);
        foreach (var a in e.Attributes())
        {
            var attributeName = a.IsNamespaceDeclaration
                ? (a.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + a.Name.LocalName)
                : a.Name.Namespace == XNamespace.None ? a.Name.LocalName : QName(e, a.Name);
            text.Append(' ').Append(attributeName).Append("='").Append(Escape(a.Value, attribute: true)).Append('\'');
        }
        // A namespaced element carries its declaration, so the fragment stands alone.
        if (e.Name.Namespace != XNamespace.None && declared.Add(e.Name.NamespaceName))
        {
            var prefix = e.GetPrefixOfNamespace(e.Name.Namespace);
            text.Append(prefix is null ? " xmlns='" : $" xmlns:{prefix}='").Append(Escape(e.Name.NamespaceName, attribute: true)).Append('\'');
        }
        var children = e.Nodes().Where(n => n is XElement || (n is XText t && t.Value.Trim().Length > 0)).ToList();
        if (children.Count == 0)
        {
            text.Append("/>");
            return;
        }
        text.Append('>');
        foreach (var node in children)
        {
            if (node is XElement child) Write(child, text, declared);
            else text.Append(Escape(((XText)node).Value.Trim(), attribute: false));
        }
        text.Append("</").Append(name).Append('>');
    }

    private static string QName(XElement context, XName name)
    {
        if (name.Namespace == XNamespace.None) return name.LocalName;
        var prefix = context.GetPrefixOfNamespace(name.Namespace);
        return prefix is null ? name.LocalName : prefix + ":" + name.LocalName;
    }

    private static string Escape(string value, bool attribute)
    {
        var s = value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        return attribute ? s.Replace("'", "&apos;", StringComparison.Ordinal).Replace("\n", "&#10;", StringComparison.Ordinal).Replace("\r", "&#13;", StringComparison.Ordinal) : s;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
