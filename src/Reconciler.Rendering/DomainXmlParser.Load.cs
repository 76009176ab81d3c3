namespace Reconciler.Rendering;

/// <summary>Loading domain XML text with XmlReader: the whole document, or only the elements the parser reads.</summary>
public static partial class DomainXmlParser
{
    /// <summary>
    /// Loads the root <c>&lt;domain&gt;</c> with its attributes and only the children (and device
    /// children) that <see cref="Parse(XDocument)"/> reads, each whole; the rest of the text is
    /// still read by the XML reader, so malformed XML fails the same way as <see cref="Load(string)"/>. About
    /// half of a libvirt definition (controllers, consoles, addresses, features, clock) is never
    /// built into a tree this way. A root other than <c>&lt;domain&gt;</c> is loaded whole.
    /// </summary>
    /// <exception cref="DomainParseException">The XML is malformed.</exception>
    internal static XDocument LoadRead(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings());
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "domain" || reader.NamespaceURI.Length != 0)
            {
                return XDocument.Load(reader, LoadOptions.None);
            }
            var root = new XElement(XName.Get(reader.LocalName));
            while (reader.MoveToNextAttribute())
            {
                if (reader.NamespaceURI != XNamespace.Xmlns.NamespaceName && reader.Name != "xmlns") root.SetAttributeValue(XName.Get(reader.LocalName, reader.NamespaceURI), reader.Value);
            }
            reader.MoveToElement();
            if (!reader.IsEmptyElement)
            {
                reader.Read();
                ReadChildren(reader, root, ReadElements, "devices");
            }
            // Whatever follows the root (comments, whitespace) is still checked for well-formedness.
            while (reader.Read())
            {
            }
            return new XDocument(root);
        }
        catch (XmlException e)
        {
            throw new DomainParseException($"domain XML is malformed (line {e.LineNumber}, column {e.LinePosition}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the content of the element the reader is inside up to and past its end tag, adding the
    /// children named in <paramref name="keep"/> to <paramref name="parent"/> whole and, for a child
    /// named <paramref name="filtered"/>, only its children named in <see cref="ReadDevices"/>.
    /// </summary>
    private static void ReadChildren(XmlReader reader, XElement parent, HashSet<string> keep, string? filtered)
    {
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
            }
            else if (reader.NamespaceURI.Length == 0 && reader.LocalName == filtered)
            {
                var child = new XElement(XName.Get(reader.LocalName));
                parent.Add(child);
                if (reader.IsEmptyElement)
                {
                    reader.Read();
                    continue;
                }
                reader.Read();
                ReadChildren(reader, child, ReadDevices, null);
            }
            else if (reader.NamespaceURI.Length == 0 && keep.Contains(reader.LocalName))
            {
                parent.Add(XNode.ReadFrom(reader));
            }
            else
            {
                reader.Skip();
            }
        }
        reader.Read();
    }

    /// <summary>This thread's name table: element and attribute names are the same few dozen in every definition.</summary>
    [ThreadStatic]
    private static NameTable? t_names;

    /// <summary>
    /// No DTDs, no resolver; names atomised in a name table kept per thread (a reader's own table
    /// is about a fifth of what reading one definition allocates; a NameTable is not thread-safe).
    /// </summary>
    private static XmlReaderSettings ReaderSettings() =>
        new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, NameTable = t_names ??= new NameTable() };

    /// <summary>Loads domain XML into a document (no DTDs, no resolver) for <see cref="Parse(XDocument)"/> and other readers of the same text.</summary>
    /// <exception cref="DomainParseException">The XML is malformed.</exception>
    public static XDocument Load(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings());
            // No line info: nothing reads it (errors come from XmlException), and it costs an annotation per node.
            document = XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new DomainParseException($"domain XML is malformed (line {e.LineNumber}, column {e.LinePosition}): {e.Message}", e);
        }
        return document;
    }
}
