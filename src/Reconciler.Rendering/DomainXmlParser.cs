namespace Reconciler.Rendering;

/// <summary>A domain definition read back from libvirt.</summary>
/// <param name="Name">The libvirt domain name.</param>
/// <param name="Uuid">The UUID, when the XML has one.</param>
/// <param name="DomainType">The domain type (<c>kvm</c>, <c>qemu</c>, <c>test</c>, …).</param>
/// <param name="Spec">The fields the spec owns, normalised into the model (see <see cref="DomainXmlParser"/>).</param>
/// <param name="Owner">Our ownership metadata, or null for a foreign domain.</param>
public sealed record ParsedDomain(string Name, string? Uuid, string DomainType, DomainSpec Spec, OwnerRecord? Owner);

/// <summary>
/// Reads libvirt domain XML (inactive or live, as <c>virDomainGetXMLDesc</c> returns it) back into
/// the same <see cref="DomainSpec"/> model the specs use, keeping only the fields a spec owns and
/// normalising units, so that <c>DomainFields.Diff(desired, parsed.Spec)</c> is empty when nothing
/// changed. Everything libvirt adds on its own (controllers, addresses, emulator, seclabels, video,
/// input, …) is ignored.
/// </summary>
/// <remarks>
/// Normalisation: memory in any libvirt unit becomes bytes; <c>&lt;memory&gt;</c> is the maximum and
/// <c>&lt;currentMemory&gt;</c> the boot memory (<see cref="DomainSpec.MaxMemoryBytes"/> is null when
/// they are equal); <c>&lt;vcpu current&gt;</c> is <see cref="DomainSpec.Vcpus"/> and the element text the
/// maximum (null when equal). The machine is kept as libvirt wrote it (<c>pc-q35-7.2</c>; the comparer
/// knows the aliases). The CPU mode is kept as written even when libvirt expanded <c>host-model</c>
/// into a model; the model is read only for <c>custom</c>. Interfaces other than network or bridge,
/// and disks other than file, block, dir or volume, keep their place with no source.
/// Power state, autostart and node are not part of the XML: the spec has <see cref="PowerState.Stopped"/>,
/// false and null; the caller fills them from the live state when it needs them.
/// </remarks>
public static partial class DomainXmlParser
{
    /// <summary>Parses domain XML; only the elements <see cref="Parse(XDocument)"/> reads are loaded (<see cref="LoadRead(string)"/>).</summary>
    /// <exception cref="DomainParseException">The XML is malformed, is not a domain, or holds a value that cannot be read.</exception>
    public static ParsedDomain Parse(string xml) => Parse(LoadRead(xml));

    /// <summary>Parses domain XML given as UTF-8 bytes (as libvirt returns it), the same way as <see cref="Parse(string)"/>.</summary>
    /// <exception cref="DomainParseException">The XML is malformed, is not a domain, or holds a value that cannot be read.</exception>
    public static ParsedDomain Parse(ReadOnlySpan<byte> utf8) => Parse(LoadRead(utf8));

    /// <summary>
    /// <see cref="LoadRead(string)"/> of UTF-8 bytes: built straight from the bytes (<see cref="Utf8Xml"/>)
    /// when the text has the shape libvirt writes, otherwise decoded and read with XmlReader.
    /// </summary>
    /// <exception cref="DomainParseException">The XML is malformed.</exception>
    internal static XDocument LoadRead(ReadOnlySpan<byte> utf8) => Utf8Xml.TryLoad(utf8, ReadFilter) ?? LoadRead(Encoding.UTF8.GetString(utf8));

    /// <summary><see cref="Load(string)"/> of UTF-8 bytes, built straight from them when <see cref="Utf8Xml"/> can.</summary>
    /// <exception cref="DomainParseException">The XML is malformed.</exception>
    public static XDocument Load(ReadOnlySpan<byte> utf8) => Utf8Xml.TryLoad(utf8) ?? Load(Encoding.UTF8.GetString(utf8));

    /// <summary>
    /// The children of <c>&lt;domain&gt;</c> that <see cref="Parse(XDocument)"/> reads. A new element
    /// read there must be added here (RoundTripTests compare this load with the whole document).
    /// </summary>
    private static readonly HashSet<string> ReadElements = new(
        ["name", "uuid", "metadata", .. BoundFields.All.SelectMany(f => f.Elements), .. DeclaredFields.Domain.TopElements],
        StringComparer.Ordinal);

