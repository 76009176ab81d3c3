namespace Reconciler.Rendering;

/// <summary>Storage pool and volume XML: rendering what Reconciler defines, reading back what it compares.</summary>
public static class StorageXml
{
    /// <summary>
    /// A pool of any type: dir (<c>&lt;target&gt;</c> only), logical (the devices, the volume group,
    /// format lvm2, target /dev/VG), netfs (host, export dir, format; target the mount point), rbd
    /// (monitors, Ceph pool, cephx auth; no target) and iscsi (portal host, target IQN as the source
    /// device; target /dev/disk/by-path). What <see cref="ParsePoolSource"/> reads back.
    /// </summary>
    public static string Pool(StoragePoolSpec spec, string? uuid = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var pool = new XElement("pool", new XAttribute("type", PoolTypes.Xml(spec.Type)), new XElement("name", spec.Name));
        if (uuid is not null) pool.Add(new XElement("uuid", uuid));
        var src = spec.Source;
        switch (spec.Type)
        {
            case StoragePoolType.Logical when src is not null:
            {
                var vg = src.Name ?? spec.Name;
                pool.Add(new XElement("source", src.Devices.Select(d => new XElement("device", new XAttribute("path", d))),
                    new XElement("name", vg), new XElement("format", new XAttribute("type", "lvm2"))));
                pool.Add(new XElement("target", new XElement("path", "/dev/" + vg)));
                break;
            }
            case StoragePoolType.Netfs when src is not null:
                pool.Add(new XElement("source", HostElement(src.Host ?? ""), new XElement("dir", new XAttribute("path", src.Export ?? "")),
                    new XElement("format", new XAttribute("type", src.Format ?? "auto"))));
                pool.Add(Target(spec.Path));
                break;
            case StoragePoolType.Rbd when src is not null:
            {
                var source = new XElement("source", src.MonitorHosts.Select(HostElement), new XElement("name", src.Name ?? spec.Name));
                if (src.Auth is { } auth)
                {
                    source.Add(new XElement("auth", new XAttribute("type", "ceph"), new XAttribute("username", auth.Username),
                        new XElement("secret", new XAttribute("uuid", auth.SecretUuid))));
                }
                pool.Add(source);
                break;
            }
            case StoragePoolType.Iscsi when src is not null:
                pool.Add(new XElement("source", HostElement(src.Host ?? ""), new XElement("device", new XAttribute("path", src.Iqn ?? ""))));
                pool.Add(new XElement("target", new XElement("path", "/dev/disk/by-path")));
                break;
            default:
                pool.Add(Target(spec.Path));
                break;
        }
        return DomainRenderer.ToXmlText(new XDocument(pool));
    }

    private static XElement Target(string path) => new("target", new XElement("path", path.Length > 1 ? path.TrimEnd('/') : path));

    /// <summary><c>&lt;host name [port]/&gt;</c> from <c>host</c> or <c>host:port</c> (an IPv6 address in brackets keeps its colons).</summary>
    private static XElement HostElement(string text)
    {
        var (name, port) = PoolSource.SplitHostPort(text);
        return new XElement("host", new XAttribute("name", name), port is null ? null : new XAttribute("port", port));
    }

    private static string JoinHostPort(XElement host)
    {
        var name = (string?)host.Attribute("name") ?? "";
        var port = (string?)host.Attribute("port");
        if (port is null) return name;
        return name.Contains(':', StringComparison.Ordinal) ? $"[{name}]:{port}" : $"{name}:{port}";
    }

    /// <summary>
    /// The source of a pool's XML in the model (what <see cref="Pool"/> renders from a spec), or null
    /// for a dir pool or a type Reconciler does not manage.
    /// </summary>
    /// <exception cref="RenderException">Malformed XML.</exception>
    public static PoolSource? ParsePoolSource(string xml)
    {
        var root = Load(xml, "pool");
        var source = root.Element("source");
        if (source is null) return null;
        var name = source.Element("name")?.Value.Trim();
        return PoolTypes.Parse((string?)root.Attribute("type")) switch
        {
            StoragePoolType.Logical => new PoolSource(source.Elements("device").Select(d => (string?)d.Attribute("path") ?? "").ToList(), name),
            StoragePoolType.Netfs => new PoolSource([], Host: source.Element("host") is { } h ? JoinHostPort(h) : null,
                Export: (string?)source.Element("dir")?.Attribute("path"), Format: (string?)source.Element("format")?.Attribute("type") ?? "auto"),
            StoragePoolType.Rbd => new PoolSource([], name, Hosts: source.Elements("host").Select(JoinHostPort).ToList(),
                Auth: source.Element("auth") is { } a ? new PoolAuth((string?)a.Attribute("username") ?? "", (string?)a.Element("secret")?.Attribute("uuid") ?? "") : null),
            StoragePoolType.Iscsi => new PoolSource([], Host: source.Element("host") is { } h ? JoinHostPort(h) : null,
                Iqn: (string?)source.Element("device")?.Attribute("path")),
            _ => null,
        };
    }

    /// <summary>A volume: sparse (allocation 0), with an optional backing file.</summary>
    /// <param name="name">Volume name.</param>
    /// <param name="capacity">Capacity in bytes.</param>
    /// <param name="format">qcow2, raw, iso…</param>
    /// <param name="backingPath">Path of the backing file, or null.</param>
    /// <param name="backingFormat">Format of the backing file.</param>
    /// <param name="allocated">Allocate the whole capacity: a logical pool makes a sparse volume an LVM snapshot of nothing, so its volumes are allocated fully.</param>
    public static string Volume(string name, ulong capacity, string format, string? backingPath = null, string? backingFormat = null, bool allocated = false)
    {
        var volume = new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), capacity.ToString(CultureInfo.InvariantCulture)),
            new XElement("allocation", new XAttribute("unit", "bytes"), allocated ? capacity.ToString(CultureInfo.InvariantCulture) : "0"),
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
