namespace Reconciler.Libvirt;

// What libvirt can tell about the guest inside the domain. Every call may take as long as libvirt
// lets the guest agent take (about 5 s when the agent is configured but silent): callers that must
// stay bounded run them off their own thread with their own timeout.
public sealed unsafe partial class LibvirtDomain
{
    /// <summary>
    /// The guest's interfaces and addresses as <paramref name="source"/> knows them
    /// (<c>virDomainInterfaceAddresses</c>). Empty when the source knows none yet.
    /// </summary>
    /// <param name="source">Leases, the guest agent or the host's ARP table.</param>
    /// <returns>The interfaces, in the order libvirt gives them.</returns>
    /// <exception cref="LibvirtException">The source is not available (no agent, ARP unreadable, domain not running).</exception>
    public IReadOnlyList<GuestInterface> GetInterfaceAddresses(AddressSource source)
    {
        var count = NativeMethods.virDomainInterfaceAddresses(_handle, out var array, (uint)source, 0);
        if (count < 0) throw Interop.LastException("virDomainInterfaceAddresses");
        var result = new List<GuestInterface>(count);
        var items = (nint*)array;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var iface = (VirDomainInterface*)items[i];
                var addresses = new List<GuestIpAddress>((int)iface->NAddrs);
                var addrs = (VirDomainIPAddress*)iface->Addrs;
                for (var a = 0; a < iface->NAddrs; a++)
                {
                    addresses.Add(new GuestIpAddress(Marshal.PtrToStringUTF8(addrs[a].Addr) ?? "", addrs[a].Prefix, addrs[a].Type == 1));
                }
                result.Add(new GuestInterface(Marshal.PtrToStringUTF8(iface->Name) ?? "", Marshal.PtrToStringUTF8(iface->HwAddr)?.ToLowerInvariant(), addresses));
            }
            return result;
        }
        finally
        {
            for (var i = 0; i < count; i++) NativeMethods.virDomainInterfaceFree(items[i]);
            if (array != 0) NativeMethods.free(array);
        }
    }

    /// <summary>
    /// The guest's clock (<c>virDomainGetTime</c>). On QEMU it is read through the guest agent, so
    /// a successful call means the agent answers.
    /// </summary>
    /// <returns>The guest's time.</returns>
    /// <exception cref="LibvirtException">The agent is not configured, not connected or did not answer.</exception>
    public DateTimeOffset GetGuestTime()
    {
        Interop.Check(NativeMethods.virDomainGetTime(_handle, out var seconds, out var nanos, 0), "virDomainGetTime");
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }

    /// <summary>
    /// Opens the domain's first console (the serial port of a <c>pty</c> console) as a
    /// non-blocking stream (<c>virStreamNew</c> + <c>virDomainOpenConsole</c>, taking it from
    /// any other client). Only output written after the open is seen.
    /// </summary>
    /// <returns>The console; dispose it to close the stream.</returns>
    /// <exception cref="LibvirtException">The domain is not running, has no console, or the driver has no consoles.</exception>
    public LibvirtConsole OpenConsole()
    {
        var stream = Interop.Check(NativeMethods.virStreamNew(Connection.Handle, NativeMethods.VIR_STREAM_NONBLOCK), "virStreamNew");
        if (NativeMethods.virDomainOpenConsole(_handle, null, stream, NativeMethods.VIR_DOMAIN_CONSOLE_FORCE) < 0)
        {
            var error = Interop.LastException("virDomainOpenConsole");
            stream.Dispose();
            throw error;
        }
        return new LibvirtConsole(stream);
    }
}

/// <summary>
/// A domain's console opened by <see cref="LibvirtDomain.OpenConsole"/>. Reads never wait. On a
/// remote connection (<c>qemu:///system</c> goes through libvirtd) output reaches the stream while
/// the connection processes messages: while the event loop runs, or during any other call on the
/// same connection. A caller without the event loop polls: read until <see cref="ConsoleReadResult.WouldBlock"/>,
/// make one cheap call on the domain (its state), wait a moment, read again.
/// </summary>
public sealed unsafe class LibvirtConsole : IDisposable
{
    private readonly StreamHandle _stream;
    private bool _ended;

    internal LibvirtConsole(StreamHandle stream) => _stream = stream;

    /// <summary>Reads what is buffered into <paramref name="buffer"/> (<c>virStreamRecv</c>).</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="count">How many bytes were read (0 unless <see cref="ConsoleReadResult.Data"/>).</param>
    /// <returns>Data, nothing yet, or the end of the console.</returns>
    /// <exception cref="LibvirtException">The stream failed.</exception>
    public ConsoleReadResult Read(Span<byte> buffer, out int count)
    {
        count = 0;
        if (_ended) return ConsoleReadResult.End;
        int got;
        fixed (byte* p = buffer)
        {
            got = NativeMethods.virStreamRecv(_stream, p, (nuint)buffer.Length);
        }
        switch (got)
        {
            case -2:
                return ConsoleReadResult.WouldBlock;
            case 0:
                _ended = true;
                return ConsoleReadResult.End;
            default:
                Interop.Check(got, "virStreamRecv");
                count = got;
                return ConsoleReadResult.Data;
        }
    }

    /// <summary>Aborts the stream (the guest is not disturbed) and frees it.</summary>
    public void Dispose()
    {
        if (!_stream.IsClosed && !_ended) _ = NativeMethods.virStreamAbort(_stream);
        _stream.Dispose();
    }
}
