using System.Diagnostics;

namespace Reconciler.Libvirt;

public sealed unsafe partial class LibvirtConnection
{
    // libvirt accepts one registration per (connection, event, callback function), and one close
    // callback per connection: each connection registers natively once and fans out to its
    // managed subscribers. While registered, the connection handle is kept alive (AddRef), so
    // disposing the connection object does not break deregistration.
    private readonly Lock _eventsGate = new();
    private readonly NativeFanOut<DomainLifecycleEvent> _lifecycle = new();
    private readonly NativeFanOut<ConnectionCloseReason> _close = new();

    /// <summary>
    /// Calls <paramref name="callback"/> for every domain lifecycle event on this connection
    /// (<c>virConnectDomainEventRegisterAny</c>, <c>VIR_DOMAIN_EVENT_ID_LIFECYCLE</c>). The callback
    /// runs on the <see cref="LibvirtEventLoop"/> thread: keep it short, do not block, do not call
    /// back into this API synchronously; exceptions it throws are traced and swallowed. Dispose
    /// the result to stop receiving events.
    /// </summary>
    /// <param name="callback">Receives each event.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="InvalidOperationException">The event loop is not running (open with events enabled).</exception>
    public IDisposable RegisterDomainLifecycleEvents(Action<DomainLifecycleEvent> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        RequireEventLoop();
        return Subscribe(
            _lifecycle,
            callback,
            key => NativeMethods.virConnectDomainEventRegisterAny(
                Handle, 0, NativeMethods.VIR_DOMAIN_EVENT_ID_LIFECYCLE, &OnLifecycleEvent, key, &OnFreeOpaque),
            "virConnectDomainEventRegisterAny",
            id => NativeMethods.virConnectDomainEventDeregisterAny(Handle, id),
            "virConnectDomainEventDeregisterAny");
    }

