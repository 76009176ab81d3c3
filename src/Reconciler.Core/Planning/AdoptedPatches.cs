using System.Xml;
using System.Xml.Linq;
using System.Xml.XPath;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Which of a spec's <c>xml:</c> patches a domain Reconciler does not own already holds. An owned
/// domain records its patches in the owner metadata, so a patch the record lacks is a change; a
/// domain being adopted has no record, yet its definition may already be what the patches make
/// (a spec written by <c>reconcile import</c> carries exactly what the live definition has). Such a
/// patch is no change: adopting the domain writes the record and nothing else.
/// </summary>
/// <remarks>
/// A patch holds on the live definition when: <c>add</c> — every selected element has, for each
/// element of the fragment, a child that contains it (its attributes with the same values, and its
/// children contained likewise; libvirt adds detail of its own); <c>set</c> — the selection is not
/// empty and every selected node already has the value; <c>remove</c> — the selection is empty, or
/// each selected element is added back by a later <c>add</c> patch (the replacement of an element).
/// </remarks>
public static class AdoptedPatches
{
    /// <summary>
    /// <paramref name="live"/>'s definition with the leading patches of <paramref name="desired"/>
    /// that hold on <paramref name="liveXml"/> recorded as its own, so that the planner does not see them as changes.
    /// </summary>
    public static DomainSpec Recorded(DomainSpec desired, DomainSpec live, string liveXml)
    {
        if (desired.Xml.Count == 0 || live.Xml.Count > 0) return live;
        try
        {
            return Recorded(desired, live, XDocument.Parse(liveXml));
        }
        catch (XmlException)
        {
            return live;
        }
    }

    /// <summary><see cref="Recorded(DomainSpec, DomainSpec, string)"/> of an already loaded definition.</summary>
    public static DomainSpec Recorded(DomainSpec desired, DomainSpec live, XDocument document)
    {
        if (desired.Xml.Count == 0 || live.Xml.Count > 0) return live;
        var holding = 0;
        while (holding < desired.Xml.Count && Holds(document, desired.Xml, holding)) holding++;
        return holding == 0 ? live : live with { Xml = [.. desired.Xml.Take(holding)] };
    }

    /// <summary>Whether patch <paramref name="index"/> of <paramref name="patches"/> holds on <paramref name="live"/>.</summary>
    public static bool Holds(XDocument live, IReadOnlyList<XmlPatch> patches, int index)
    {
        var patch = patches[index];
        if (Select(live, patch.XPath) is not { } nodes) return false;
        if (patch.Add is not null)
        {
            if (nodes.Count == 0 || Fragment(patch.Add) is not { } fragment) return false;
            return nodes.All(n => n is XElement parent && fragment.All(f => parent.Elements().Any(c => Contains(c, f))));
        }
        if (patch.Set is not null)
        {
            return nodes.Count > 0 && nodes.All(n => n switch
            {
                XAttribute a => a.Value == patch.Set,
                XElement e => !e.HasElements && e.Value == patch.Set,
                _ => false,
            });
        }
        if (!patch.Remove) return false;
        // Removed then added back: each selected element is contained in a later add's fragment at its parent.
        return nodes.All(n => n is XElement e && e.Parent is { } parent && patches.Skip(index + 1).Any(later =>
            later.Add is not null && Select(live, later.XPath) is { } targets && targets.Contains(parent)
            && Fragment(later.Add) is { } fragment && fragment.Any(f => Contains(e, f))));
    }

    /// <summary>True when <paramref name="live"/> has everything <paramref name="wanted"/> has (names, attributes, text, children).</summary>
    private static bool Contains(XElement live, XElement wanted)
    {
        if (live.Name != wanted.Name) return false;
        foreach (var a in wanted.Attributes().Where(a => !a.IsNamespaceDeclaration))
        {
            if ((string?)live.Attribute(a.Name) != a.Value) return false;
        }
        if (!wanted.HasElements) return wanted.Value.Trim().Length == 0 || live.Value.Trim() == wanted.Value.Trim();
        return wanted.Elements().All(w => live.Elements(w.Name).Any(l => Contains(l, w)));
    }

    private static List<object>? Select(XDocument document, string xpath)
    {
        try
        {
            return document.XPathEvaluate(xpath) is IEnumerable<object> nodes ? [.. nodes] : null;
        }
        catch (XPathException)
        {
            return null;
        }
    }

    private static List<XElement>? Fragment(string text)
    {
        try
        {
            var settings = new XmlReaderSettings { ConformanceLevel = ConformanceLevel.Fragment, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(text), settings);
            var elements = new List<XElement>();
            reader.MoveToContent();
            while (!reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element) elements.Add((XElement)XNode.ReadFrom(reader));
                else reader.Read();
            }
            return elements.Count > 0 ? elements : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }
}
