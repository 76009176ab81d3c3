namespace Reconciler.Rendering;

/// <summary>
/// Renders a <see cref="DomainSpec"/> into libvirt domain XML, with the defaults virt-install uses
/// (q35, virtio devices, guest-agent channel, virtio RNG, memballoon, pty console, spare PCIe root
/// ports), our ownership metadata, and finally the spec's XML patches.
/// Built only with <see cref="System.Xml.Linq"/>: user text is always escaped, never spliced.
/// </summary>
/// <remarks>
/// For <c>test</c> (libvirt's test driver) the same XML is rendered: libvirt 9.0's test driver accepts
/// every device used here (UEFI autoselection, spice, RNG, channels, root ports), so nothing is
/// dropped. It is laxer than QEMU (it took a root port with index 0 that QEMU refuses), so its
/// acceptance proves little; the tests also validate against libvirt's schema and qemu:///system.
/// Quirks the rest of the pipeline must know: libvirt regroups disks by bus and sorts each bus by
/// target when it parses a definition; it writes a CR in the description raw, so it reads back as LF;
/// and a running domain's <c>&lt;currentMemory&gt;</c> is the balloon's actual size.
/// </remarks>
public static partial class DomainRenderer
{
    /// <summary>Extra empty PCIe root ports left for hotplug on q35, beyond those the rendered devices use, unless spec.devices says otherwise.</summary>
    public const int SparePcieRootPorts = DeviceToggleFields.DefaultSpareRootPorts;

    /// <summary>Renders <paramref name="spec"/> into indented domain XML text (no XML declaration).</summary>
    /// <exception cref="RenderException">The spec cannot be rendered (see the message).</exception>
    public static string Render(DomainSpec spec, RenderOptions options) => ToXmlText(RenderDocument(spec, options));

