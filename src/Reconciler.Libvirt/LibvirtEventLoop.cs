using System.Diagnostics;

namespace Reconciler.Libvirt;

/// <summary>
/// libvirt's default event loop (<c>virEventRegisterDefaultImpl</c>), run by
/// <c>virEventRunDefaultImpl</c> on one dedicated background thread. Needed for domain events,
/// keep-alive and close callbacks. It must be started before opening the connections that should
/// deliver events (see <see cref="LibvirtConnectOptions.EnableEvents"/>); once started it runs for
/// the life of the process (libvirt cannot unregister it).
/// </summary>
public static class LibvirtEventLoop
{
    private static readonly Lock Gate = new();
    private static Thread? _thread;

    private static long _faults;

    /// <summary>
    /// How many iterations of the loop failed so far. Events may have been lost in a failed
    /// iteration: whoever relies on having seen every event compares this before and after.
    /// </summary>
    public static long Faults => Interlocked.Read(ref _faults);

    /// <summary>True once the loop is registered and its thread started.</summary>
    public static bool IsRunning => Volatile.Read(ref _thread) is not null;

    /// <summary>Registers the default event implementation and starts the loop thread, once. Idempotent and thread-safe.</summary>
    /// <exception cref="LibvirtException">libvirt could not register the event implementation.</exception>
    public static void EnsureStarted()
    {
        if (IsRunning)
        {
            return;
        }

        lock (Gate)
        {
            if (_thread is not null)
            {
                return;
            }

            Interop.Check(NativeMethods.virEventRegisterDefaultImpl(), "virEventRegisterDefaultImpl");
            var thread = new Thread(Run)
            {
                IsBackground = true,
                Name = "libvirt-event-loop",
            };
            thread.Start();
            Volatile.Write(ref _thread, thread);
        }
    }

    private static void Run()
    {
        while (true)
        {
            if (NativeMethods.virEventRunDefaultImpl() < 0)
            {
                // Should not happen; do not spin if it does.
                Interlocked.Increment(ref _faults);
                Trace.TraceWarning("virEventRunDefaultImpl failed: {0}", Interop.CaptureLastError("virEventRunDefaultImpl").Message);
                Thread.Sleep(100);
            }
        }
    }
}
