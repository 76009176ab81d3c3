namespace Reconciler.Libvirt.Native;

// What libvirt knows about the guest inside a domain: its addresses (DHCP leases, the guest agent,
// the host's ARP table), whether the guest agent answers, and the serial console as a stream.
internal static unsafe partial class NativeMethods
{
    /// <summary>VIR_STREAM_NONBLOCK: <c>virStreamRecv</c> returns -2 instead of waiting.</summary>
    internal const uint VIR_STREAM_NONBLOCK = 1 << 0;

    /// <summary>VIR_DOMAIN_CONSOLE_FORCE: take the console from another client that holds it.</summary>
    internal const uint VIR_DOMAIN_CONSOLE_FORCE = 1 << 0;

    /// <summary>
    /// Fills <paramref name="ifaces"/> with a libvirt-allocated array of <c>virDomainInterfacePtr</c>;
    /// returns their count, or -1. Each element is released with <see cref="virDomainInterfaceFree"/>,
    /// the array with libc <c>free</c>.
    /// </summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainInterfaceAddresses(DomainHandle domain, out nint ifaces, uint source, uint flags);

    [LibraryImport(Lib)]
    internal static partial void virDomainInterfaceFree(nint iface);

    /// <summary>The guest's clock, read through the guest agent (so it fails when the agent does not answer).</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainGetTime(DomainHandle domain, out long seconds, out uint nseconds, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle domain, string? devName, StreamHandle stream, uint flags);
}

/// <summary>Layout of <c>struct _virDomainInterface</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainInterface
{
    internal nint Name;
    internal nint HwAddr;
    internal uint NAddrs;
    internal nint Addrs;
}

/// <summary>Layout of <c>struct _virDomainIPAddress</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainIPAddress
{
    internal int Type;
    internal nint Addr;
    internal uint Prefix;
}