    /// <summary>Renders <paramref name="spec"/> into a domain XML document, patches applied.</summary>
    /// <exception cref="RenderException">The spec cannot be rendered (see the message).</exception>
    public static XDocument RenderDocument(DomainSpec spec, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        CheckText(spec, options);

        var disks = ResolveDisks(spec, options.Live);
        var macs = ResolveMacs(spec, options.Live);

        var domain = new XElement("domain", new XAttribute("type", options.DomainType),
            new XElement("name", spec.Name));
        if (options.Uuid is not null) domain.Add(new XElement("uuid", options.Uuid));
        domain.Add(
            new XElement("metadata", RenderOwner(spec, options.Owner)),
            new XElement("features", new XElement("acpi"), new XElement("apic")),
            new XElement("clock", new XAttribute("offset", "utc")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"));

        var devices = new XElement("devices");
        for (var i = 0; i < spec.Disks.Count; i++) devices.Add(RenderDisk(spec.Disks[i], disks[i], i));
        for (var i = 0; i < spec.Interfaces.Count; i++) devices.Add(RenderInterface(spec.Interfaces[i], macs[i], i));
        if (spec.Graphics.Type == GraphicsType.Spice)
        {
            devices.Add(new XElement("channel", new XAttribute("type", "spicevmc"),
                new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", "com.redhat.spice.0"))));
        }
        if (spec.Graphics.Type != GraphicsType.None)
        {
            GraphicsFields.Render(devices, spec.Graphics);
            devices.Add(new XElement("video", new XElement("model", new XAttribute("type", "virtio"))));
        }
        domain.Add(devices);
        // After the devices: the default devices (spec.devices) go among them, and the root ports count them.
        foreach (var field in BoundFields.All) field.Render(domain, spec);
        DeclaredFields.Domain.Render(domain, spec.Declared);

        var document = new XDocument(domain);
        XmlPatcher.Apply(document, spec.Xml);
        return document;
    }

    /// <summary>The text form used by <see cref="Render"/>: two-space indent, LF, no declaration, newlines in text kept exactly.</summary>
    public static string ToXmlText(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var settings = new XmlWriterSettings
        {
            OmitXmlDeclaration = true,
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Entitize,
            Encoding = new UTF8Encoding(false),
        };
        var text = new StringBuilder();
        try
        {
            using (var writer = XmlWriter.Create(text, settings))
            {
                document.Save(writer);
            }
        }
        catch (ArgumentException e)
        {
            throw new RenderException($"the rendered XML cannot be written: {e.Message}", e);
        }
        return text.Append('\n').ToString();
    }

    private static XElement RenderOwner(DomainSpec spec, OwnerRecord owner)
    {
        var element = new XElement(OwnerMetadata.Owner,
            new XAttribute(XNamespace.Xmlns + OwnerRecord.Prefix, OwnerRecord.Namespace),
            new XAttribute(OwnerMetadata.NameAttr, owner.SpecName),
            new XAttribute(OwnerMetadata.SpecHashAttr, owner.SpecHash),
            new XAttribute(OwnerMetadata.SourceAttr, owner.Source),
            new XAttribute(OwnerMetadata.RevisionAttr, owner.Revision),
            new XAttribute(OwnerMetadata.ProtectAttr, spec.Protect ? "true" : "false"),
            new XAttribute(OwnerMetadata.StateAttr, OwnerPower.Text(spec.State)),
            new XAttribute(OwnerMetadata.AutostartAttr, spec.Autostart ? "true" : "false"));
        return element;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Rejects text XML 1.0 cannot carry, naming the field, before anything is built.</summary>
    private static void CheckText(DomainSpec spec, RenderOptions options)
    {
        void Check(string? value, string field)
        {
            if (value is null) return;
            try
            {
                XmlConvert.VerifyXmlChars(value);
            }
            catch (XmlException)
            {
                var bad = value.First(c => !XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c));
                throw new RenderException($"{field}: contains U+{(int)bad:X4}, a character XML cannot carry") { FieldPath = field };
            }
        }

        Check(options.DomainType, "domainType");
        Check(options.Uuid, "uuid");
        Check(options.Owner.SpecName, "owner.name");
        Check(options.Owner.SpecHash, "owner.specHash");
        Check(options.Owner.Source, "owner.source");
        Check(options.Owner.Revision, "owner.revision");
        Check(spec.Name, "metadata.name");
        Check(spec.Description, "spec.description");
        Check(spec.Machine, "spec.machine");
        Check(spec.Arch, "spec.arch");
        Check(spec.Cpu.Mode, "spec.cpu.mode");
        Check(spec.Cpu.Model, "spec.cpu.model");
        Check(spec.Graphics.Listen, "spec.graphics.listen");
        Check(spec.Console?.Log, "spec.console.log");
        foreach (var (path, value) in spec.Declared.All) Check(value, path);
        foreach (var (key, value) in spec.Meta.Labels)
        {
            Check(key, "metadata.labels");
            Check(value, $"metadata.labels.{key}");
        }
        if (spec.Placement is { } placement)
        {
            Check(placement.Node, "spec.placement.node");
            Check(placement.AntiAffinity, "spec.placement.antiAffinity");
            foreach (var (key, value) in placement.NodeSelector)
            {
                Check(key, "spec.placement.nodeSelector");
                Check(value, $"spec.placement.nodeSelector.{key}");
            }
        }
        for (var i = 0; i < spec.Disks.Count; i++)
        {
            var d = spec.Disks[i];
            var p = $"spec.disks[{i}].";
            Check(d.Path, p + "path");
            Check(d.Volume, p + "volume");
            Check(d.Pool, p + "pool");
            Check(d.Bus, p + "bus");
            Check(d.Format, p + "format");
            Check(d.Target, p + "target");
            Check(d.Serial, p + "serial");
            Check(d.Network?.Name, p + "network.name");
            foreach (var host in d.Network?.Hosts ?? []) Check(host, p + "network.hosts");
        }
        for (var i = 0; i < spec.Interfaces.Count; i++)
        {
            var n = spec.Interfaces[i];
            var p = $"spec.interfaces[{i}].";
            Check(n.Network, p + "network");
            Check(n.Bridge, p + "bridge");
            Check(n.Model, p + "model");
            Check(n.Mac, p + "mac");
            Check(n.Direct?.Dev, p + "direct.dev");
            Check(n.Direct?.Mode, p + "direct.mode");
            Check(n.Hostdev, p + "hostdev");
            Check(n.Virtualport, p + "virtualport");
            Check(n.LinkState, p + "linkState");
        }
        for (var i = 0; i < (spec.Filesystems?.Count ?? 0); i++)
        {
            Check(spec.Filesystems![i].Source, $"spec.filesystems[{i}].source");
            Check(spec.Filesystems![i].Target, $"spec.filesystems[{i}].target");
        }
        for (var i = 0; i < spec.Xml.Count; i++)
        {
            var x = spec.Xml[i];
            Check(x.XPath, $"spec.xml[{i}].xpath");
            Check(x.Add, $"spec.xml[{i}].add");
            Check(x.Set, $"spec.xml[{i}].set");
        }
    }
}
