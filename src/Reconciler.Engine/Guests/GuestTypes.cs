namespace Reconciler.Engine.Guests;

/// <summary>One address of a guest, with where it came from.</summary>
/// <param name="Address">The address, e.g. 198.18.9.101.</param>
/// <param name="Prefix">Its prefix length.</param>
/// <param name="Source">lease, agent or arp (<see cref="GuestReader.SourceName"/>).</param>
/// <param name="Mac">The interface's MAC address, or null when the source gives none.</param>
/// <param name="Interface">The interface's name as the source gives it (vnet0 for leases, eth0 for the agent).</param>
public sealed record GuestAddress(string Address, int Prefix, string Source, string? Mac, string Interface)
{
    /// <summary>True for IPv6 addresses.</summary>
    public bool IsIpv6 => Address.Contains(':', StringComparison.Ordinal);

    /// <summary>True for link-local addresses (169.254/16, fe80::/10): not reachable from elsewhere.</summary>
    public bool IsLinkLocal => Address.StartsWith("169.254.", StringComparison.Ordinal) || Address.StartsWith("fe80:", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A source that could not be read, and why (e.g. <c>arp: internal error: wrong nlmsg len</c>). Never fatal.</summary>
/// <param name="Source">lease, agent, arp or probe.</param>
/// <param name="Error">What libvirt (or the timeout) said.</param>
public sealed record GuestSkip(string Source, string Error);

/// <summary>What is known about one declared domain's guest.</summary>
/// <param name="Name">The domain.</param>
/// <param name="Node">The node it was found on, or null when it is on none.</param>
/// <param name="State">running, paused, stopped, crashed, missing (defined on no node) or unreachable (its node could not be read).</param>
/// <param name="Readiness">The check that decides <paramref name="Ready"/>.</param>
/// <param name="Ready">True or false, or null when a single read cannot tell (a console check outside a wait).</param>
/// <param name="Reason">Why it is (not) ready, in words.</param>
/// <param name="Addresses">Every address known, in order of trust: leases, then the agent, then ARP.</param>
/// <param name="Skipped">The sources that errored or timed out.</param>
/// <param name="CheckedAt">When this was read.</param>
public sealed record GuestStatus(string Name, string? Node, string State, Readiness Readiness, bool? Ready, string Reason,
    IReadOnlyList<GuestAddress> Addresses, IReadOnlyList<GuestSkip> Skipped, DateTimeOffset CheckedAt)
{
    /// <summary>
    /// The address to reach the guest at: the most trusted IPv4 address that is not link-local,
    /// else the most trusted address that is not link-local, else null.
    /// </summary>
    public GuestAddress? Primary =>
        Addresses.FirstOrDefault(a => !a.IsIpv6 && !a.IsLinkLocal) ?? Addresses.FirstOrDefault(a => !a.IsLinkLocal);
}

/// <summary>How guest reads are bounded.</summary>
/// <param name="Timeout">
/// The longest one guest's read may take: the sources (and the agent probe) are read at the same
/// time, each bounded by it, so an agent that does not answer costs one timeout per guest; a TCP
/// readiness check adds at most one more.
/// </param>
public sealed record GuestReadOptions(TimeSpan Timeout)
{
    /// <summary>6 s: a little more than libvirt's own wait for a guest agent (5 s).</summary>
    public static GuestReadOptions Default { get; } = new(TimeSpan.FromSeconds(6));
}
