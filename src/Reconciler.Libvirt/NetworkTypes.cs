namespace Reconciler.Libvirt;

/// <summary>What <see cref="LibvirtNetwork.Update"/> does (<c>virNetworkUpdateCommand</c>).</summary>
public enum NetworkUpdateCommand
{
    /// <summary>Invalid (<c>VIR_NETWORK_UPDATE_COMMAND_NONE</c>).</summary>
    None = 0,

    /// <summary>Modify an existing element (<c>VIR_NETWORK_UPDATE_COMMAND_MODIFY</c>).</summary>
    Modify = 1,

    /// <summary>Delete an existing element (<c>VIR_NETWORK_UPDATE_COMMAND_DELETE</c>).</summary>
    Delete = 2,

    /// <summary>Add an element at the end of the list (<c>VIR_NETWORK_UPDATE_COMMAND_ADD_LAST</c>).</summary>
    AddLast = 3,

    /// <summary>Add an element at the start of the list (<c>VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST</c>).</summary>
    AddFirst = 4,
}

/// <summary>Which part of a network definition <see cref="LibvirtNetwork.Update"/> changes (<c>virNetworkUpdateSection</c>).</summary>
public enum NetworkUpdateSection
{
    /// <summary>Invalid (<c>VIR_NETWORK_SECTION_NONE</c>).</summary>
    None = 0,

    /// <summary><c>&lt;bridge&gt;</c> (<c>VIR_NETWORK_SECTION_BRIDGE</c>).</summary>
    Bridge = 1,

    /// <summary><c>&lt;domain&gt;</c> (<c>VIR_NETWORK_SECTION_DOMAIN</c>).</summary>
    Domain = 2,

    /// <summary><c>&lt;ip&gt;</c> (<c>VIR_NETWORK_SECTION_IP</c>).</summary>
    Ip = 3,

    /// <summary><c>&lt;ip&gt;/&lt;dhcp&gt;/&lt;host&gt;</c> (<c>VIR_NETWORK_SECTION_IP_DHCP_HOST</c>).</summary>
    IpDhcpHost = 4,

    /// <summary><c>&lt;ip&gt;/&lt;dhcp&gt;/&lt;range&gt;</c> (<c>VIR_NETWORK_SECTION_IP_DHCP_RANGE</c>).</summary>
    IpDhcpRange = 5,

    /// <summary><c>&lt;forward&gt;</c> (<c>VIR_NETWORK_SECTION_FORWARD</c>).</summary>
    Forward = 6,

    /// <summary><c>&lt;forward&gt;/&lt;interface&gt;</c> (<c>VIR_NETWORK_SECTION_FORWARD_INTERFACE</c>).</summary>
    ForwardInterface = 7,

    /// <summary><c>&lt;forward&gt;/&lt;pf&gt;</c> (<c>VIR_NETWORK_SECTION_FORWARD_PF</c>).</summary>
    ForwardPf = 8,

    /// <summary><c>&lt;portgroup&gt;</c> (<c>VIR_NETWORK_SECTION_PORTGROUP</c>).</summary>
    PortGroup = 9,

    /// <summary><c>&lt;dns&gt;/&lt;host&gt;</c> (<c>VIR_NETWORK_SECTION_DNS_HOST</c>).</summary>
    DnsHost = 10,

    /// <summary><c>&lt;dns&gt;/&lt;txt&gt;</c> (<c>VIR_NETWORK_SECTION_DNS_TXT</c>).</summary>
    DnsTxt = 11,

    /// <summary><c>&lt;dns&gt;/&lt;srv&gt;</c> (<c>VIR_NETWORK_SECTION_DNS_SRV</c>).</summary>
    DnsSrv = 12,
}

/// <summary>Which definition <see cref="LibvirtNetwork.Update"/> changes (<c>virNetworkUpdateFlags</c>).</summary>
[Flags]
public enum NetworkUpdateFlags
{
    /// <summary>Live if the network is active, else the persistent config (<c>VIR_NETWORK_UPDATE_AFFECT_CURRENT</c>).</summary>
    Current = 0,

    /// <summary>The live network (<c>VIR_NETWORK_UPDATE_AFFECT_LIVE</c>).</summary>
    Live = 1 << 0,

    /// <summary>The persistent config (<c>VIR_NETWORK_UPDATE_AFFECT_CONFIG</c>).</summary>
    Config = 1 << 1,
}

/// <summary>One DHCP lease handed out by a libvirt network (<c>virNetworkDHCPLease</c>).</summary>
/// <param name="Interface">The network's interface name.</param>
/// <param name="ExpiryTime">When the lease expires.</param>
/// <param name="IsIpv6">True for an IPv6 lease.</param>
/// <param name="Mac">Client MAC address.</param>
/// <param name="IpAddress">Leased address.</param>
/// <param name="Prefix">Address prefix length.</param>
/// <param name="Hostname">Client hostname, if known.</param>
/// <param name="ClientId">Client ID or DUID, if known.</param>
public sealed record NetworkDhcpLease(
    string Interface,
    DateTimeOffset ExpiryTime,
    bool IsIpv6,
    string? Mac,
    string IpAddress,
    uint Prefix,
    string? Hostname,
    string? ClientId);
