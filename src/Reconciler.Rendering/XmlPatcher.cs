using System.Xml.XPath;

namespace Reconciler.Rendering;

/// <summary>Applies a spec's <see cref="XmlPatch"/> list, in order, to a rendered document.</summary>
internal static class XmlPatcher
{
    public static void Apply(XDocument document, IReadOnlyList<XmlPatch> patches)
    {
        for (var i = 0; i < patches.Count; i++)
        {
            ApplyOne(document, patches[i], i);
        }
    }

    private static void ApplyOne(XDocument document, XmlPatch patch, int index)
    {
        var field = $"spec.xml[{index}]";
        string Describe() => $"xml patch #{index} ({field}, xpath '{patch.XPath}')";
        RenderException Fail(string why, Exception? inner = null) => new($"{Describe()}: {why}", inner) { FieldPath = field };

        var operations = (patch.Add is not null ? 1 : 0) + (patch.Set is not null ? 1 : 0) + (patch.Remove ? 1 : 0);
        if (operations != 1) throw Fail("exactly one of add, set or remove is required");
        if (string.IsNullOrWhiteSpace(patch.XPath)) throw Fail("the xpath is empty");

        object result;
        try
        {
            result = document.XPathEvaluate(patch.XPath);
        }
        catch (XPathException e)
        {
            throw Fail($"invalid XPath: {e.Message}", e);
        }
        if (result is not IEnumerable<object> selection)
        {
            throw Fail($"the XPath evaluates to a value ({Convert.ToString(result, System.Globalization.CultureInfo.InvariantCulture)}), not to nodes");
        }
        var nodes = selection.ToList();
        if (nodes.Count == 0) throw Fail("selected nothing in the rendered XML");

        if (patch.Add is not null)
        {
            foreach (var node in nodes)
            {
                if (node is not XElement element) throw Fail($"add needs elements, but the XPath selected {Kind(node)}");
                element.Add(ParseFragment(patch.Add, Fail));
            }
        }
        else if (patch.Set is not null)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case XAttribute attribute: attribute.Value = patch.Set; break;
                    case XElement element: element.Value = patch.Set; break;
                    case XText text: text.Value = patch.Set; break;
                    default: throw Fail($"set needs attributes or elements, but the XPath selected {Kind(node)}");
                }
            }
        }
        else
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case XAttribute attribute: attribute.Remove(); break;
                    case XElement { Parent: null }: throw Fail("remove cannot remove the root element");
                    case XNode child: child.Remove(); break;
                    default: throw Fail($"remove cannot remove {Kind(node)}");
                }
            }
        }
    }

    /// <summary>Parses an XML fragment (one or more elements and text) without wrapping it in a string.</summary>
    private static List<XNode> ParseFragment(string fragment, Func<string, Exception?, RenderException> fail)
    {
        var settings = new XmlReaderSettings
        {
            ConformanceLevel = ConformanceLevel.Fragment,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = false,
        };
        var nodes = new List<XNode>();
        try
        {
            using var reader = XmlReader.Create(new StringReader(fragment), settings);
            reader.MoveToContent();
            while (!reader.EOF)
            {
                if (reader.NodeType is XmlNodeType.Whitespace)
                {
                    reader.Read();
                    continue;
                }
                nodes.Add(XNode.ReadFrom(reader));
            }
        }
        catch (XmlException e)
        {
            throw fail($"the add fragment is not well-formed XML: {e.Message}", e);
        }
        if (nodes.Count == 0) throw fail("the add fragment is empty", null);
        return nodes;
    }

    private static string Kind(object node) => node switch
    {
        XAttribute a => $"the attribute '{a.Name.LocalName}'",
        XElement e => $"the element '{e.Name.LocalName}'",
        XText => "a text node",
        XComment => "a comment",
        _ => node.GetType().Name,
    };
}
