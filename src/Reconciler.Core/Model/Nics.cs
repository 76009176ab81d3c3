namespace Reconciler.Core.Model;

/// <summary>A macvtap interface on a host interface (<c>&lt;interface type='direct'&gt;&lt;source dev mode/&gt;</c>).</summary>
/// <param name="Dev">The host interface (<c>eth0</c>).</param>
/// <param name="Mode">bridge, vepa, private or passthrough.</param>
public sealed record DirectSpec(string Dev, string Mode = "bridge");

/// <summary>The VLAN tags of an interface (<c>&lt;vlan trunk&gt;&lt;tag id/&gt;…</c>).</summary>
/// <param name="Tags">The tags, 1–4094, in the order written.</param>
/// <param name="Trunk">Pass the tags to the guest tagged (Open vSwitch only); several tags always trunk.</param>
public sealed record VlanSpec(IReadOnlyList<int> Tags, bool Trunk = false)
{
    /// <summary>The canonical text the planner compares: <c>100</c>, <c>10,20 trunk</c>.</summary>
    public string Text => string.Join(",", Tags) + (Trunk || Tags.Count > 1 ? " trunk" : "");

    /// <summary>Value equality including the tags (a list compares by reference otherwise).</summary>
    public bool Equals(VlanSpec? other) => other is not null && Text == other.Text;

    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}

public sealed partial record InterfaceSpec
{
    /// <summary>A macvtap interface on a host interface; null for other types.</summary>
    public DirectSpec? Direct { get; init; }

    /// <summary>An SR-IOV VF given to the guest, by PCI address (<c>0000:03:10.1</c>); null for other types.</summary>
    public string? Hostdev { get; init; }

    /// <summary>A user-mode (SLIRP) interface: no host setup, outbound only.</summary>
    public bool User { get; init; }

    /// <summary>The MTU the guest sees; null: not written (not owned).</summary>
    public int? Mtu { get; init; }

    /// <summary>virtio-net queue pairs (multiqueue); null: not written.</summary>
    public int? Queues { get; init; }

    /// <summary>Boot order, 1 first (PXE from this NIC); null: none.</summary>
    public int? Boot { get; init; }

    /// <summary>up or down (the virtual cable); null: not written (not owned).</summary>
    public string? LinkState { get; init; }

    /// <summary><c>openvswitch</c> for a bridge that is an Open vSwitch; null: a Linux bridge.</summary>
    public string? Virtualport { get; init; }

    /// <summary>The VLAN tags; null: none (not owned).</summary>
    public VlanSpec? Vlan { get; init; }

    /// <summary>
    /// What the interface is attached to, as one text (<c>network:default</c>, <c>direct:eth0</c>,
    /// <c>user</c>): interfaces with the same attachment may share a MAC across redefinitions.
    /// </summary>
    public string Attachment => Network is { } n ? "network:" + n
        : Bridge is { } b ? "bridge:" + b
        : Direct is { } d ? "direct:" + d.Dev
        : Hostdev is { } h ? "hostdev:" + h
        : User ? "user" : "";
}

/// <summary>
/// The devices Reconciler adds to every domain unless told not to (<c>spec.devices</c>): each can be
/// turned off, and off reads back as off (libvirt's <c>&lt;memballoon model='none'/&gt;</c>,
/// <c>&lt;controller type='usb' model='none'/&gt;</c>), so it is never a difference.
/// </summary>
/// <param name="Rng">A virtio RNG fed from /dev/urandom.</param>
/// <param name="Balloon">A virtio memory balloon.</param>
/// <param name="Tablet">A USB tablet (absolute pointer), with a graphical console only.</param>
/// <param name="Usb">A USB controller (libvirt's default one).</param>
/// <param name="AgentChannel">The qemu-guest-agent channel.</param>
/// <param name="Serial">A pty serial port with its console.</param>
/// <param name="SpareRootPorts">Empty PCIe root ports for hotplug on q35, beyond those the devices use; null: not written (four, not owned).</param>
public sealed record DevicesSpec(bool Rng = true, bool Balloon = true, bool Tablet = true, bool Usb = true, bool AgentChannel = true, bool Serial = true, int? SpareRootPorts = null)
{
    /// <summary>Every default device on, the default spare root ports.</summary>
    public static readonly DevicesSpec Default = new();
}

public sealed partial record DomainSpec
{
    /// <summary><c>spec.devices</c>: which of Reconciler's default devices the domain has.</summary>
    public DevicesSpec Devices { get; init; } = DevicesSpec.Default;
}
