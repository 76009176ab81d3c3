namespace Reconciler.Libvirt;

/// <summary>Where libvirt looks for a domain's addresses (<c>virDomainInterfaceAddressesSource</c>).</summary>
public enum AddressSource
{
    /// <summary>The DHCP leases of the libvirt network the interface is on (VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE).</summary>
    Lease = 0,

    /// <summary>The guest agent (VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT): needs the agent channel and a running qemu-ga.</summary>
    Agent = 1,

    /// <summary>The host's ARP / neighbour table (VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP).</summary>
    Arp = 2,
}

/// <summary>One address of a guest interface (<c>virDomainIPAddress</c>).</summary>
/// <param name="Address">The address, e.g. 192.168.122.3 or fe80::1.</param>
/// <param name="Prefix">The prefix length.</param>
/// <param name="IsIpv6">True for IPv6 (VIR_IP_ADDR_TYPE_IPV6).</param>
public readonly record struct GuestIpAddress(string Address, uint Prefix, bool IsIpv6);

/// <summary>One guest interface as a source reports it (<c>virDomainInterface</c>).</summary>
/// <param name="Name">The interface name (host side for leases, e.g. vnet0; guest side for the agent, e.g. eth0).</param>
/// <param name="Mac">The MAC address, lower case, or null when the source gives none (the agent's loopback).</param>
/// <param name="Addresses">Its addresses, in the source's order.</param>
public sealed record GuestInterface(string Name, string? Mac, IReadOnlyList<GuestIpAddress> Addresses);

/// <summary>What one non-blocking console read got.</summary>
public enum ConsoleReadResult
{
    /// <summary>Bytes were read.</summary>
    Data,

    /// <summary>Nothing is buffered yet.</summary>
    WouldBlock,

    /// <summary>The console closed (the guest stopped, or another client took it).</summary>
    End,
}
