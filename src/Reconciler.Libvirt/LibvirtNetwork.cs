namespace Reconciler.Libvirt;

/// <summary>A libvirt virtual network (<c>virNetworkPtr</c>). Disposing drops the reference only.</summary>
public sealed unsafe class LibvirtNetwork : LibvirtPersistentObject
{
    private readonly NetworkHandle _handle;

    internal LibvirtNetwork(LibvirtConnection connection, NetworkHandle handle)
        : base(connection, handle, PersistentCalls.Network) => _handle = handle;

    /// <summary>The bridge device name (<c>virNetworkGetBridgeName</c>).</summary>
    public string BridgeName => Interop.TakeStringOrThrow(NativeMethods.virNetworkGetBridgeName(_handle), "virNetworkGetBridgeName");

    /// <summary>The network XML (<c>virNetworkGetXMLDesc</c>).</summary>
    /// <param name="inactive">The persistent definition rather than the live one (<c>VIR_NETWORK_XML_INACTIVE</c>).</param>
    /// <returns>The XML document.</returns>
    public string GetXmlDesc(bool inactive = false) =>
        Interop.TakeStringOrThrow(
            NativeMethods.virNetworkGetXMLDesc(_handle, inactive ? NativeMethods.VIR_NETWORK_XML_INACTIVE : 0),
            "virNetworkGetXMLDesc");

    /// <summary>Starts the network (<c>virNetworkCreate</c>).</summary>
    public void Create() => Interop.Check(NativeMethods.virNetworkCreate(_handle), "virNetworkCreate");

    /// <summary>Stops the network (<c>virNetworkDestroy</c>).</summary>
    public void Destroy() => Interop.Check(NativeMethods.virNetworkDestroy(_handle), "virNetworkDestroy");

    /// <summary>Removes the persistent definition (<c>virNetworkUndefine</c>).</summary>
    public void Undefine() => Interop.Check(NativeMethods.virNetworkUndefine(_handle), "virNetworkUndefine");

    /// <summary>Changes one section of the definition in place (<c>virNetworkUpdate</c>), e.g. adds a DHCP host.</summary>
    /// <param name="command">Add, delete or modify.</param>
    /// <param name="section">Which section.</param>
    /// <param name="parentIndex">Index of the parent element (e.g. which <c>&lt;ip&gt;</c>), -1 for "the only/first one".</param>
    /// <param name="xml">The element's XML.</param>
    /// <param name="flags">Live and/or config.</param>
    public void Update(NetworkUpdateCommand command, NetworkUpdateSection section, int parentIndex, string xml, NetworkUpdateFlags flags = NetworkUpdateFlags.Current)
    {
        ArgumentNullException.ThrowIfNull(xml);
        Interop.Check(
            NativeMethods.virNetworkUpdate(_handle, (uint)command, (uint)section, parentIndex, xml, (uint)flags),
            "virNetworkUpdate");
    }

    /// <summary>Current DHCP leases (<c>virNetworkGetDHCPLeases</c>).</summary>
    /// <param name="mac">Only leases for this MAC address, or null for all.</param>
    /// <returns>The leases.</returns>
    public IReadOnlyList<NetworkDhcpLease> GetDhcpLeases(string? mac = null)
    {
        var n = Interop.Check(NativeMethods.virNetworkGetDHCPLeases(_handle, mac, out var array, 0), "virNetworkGetDHCPLeases");
        var result = new List<NetworkDhcpLease>(n);
        var items = (nint*)array;
        try
        {
            for (var i = 0; i < n; i++)
            {
                var l = (VirNetworkDhcpLease*)items[i];
                result.Add(new NetworkDhcpLease(
                    Interop.PeekString(l->Iface) ?? string.Empty,
                    DateTimeOffset.FromUnixTimeSeconds(l->ExpiryTime),
                    l->Type == 1,
                    Interop.PeekString(l->Mac),
                    Interop.PeekString(l->IpAddr) ?? string.Empty,
                    l->Prefix,
                    Interop.PeekString(l->Hostname),
                    Interop.PeekString(l->ClientId)));
            }
        }
        finally
        {
            for (var i = 0; i < n; i++)
            {
                NativeMethods.virNetworkDHCPLeaseFree(items[i]);
            }

            if (array != 0)
            {
                NativeMethods.free(array);
            }
        }

        return result;
    }
}
