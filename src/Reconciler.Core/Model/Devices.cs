namespace Reconciler.Core.Model;

/// <summary>
/// A disk served over the network (<c>&lt;disk type='network'&gt;&lt;source protocol name&gt;</c>):
/// Ceph RBD, iSCSI, NBD, GlusterFS or an HTTP(S) image.
/// </summary>
/// <param name="Protocol">rbd, iscsi, nbd, gluster, http or https.</param>
/// <param name="Name">What the protocol names: <c>pool/image</c> (rbd), <c>IQN/LUN</c> (iscsi), the export (nbd), <c>volume/path</c> (gluster), the path (http).</param>
/// <param name="Hosts">Servers as <c>host</c> or <c>host:port</c> (<c>[v6]:port</c>), in order.</param>
/// <param name="Auth">The credentials (rbd and iscsi only), or null.</param>
public sealed record DiskNetworkSource(string Protocol, string? Name, IReadOnlyList<string> Hosts, DiskAuth? Auth)
{
    /// <summary>Value equality including the hosts' items (a list compares by reference otherwise).</summary>
    public bool Equals(DiskNetworkSource? other) =>
        other is not null && Protocol == other.Protocol && Name == other.Name && Auth == other.Auth && Hosts.SequenceEqual(other.Hosts);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Protocol, Name, Auth, string.Join(",", Hosts));
}

/// <summary>The credentials of a network disk: a user name and the libvirt secret holding its key or password.</summary>
/// <param name="Username">The user (Ceph client name without <c>client.</c>, or the CHAP user).</param>
/// <param name="SecretUuid">The UUID of a libvirt secret on the node (type ceph for rbd, iscsi for iscsi).</param>
public sealed record DiskAuth(string Username, string SecretUuid);

public sealed partial record DiskSpec
{
    /// <summary>The host page cache mode (none, writeback, writethrough, directsync, unsafe); null: not written (not owned).</summary>
    public string? Cache { get; init; }

    /// <summary>The I/O mode (native, threads, io_uring); null: not written.</summary>
    public string? Io { get; init; }

    /// <summary>Whether guest discards reach the image (unmap, ignore); null: not written.</summary>
    public string? Discard { get; init; }

    /// <summary>Zero-write detection (off, on, unmap); null: not written.</summary>
    public string? DetectZeroes { get; init; }

    /// <summary>The serial number the guest sees; null: not written.</summary>
    public string? Serial { get; init; }

    /// <summary>The IOThread (1-based, of <c>spec.iothreads</c>) serving the disk; null: not written.</summary>
    public int? IoThread { get; init; }

    /// <summary>Shared between domains (<c>&lt;shareable/&gt;</c>); null: not written.</summary>
    public bool? Shareable { get; init; }

    /// <summary>The network source, instead of a path or volume; null for a local disk.</summary>
    public DiskNetworkSource? Network { get; init; }
}

/// <summary>A host directory shared with the guest over virtiofs (<c>&lt;filesystem&gt;&lt;driver type='virtiofs'/&gt;</c>).</summary>
/// <param name="Source">An absolute directory on the node.</param>
/// <param name="Target">The tag the guest mounts (<c>mount -t virtiofs TAG /mnt</c>).</param>
/// <param name="ReadOnly">Read-only share (libvirt 9.0 refuses it for virtiofs; the validator says so).</param>
public sealed record FilesystemSpec(string Source, string Target, bool ReadOnly = false);

/// <summary>The video adapter (<c>&lt;video&gt;&lt;model type/&gt;</c>).</summary>
/// <param name="Model">virtio, qxl, vga, bochs, ramfb or none.</param>
public sealed record VideoSpec(string Model);

/// <summary>A watchdog device (<c>&lt;watchdog model action/&gt;</c>).</summary>
/// <param name="Model">i6300esb or ib700.</param>
/// <param name="Action">What the host does when it fires (reset, shutdown, poweroff, pause, none, dump, inject-nmi).</param>
public sealed record WatchdogSpec(string Model, string Action = "reset");

/// <summary>A sound card (<c>&lt;sound model/&gt;</c>).</summary>
/// <param name="Model">ich9, ich6, ich7, ac97, es1370, sb16, usb, or none.</param>
public sealed record SoundSpec(string Model);

public sealed partial record DomainSpec
{
    /// <summary><c>spec.filesystems</c>: virtiofs shares; null when not written (not owned). Any share turns on shared memfd memory.</summary>
    public IReadOnlyList<FilesystemSpec>? Filesystems { get; init; }

    /// <summary><c>spec.video</c>; null when not written (the renderer's virtio adapter beside graphics is then not owned).</summary>
    public VideoSpec? Video { get; init; }

    /// <summary><c>spec.watchdog</c>; null when not written (not owned).</summary>
    public WatchdogSpec? Watchdog { get; init; }

    /// <summary><c>spec.sound</c>; null when not written (not owned).</summary>
    public SoundSpec? Sound { get; init; }

    /// <summary><c>spec.usbController.companions</c>: the ich9-uhci companions of an ich9-ehci1; null when not written (not owned).</summary>
    public bool? UsbCompanions { get; init; }
}
