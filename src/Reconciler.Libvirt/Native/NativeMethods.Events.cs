namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    internal const int VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0;

    [LibraryImport(Lib)]
    internal static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Lib)]
    internal static partial int virEventRunDefaultImpl();

    /// <summary>
    /// <c>cb</c> is a <c>virConnectDomainEventCallback</c> for the lifecycle event
    /// (conn, dom, event, detail, opaque); <c>freecb</c> releases <c>opaque</c> when libvirt is done with it.
    /// </summary>
    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventRegisterAny(
        ConnectHandle conn,
        nint dom,
        int eventId,
        delegate* unmanaged<nint, nint, int, int, nint, void> cb,
        nint opaque,
        delegate* unmanaged<nint, void> freecb);

    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);

    [LibraryImport(Lib)]
    internal static partial int virConnectRegisterCloseCallback(
        ConnectHandle conn,
        delegate* unmanaged<nint, int, nint, void> cb,
        nint opaque,
        delegate* unmanaged<nint, void> freecb);

    [LibraryImport(Lib)]
    internal static partial int virConnectUnregisterCloseCallback(ConnectHandle conn, delegate* unmanaged<nint, int, nint, void> cb);
}
