using System.Diagnostics;
using System.Runtime.InteropServices;
using Reconciler.Libvirt.Native;

namespace Reconciler.Libvirt;

public sealed unsafe partial class LibvirtConnection
{
    /// <summary>
    /// Calls <paramref name="callback"/> for every domain lifecycle event on this connection
    /// (<c>virConnectDomainEventRegisterAny</c>, <c>VIR_DOMAIN_EVENT_ID_LIFECYCLE</c>). The callback
    /// runs on the <see cref="LibvirtEventLoop"/> thread: keep it short, do not block; exceptions
    /// it throws are traced and swallowed. Dispose the result to deregister.
    /// </summary>
    /// <param name="callback">Receives each event.</param>
    /// <returns>The registration.</returns>
    /// <exception cref="InvalidOperationException">The event loop is not running (open with events enabled).</exception>
    public IDisposable RegisterDomainLifecycleEvents(Action<DomainLifecycleEvent> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        RequireEventLoop();

        var state = new CallbackState(callback);
        var opaque = GCHandle.ToIntPtr(state.Handle);
        var id = NativeMethods.virConnectDomainEventRegisterAny(
            Handle, 0, NativeMethods.VIR_DOMAIN_EVENT_ID_LIFECYCLE, &OnLifecycleEvent, opaque, &FreeCallbackState);
        if (id < 0)
        {
            var ex = Interop.LastException("virConnectDomainEventRegisterAny");
            state.Release();
            throw ex;
        }

        return new Registration(Handle, conn => NativeMethods.virConnectDomainEventDeregisterAny(conn, id), "virConnectDomainEventDeregisterAny", state, releaseAfterDeregister: false);
    }

    /// <summary>
    /// Calls <paramref name="callback"/> when libvirt closes the connection for a reason other
    /// than <see cref="Dispose"/> (<c>virConnectRegisterCloseCallback</c>): daemon gone, I/O error,
    /// keep-alive timeout. Only remote connections report this; for in-process drivers the
    /// registration succeeds and never fires. One callback per connection. Runs on the event loop
    /// thread (or on the thread whose call noticed the failure).
    /// </summary>
    /// <param name="callback">Receives the reason.</param>
    /// <returns>The registration; dispose to unregister.</returns>
    public IDisposable RegisterCloseCallback(Action<ConnectionCloseReason> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);

        var state = new CallbackState(callback);
        var opaque = GCHandle.ToIntPtr(state.Handle);
        if (NativeMethods.virConnectRegisterCloseCallback(Handle, &OnClose, opaque, &FreeCallbackState) < 0)
        {
            var ex = Interop.LastException("virConnectRegisterCloseCallback");
            state.Release();
            throw ex;
        }

        return new Registration(Handle, conn => NativeMethods.virConnectUnregisterCloseCallback(conn, &OnClose), "virConnectUnregisterCloseCallback", state, releaseAfterDeregister: true);
    }

    /// <summary>
    /// Enables keep-alive probes on a remote connection (<c>virConnectSetKeepAlive</c>): after
    /// <paramref name="count"/> unanswered probes sent every <paramref name="intervalSeconds"/>
    /// the connection is closed (see <see cref="RegisterCloseCallback"/>). Needs the event loop.
    /// </summary>
    /// <param name="intervalSeconds">Seconds between probes; 0 or less disables keep-alive.</param>
    /// <param name="count">Unanswered probes before closing.</param>
    /// <returns>True when enabled; false when the other side does not support keep-alive.</returns>
    /// <exception cref="LibvirtUnsupportedException">The driver (e.g. the in-process test driver) has no keep-alive.</exception>
    public bool SetKeepAlive(int intervalSeconds, uint count)
    {
        RequireEventLoop();
        return Interop.Check(NativeMethods.virConnectSetKeepAlive(Handle, intervalSeconds, count), "virConnectSetKeepAlive") == 0;
    }

    private static void RequireEventLoop()
    {
        if (!LibvirtEventLoop.IsRunning)
        {
            throw new InvalidOperationException(
                "The libvirt event loop is not running: open the connection with enableEvents: true (or call LibvirtEventLoop.EnsureStarted() before opening it).");
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLifecycleEvent(nint conn, nint dom, int eventType, int detail, nint opaque)
    {
        try
        {
            var state = (CallbackState)GCHandle.FromIntPtr(opaque).Target!;
            var buf = stackalloc byte[NativeMethods.UuidStringBufLen];
            var uuid = NativeMethods.virDomainGetUUIDStringRaw(dom, buf) == 0 ? Marshal.PtrToStringUTF8((nint)buf)! : string.Empty;
            var name = Interop.PeekString(NativeMethods.virDomainGetNameRaw(dom)) ?? string.Empty;
            ((Action<DomainLifecycleEvent>)state.Callback)(new DomainLifecycleEvent(name, uuid, (DomainEventType)eventType, detail));
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception ex)
        {
            Trace.TraceError("Domain lifecycle event callback failed: {0}", ex);
        }
#pragma warning restore CA1031
    }

    [UnmanagedCallersOnly]
    private static void OnClose(nint conn, int reason, nint opaque)
    {
        try
        {
            var state = (CallbackState)GCHandle.FromIntPtr(opaque).Target!;
            ((Action<ConnectionCloseReason>)state.Callback)((ConnectionCloseReason)reason);
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception ex)
        {
            Trace.TraceError("Connection close callback failed: {0}", ex);
        }
#pragma warning restore CA1031
    }

    /// <summary>libvirt's <c>virFreeCallback</c>: it is done with the opaque pointer.</summary>
    [UnmanagedCallersOnly]
    private static void FreeCallbackState(nint opaque)
    {
        ((CallbackState)GCHandle.FromIntPtr(opaque).Target!).Release();
    }

    /// <summary>
    /// The managed delegate behind an opaque pointer given to libvirt. Freed exactly once: by
    /// libvirt's free callback, or by us when libvirt never took ownership (failed registration,
    /// drivers that ignore close callbacks).
    /// </summary>
    private sealed class CallbackState
    {
        private int _released;

        public CallbackState(Delegate callback)
        {
            Callback = callback;
            Handle = GCHandle.Alloc(this);
        }

        public Delegate Callback { get; }

        public GCHandle Handle { get; }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Handle.Free();
            }
        }
    }

    /// <summary>Deregisters once; keeps the connection alive until then.</summary>
    private sealed class Registration : IDisposable
    {
        private readonly ConnectHandle _conn;
        private readonly Func<ConnectHandle, int> _deregister;
        private readonly string _function;
        private readonly CallbackState _state;
        private readonly bool _releaseAfterDeregister;
        private int _disposed;

        public Registration(ConnectHandle conn, Func<ConnectHandle, int> deregister, string function, CallbackState state, bool releaseAfterDeregister)
        {
            _releaseAfterDeregister = releaseAfterDeregister;
            var added = false;
            conn.DangerousAddRef(ref added);
            _conn = conn;
            _deregister = deregister;
            _function = function;
            _state = state;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            try
            {
                Interop.Check(_deregister(_conn), _function);

                // Close callbacks: remote drivers free the state while unregistering, in-process
                // drivers never do. Lifecycle events: libvirt frees it (maybe later, after an
                // in-flight dispatch) through FreeCallbackState, so it must not be freed here.
                if (_releaseAfterDeregister)
                {
                    _state.Release();
                }
            }
            finally
            {
                _conn.DangerousRelease();
            }
        }
    }
}
