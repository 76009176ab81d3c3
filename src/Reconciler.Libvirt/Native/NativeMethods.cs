using System.Runtime.CompilerServices;

namespace Reconciler.Libvirt.Native;

/// <summary>
/// Every libvirt entry point the product uses, and nothing else touches libvirt.so.0.
/// Signatures follow /usr/include/libvirt (libvirt 9.0). Conventions:
/// <list type="bullet">
/// <item>object pointers are typed <see cref="SafeHandle"/>s; returned objects are owned by the handle;</item>
/// <item>returned <c>char *</c> owned by the caller come back as <see cref="nint"/> and go through <see cref="Interop.TakeString"/> (copy, then libc <c>free</c>);</item>
/// <item>returned <c>const char *</c> (borrowed) come back as <see cref="nint"/> and go through <see cref="Interop.PeekString"/>;</item>
/// <item>C <c>unsigned long</c> is <see cref="CULong"/>.</item>
/// </list>
/// The static constructor initializes libvirt and silences its default stderr error printer
/// before the first call made through this class.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Lib = "libvirt.so.0";
    internal const string LibC = "libc";

    /// <summary>VIR_UUID_STRING_BUFLEN.</summary>
    internal const int UuidStringBufLen = 37;

#pragma warning disable CA1810 // explicit static ctor on purpose: it must run before ANY native call.
    static NativeMethods()
#pragma warning restore CA1810
    {
        // Thread-safe initialisation of the library (recommended before multi-threaded use).
        _ = virInitialize();

        // libvirt prints every error to stderr by default; errors are reported as exceptions.
        virSetErrorFunc(0, &IgnoreError);
    }

    /// <summary>Forces the static initializer (and thus libvirt initialisation) to run.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void EnsureInitialized()
    {
    }

    [UnmanagedCallersOnly]
    private static void IgnoreError(nint userData, nint error)
    {
    }

    // ---- libc -------------------------------------------------------------------------------

    [LibraryImport(LibC)]
    internal static partial void free(nint ptr);

    [LibraryImport(LibC)]
    internal static partial nint malloc(nuint size);

    /// <summary>glibc's <c>mallopt</c>; returns 1 on success, 0 for an unknown parameter or value.</summary>
    [LibraryImport(LibC)]
    internal static partial int mallopt(int param, int value);

    /// <summary>glibc's <c>malloc_trim</c>: hands free heap pages of every arena back to the system; 1 if any were.</summary>
    [LibraryImport(LibC)]
    internal static partial int malloc_trim(nuint pad);

    /// <summary>mallopt parameters (malloc.h).</summary>
    internal const int M_TRIM_THRESHOLD = -1;
    internal const int M_TOP_PAD = -2;
    internal const int M_ARENA_MAX = -8;

    // ---- library / errors ------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial int virInitialize();

    [LibraryImport(Lib)]
    internal static partial void virSetErrorFunc(nint userData, delegate* unmanaged<nint, nint, void> handler);

    /// <summary>Borrowed pointer to this thread's last error (a <see cref="VirError"/>), or null.</summary>
    [LibraryImport(Lib)]
    internal static partial VirError* virGetLastError();
}

/// <summary>Layout of <c>struct _virError</c> (virterror.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirError
{
    internal int Code;
    internal int Domain;
    internal nint Message;
    internal int Level;
    internal nint Conn;
    internal nint Dom;
    internal nint Str1;
    internal nint Str2;
    internal nint Str3;
    internal int Int1;
    internal int Int2;
    internal nint Net;
}
