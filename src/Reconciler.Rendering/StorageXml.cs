namespace Reconciler.Rendering;

/// <summary>Storage pool and volume XML: rendering what Reconciler defines, reading back what it compares.</summary>
public static class StorageXml
{
    /// <summary>A directory pool.</summary>
    public static string Pool(StoragePoolSpec spec, string? uuid = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var pool = new XElement("pool", new XAttribute("type", "dir"), new XElement("name", spec.Name));
        if (uuid is not null) pool.Add(new XElement("uuid", uuid));
        pool.Add(new XElement("target", new XElement("path", spec.Path.Length > 1 ? spec.Path.TrimEnd('/') : spec.Path)));
        return DomainRenderer.ToXmlText(new XDocument(pool));
    }

    /// <summary>A volume: sparse (allocation 0), with an optional backing file.</summary>
    /// <param name="name">Volume name.</param>
    /// <param name="capacity">Capacity in bytes.</param>
    /// <param name="format">qcow2, raw, iso…</param>
    /// <param name="backingPath">Path of the backing file, or null.</param>
    /// <param name="backingFormat">Format of the backing file.</param>
    public static string Volume(string name, ulong capacity, string format, string? backingPath = null, string? backingFormat = null)
    {
        var volume = new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), capacity.ToString(CultureInfo.InvariantCulture)),
            new XElement("allocation", new XAttribute("unit", "bytes"), "0"),
            new XElement("target", new XElement("format", new XAttribute("type", format))));
        if (backingPath is not null)
        {
            volume.Add(new XElement("backingStore", new XElement("path", backingPath),
                new XElement("format", new XAttribute("type", backingFormat ?? "raw"))));
        }
        return DomainRenderer.ToXmlText(new XDocument(volume));
    }

    /// <summary>The type and target path of a pool's XML.</summary>
    /// <exception cref="RenderException">Malformed XML.</exception>
    public static (string Type, string? Path) ParsePool(string xml)
    {
        var root = Load(xml, "pool");
        return ((string?)root.Attribute("type") ?? "", root.Element("target")?.Element("path")?.Value.Trim());
    }

    /// <summary>Capacity, format and backing path of a volume's XML.</summary>
    /// <exception cref="RenderException">Malformed XML.</exception>
    public static (ulong Capacity, string? Format, string? Backing, string? Path) ParseVolume(string xml)
    {
        var root = Load(xml, "volume");
        var capacity = root.Element("capacity") is { } c ? DomainXmlParser.ReadBytes(c) : 0;
        var target = root.Element("target");
        return (capacity, (string?)target?.Element("format")?.Attribute("type"),
            root.Element("backingStore")?.Element("path")?.Value.Trim(), target?.Element("path")?.Value.Trim());
    }

    private static XElement Load(string xml, string name)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            var root = XDocument.Load(reader).Root;
            if (root is null || root.Name != name) throw new RenderException($"expected <{name}> XML");
            return root;
        }
        catch (XmlException e)
        {
            throw new RenderException($"{name} XML is malformed: {e.Message}", e);
        }
    }
}
