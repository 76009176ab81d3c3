using System.Collections.Concurrent;

namespace Reconciler.Libvirt.Native;

/// <summary>
/// Maps the opaque pointers handed to libvirt callbacks to managed objects. Plays the role of a
/// <see cref="System.Runtime.InteropServices.GCHandle"/> (keeps the target alive, resolves it from
/// native code) but removal is idempotent and a stale key resolves to null instead of crashing:
/// libvirt's free callback, a failed registration and a deregistration on a dead connection can
/// then all clean up without coordinating.
/// </summary>
internal static class CallbackRegistry
{
    private static readonly ConcurrentDictionary<nint, object> Entries = new();
    private static long _next;

    internal static nint Add(object target)
    {
        var key = (nint)Interlocked.Increment(ref _next);
        Entries[key] = target;
        return key;
    }

    internal static T? Get<T>(nint key)
        where T : class =>
        Entries.TryGetValue(key, out var target) ? target as T : null;

    internal static void Remove(nint key) => Entries.TryRemove(key, out _);

    internal static int Count => Entries.Count;
}