    /// <summary>
    /// Calls <paramref name="callback"/> when libvirt closes the connection for a reason other
    /// than <see cref="Dispose"/> (<c>virConnectRegisterCloseCallback</c>): daemon gone, I/O
    /// error, keep-alive timeout. Only remote connections report this; for in-process drivers the
    /// registration succeeds and never fires. Runs on the event loop thread (or on the thread
    /// whose call noticed the failure); exceptions are traced and swallowed.
    /// </summary>
    /// <param name="callback">Receives the reason.</param>
    /// <returns>The subscription; dispose to unregister.</returns>
    public IDisposable RegisterCloseCallback(Action<ConnectionCloseReason> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Subscribe(
            _close,
            callback,
            key => NativeMethods.virConnectRegisterCloseCallback(Handle, &OnClose, key, &OnFreeOpaque) < 0 ? -1 : 0,
            "virConnectRegisterCloseCallback",
            _ => NativeMethods.virConnectUnregisterCloseCallback(Handle, &OnClose),
            "virConnectUnregisterCloseCallback");
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

    private Subscription<T> Subscribe<T>(
        NativeFanOut<T> fanOut,
        Action<T> callback,
        Func<nint, int> register,
        string registerFunction,
        Func<int, int> deregister,
        string deregisterFunction)
    {
        lock (_eventsGate)
        {
            if (!fanOut.IsRegistered)
            {
                var key = CallbackRegistry.Add(fanOut);
                var id = register(key);
                if (id < 0)
                {
                    var ex = Interop.LastException(registerFunction);
                    CallbackRegistry.Remove(key);
                    throw ex;
                }

                var added = false;
                Handle.DangerousAddRef(ref added);
                fanOut.MarkRegistered(key, id);
            }

            var subscription = new Subscription<T>(this, fanOut, callback, deregister, deregisterFunction);
            fanOut.Add(subscription);
            return subscription;
        }
    }

    private void Unsubscribe<T>(NativeFanOut<T> fanOut, Subscription<T> subscription, Func<int, int> deregister, string deregisterFunction)
    {
        lock (_eventsGate)
        {
            if (!fanOut.Remove(subscription) || !fanOut.IsEmpty || !fanOut.IsRegistered)
            {
                return;
            }

            var (key, id) = fanOut.MarkUnregistered();
            try
            {
                if (deregister(id) < 0)
                {
                    // Typically a dead remote connection: nothing left to deregister from.
                    Trace.TraceWarning("{0} failed: {1}", deregisterFunction, Interop.CaptureLastError(deregisterFunction).Message);
                }
            }
            finally
            {
                // libvirt may still call the free callback (or, for in-process drivers' close
                // callbacks, never): removal is idempotent and stale keys are ignored.
                CallbackRegistry.Remove(key);
                Handle.DangerousRelease();
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLifecycleEvent(nint conn, nint dom, int eventType, int detail, nint opaque)
    {
        try
        {
            var fanOut = CallbackRegistry.Get<NativeFanOut<DomainLifecycleEvent>>(opaque);
            if (fanOut is null || fanOut.IsEmpty)
            {
                return;
            }

            var buf = stackalloc byte[NativeMethods.UuidStringBufLen];
            var uuid = NativeMethods.virDomainGetUUIDStringRaw(dom, buf) == 0 ? Marshal.PtrToStringUTF8((nint)buf)! : string.Empty;
            var name = Interop.PeekString(NativeMethods.virDomainGetNameRaw(dom)) ?? string.Empty;
            fanOut.Raise(new DomainLifecycleEvent(name, uuid, (DomainEventType)eventType, detail));
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception ex)
        {
            Trace.TraceError("Domain lifecycle event dispatch failed: {0}", ex);
        }
#pragma warning restore CA1031
    }

    [UnmanagedCallersOnly]
    private static void OnClose(nint conn, int reason, nint opaque)
    {
        try
        {
            CallbackRegistry.Get<NativeFanOut<ConnectionCloseReason>>(opaque)?.Raise((ConnectionCloseReason)reason);
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception ex)
        {
            Trace.TraceError("Connection close dispatch failed: {0}", ex);
        }
#pragma warning restore CA1031
    }

    /// <summary>libvirt's <c>virFreeCallback</c>: it is done with the opaque pointer.</summary>
    [UnmanagedCallersOnly]
    private static void OnFreeOpaque(nint opaque) => CallbackRegistry.Remove(opaque);

    /// <summary>The managed subscribers behind one native registration.</summary>
    private sealed class NativeFanOut<T>
    {
        private volatile Subscription<T>[] _subscribers = [];

        public bool IsRegistered { get; private set; }

        public bool IsEmpty => _subscribers.Length == 0;

        private nint Key { get; set; }

        private int Id { get; set; }

        public void MarkRegistered(nint key, int id)
        {
            Key = key;
            Id = id;
            IsRegistered = true;
        }

        public (nint Key, int Id) MarkUnregistered()
        {
            IsRegistered = false;
            return (Key, Id);
        }

        // Add/Remove run under the connection's events lock; Raise reads a snapshot lock-free.
        public void Add(Subscription<T> s) => _subscribers = [.. _subscribers, s];

        public bool Remove(Subscription<T> s)
        {
            var before = _subscribers;
            _subscribers = before.Where(x => !ReferenceEquals(x, s)).ToArray();
            return _subscribers.Length != before.Length;
        }

        public void Raise(T value)
        {
            foreach (var s in _subscribers)
            {
                try
                {
                    s.Callback(value);
                }
#pragma warning disable CA1031 // one subscriber's bug must not starve the others or reach native code
                catch (Exception ex)
                {
                    Trace.TraceError("libvirt event subscriber failed: {0}", ex);
                }
#pragma warning restore CA1031
            }
        }
    }

    private sealed class Subscription<T>(
        LibvirtConnection owner,
        NativeFanOut<T> fanOut,
        Action<T> callback,
        Func<int, int> deregister,
        string deregisterFunction) : IDisposable
    {
        private int _disposed;

        public Action<T> Callback { get; } = callback;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(fanOut, this, deregister, deregisterFunction);
            }
        }
    }
}