    /// <summary>The children of <c>&lt;devices&gt;</c> that <see cref="Parse(XDocument)"/> reads (same rule).</summary>
    private static readonly HashSet<string> ReadDevices = new(["disk", "interface", "graphics", .. BoundFields.All.SelectMany(f => f.Devices)], StringComparer.Ordinal);

    /// <summary><see cref="LoadRead(string)"/>'s choice of elements, for <see cref="Utf8Xml"/>.</summary>
    internal static readonly XmlLoadFilter ReadFilter = new("domain", ReadElements, "devices", ReadDevices);

    /// <summary>Parses an already loaded domain XML document.</summary>
    /// <exception cref="DomainParseException">The document is not a domain or holds a value that cannot be read.</exception>
    public static ParsedDomain Parse(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var domain = document.Root;
        if (domain is null || domain.Name != "domain")
        {
            throw new DomainParseException($"expected a <domain> root element, found <{domain?.Name.LocalName ?? "nothing"}>");
        }
        var name = domain.Element("name")?.Value.Trim();
        if (string.IsNullOrEmpty(name)) throw new DomainParseException("the domain XML has no <name>");
        var uuid = domain.Element("uuid")?.Value.Trim();
        var domainType = (string?)domain.Attribute("type") ?? throw new DomainParseException($"domain '{name}': <domain> has no type attribute");

        try
        {
            var ownerElement = domain.Element("metadata")?.Element(OwnerMetadata.Owner);
            var owner = ParseOwner(ownerElement);
            var devices = domain.Element("devices");
            var spec = new DomainSpec(
                Meta: new ResourceMeta(name, new Dictionary<string, string>(StringComparer.Ordinal), SpecOrigin.InMemory("live:" + name)),
                Node: null,
                State: PowerState.Stopped,
                Autostart: false,
                Vcpus: 1,
                MaxVcpus: null,
                MemoryBytes: 0,
                MaxMemoryBytes: null,
                Machine: "",
                Firmware: Firmware.Bios,
                SecureBoot: false,
                Cpu: new CpuSpec(null),
                Disks: devices?.Elements("disk").Select(DiskFields.Read).ToList() ?? [],
                Interfaces: devices?.Elements("interface").Select(InterfaceFields.Read).ToList() ?? [],
                Graphics: GraphicsFields.Read(devices),
                Xml: [],
                Protect: owner?.Protect ?? false)
            {
                Declared = DeclaredFields.Domain.Parse(domain),
                NvramPath = domain.Element("os")?.Element("nvram")?.Value.Trim() is { Length: > 0 } nvram ? nvram : null,
            };
            foreach (var field in BoundFields.All) spec = field.Read(domain, spec);
            return new ParsedDomain(name, string.IsNullOrEmpty(uuid) ? null : uuid, domainType, spec, owner);
        }
        catch (DomainParseException e)
        {
            throw new DomainParseException($"domain '{name}': {e.Message}", e);
        }
        catch (LiveXmlException e)
        {
            throw new DomainParseException($"domain '{name}': {e.Message}", e);
        }
    }

    private static OwnerRecord? ParseOwner(XElement? owner)
    {
        if (owner is null) return null;
        string Attr(string attribute) => (string?)owner.Attribute(attribute) ?? "";
        return new OwnerRecord(Attr(OwnerMetadata.NameAttr), Attr(OwnerMetadata.SpecHashAttr), Attr(OwnerMetadata.SourceAttr),
            Attr(OwnerMetadata.RevisionAttr), ParseBool(Attr(OwnerMetadata.ProtectAttr)),
            OwnerPower.Parse((string?)owner.Attribute(OwnerMetadata.StateAttr)),
            (string?)owner.Attribute(OwnerMetadata.AutostartAttr) is { } autostart ? ParseBool(autostart) : null);
    }

    /// <summary>A libvirt scaled integer (<c>unit</c> attribute, default KiB) in bytes.</summary>
    internal static ulong ReadBytes(XElement element)
    {
        try
        {
            return LibvirtUnits.ReadBytes(element);
        }
        catch (LiveXmlException e)
        {
            throw new DomainParseException(e.Message, e);
        }
    }

    private static int? ReadInt(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static bool ParseBool(string? text) => text is "true" or "yes" or "1";
}
