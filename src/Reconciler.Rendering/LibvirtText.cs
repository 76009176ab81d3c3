namespace Reconciler.Rendering;

/// <summary>
/// Domain XML text in the style <c>virsh dumpxml</c> prints: attributes in single quotes, two-space
/// indent, no declaration, so that what <c>reconcile render</c> shows compares line by line with
/// libvirt's own output. Only the quoting and spacing differ from <see cref="DomainRenderer.ToXmlText"/>:
/// both parse to the same document (a CR in text or an attribute stays a character reference).
/// </summary>
public static class LibvirtText
{
    /// <summary>The document of <paramref name="xml"/> (as rendered) written in libvirt's style.</summary>
    public static string Of(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var document = XDocument.Parse(xml, LoadOptions.PreserveWhitespace);
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using (var writer = new XmlTextWriter(text) { Formatting = Formatting.None, QuoteChar = '\'' })
        {
            foreach (var node in document.Nodes()) Write(writer, node, 0);
        }
        return text + "\n";
    }

    /// <summary>
    /// XmlTextWriter writes these raw, and a parser normalises them (a CR to LF; a tab or line break
    /// in an attribute to a space): each becomes a character reference.
    /// </summary>
    private static void WriteEscaped(XmlTextWriter w, string value, string asReferences)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (!asReferences.Contains(value[i], StringComparison.Ordinal)) continue;
            w.WriteString(value[start..i]);
            w.WriteCharEntity(value[i]);
            start = i + 1;
        }
        w.WriteString(value[start..]);
    }

    private static void Write(XmlTextWriter w, XNode node, int depth)
    {
        switch (node)
        {
            case XElement e:
                w.WriteStartElement(e.GetPrefixOfNamespace(e.Name.Namespace), e.Name.LocalName, e.Name.NamespaceName);
                foreach (var a in e.Attributes())
                {
                    if (a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.None) w.WriteAttributeString("xmlns", XNamespace.Xmlns.NamespaceName, a.Value);
                    else if (a.IsNamespaceDeclaration) w.WriteAttributeString("xmlns", a.Name.LocalName, XNamespace.Xmlns.NamespaceName, a.Value);
                    else
                    {
                        w.WriteStartAttribute(e.GetPrefixOfNamespace(a.Name.Namespace), a.Name.LocalName, a.Name.NamespaceName);
                        WriteEscaped(w, a.Value, "\t\n\r");
                        w.WriteEndAttribute();
                    }
                }
                var children = e.Nodes().Where(n => n is not XText { Value: var v } || !string.IsNullOrWhiteSpace(v) || e.Nodes().All(c => c is XText)).ToList();
                var elementsOnly = children.Count > 0 && children.All(n => n is XElement or XComment);
                foreach (var child in children)
                {
                    if (elementsOnly) w.WriteRaw("\n" + new string(' ', 2 * (depth + 1)));
                    Write(w, child, depth + 1);
                }
                if (elementsOnly) w.WriteRaw("\n" + new string(' ', 2 * depth));
                if (children.Count == 0) w.WriteEndElement();
                else w.WriteFullEndElement();
                break;
            case XText t:
                WriteEscaped(w, t.Value, "\r");
                break;
            case XComment c:
                w.WriteComment(c.Value);
                break;
            case XProcessingInstruction p:
                w.WriteProcessingInstruction(p.Target, p.Data);
                break;
        }
    }
}
