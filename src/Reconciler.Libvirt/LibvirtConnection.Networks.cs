namespace Reconciler.Libvirt;

public sealed partial class LibvirtConnection
{
    /// <summary>All networks, active and inactive (<c>virConnectListAllNetworks</c>).</summary>
    /// <returns>The networks; the caller disposes each.</returns>
    public IReadOnlyList<LibvirtNetwork> ListAllNetworks() =>
        Interop.ListAll(NativeMethods.virConnectListAllNetworks, Handle, 0, "virConnectListAllNetworks", (NetworkHandle h) => new LibvirtNetwork(this, h));

    /// <summary>The network with this name (<c>virNetworkLookupByName</c>), or null if there is none.</summary>
    /// <param name="name">Network name.</param>
    /// <returns>The network or null.</returns>
    public LibvirtNetwork? LookupNetworkByName(string name) =>
        Interop.Lookup(NativeMethods.virNetworkLookupByName, Handle, name, "virNetworkLookupByName", h => new LibvirtNetwork(this, h));

    /// <summary>The network with this UUID (<c>virNetworkLookupByUUIDString</c>), or null if there is none.</summary>
    /// <param name="uuid">UUID in string form.</param>
    /// <returns>The network or null.</returns>
    public LibvirtNetwork? LookupNetworkByUuid(string uuid) =>
        Interop.Lookup(NativeMethods.virNetworkLookupByUUIDString, Handle, uuid, "virNetworkLookupByUUIDString", h => new LibvirtNetwork(this, h));

    /// <summary>Defines (or redefines) a persistent network (<c>virNetworkDefineXMLFlags</c>); it is not started.</summary>
    /// <param name="xml">The network XML.</param>
    /// <param name="validate">Validate against libvirt's RNG schema first (<c>VIR_NETWORK_DEFINE_VALIDATE</c>).</param>
    /// <returns>The defined network.</returns>
    /// <exception cref="LibvirtInvalidXmlException">The XML is malformed, schema-invalid or unsupported.</exception>
    public LibvirtNetwork DefineNetwork(string xml, bool validate = true) =>
        Interop.Define(NativeMethods.virNetworkDefineXMLFlags, Handle, xml, validate ? NativeMethods.VIR_NETWORK_DEFINE_VALIDATE : 0u, "virNetworkDefineXMLFlags", h => new LibvirtNetwork(this, h));
}
