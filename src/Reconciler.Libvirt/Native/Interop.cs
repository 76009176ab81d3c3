using System.Runtime.CompilerServices;

namespace Reconciler.Libvirt.Native;

/// <summary>
/// Helpers shared by the wrappers: error capture (always on the calling thread, right after the
/// failing call), string ownership and the <c>virConnectListAll*</c> array protocol.
/// </summary>
internal static unsafe class Interop
{
    /// <summary>Copies this thread's last libvirt error. Must run right after the failing call.</summary>
    internal static LibvirtError CaptureLastError(string function)
    {
        var err = NativeMethods.virGetLastError();
        if (err == null || err->Code == 0)
        {
            return new LibvirtError(
                LibvirtErrorCode.InternalError,
                LibvirtErrorDomain.None,
                $"{function} failed without reporting an error",
                LibvirtErrorLevel.Error);
        }

        return new LibvirtError(
            (LibvirtErrorCode)err->Code,
            (LibvirtErrorDomain)err->Domain,
            Marshal.PtrToStringUTF8(err->Message) ?? string.Empty,
            (LibvirtErrorLevel)err->Level);
    }

    /// <summary>The typed exception for this thread's last libvirt error.</summary>
    internal static LibvirtException LastException(string function, bool duringConnect = false) =>
        LibvirtException.Create(CaptureLastError(function), duringConnect);

    /// <summary>Throws the mapped exception when <paramref name="rc"/> is negative.</summary>
    internal static int Check(int rc, string function)
    {
        if (rc < 0)
        {
            throw LastException(function);
        }

        return rc;
    }

    /// <summary>Throws the mapped exception when the returned handle is null.</summary>
    internal static T Check<T>(T handle, string function)
        where T : SafeHandle
    {
        if (handle.IsInvalid)
        {
            var ex = LastException(function);
            handle.Dispose();
            throw ex;
        }

        return handle;
    }

    /// <summary>
    /// For lookups: null when libvirt says "not found" (any code the table maps to
    /// <see cref="LibvirtExceptionKind.NotFound"/>), throws otherwise.
    /// </summary>
    internal static T? CheckOrNull<T>(T handle, string function)
        where T : SafeHandle
    {
        if (!handle.IsInvalid)
        {
            return handle;
        }

        var error = CaptureLastError(function);
        handle.Dispose();
        if (LibvirtException.KindOf(error.Code) == LibvirtExceptionKind.NotFound)
        {
            return null;
        }

        throw LibvirtException.Create(error);
    }

    /// <summary>Copies a caller-owned <c>char *</c> and frees it with libc <c>free</c>.</summary>
    internal static string? TakeString(nint ptr)
    {
        if (ptr == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(ptr);
        }
        finally
        {
            NativeMethods.free(ptr);
        }
    }

    /// <summary>Caller-owned string that must not be null; throws the last error otherwise.</summary>
    internal static string TakeStringOrThrow(nint ptr, string function) =>
        ptr == 0 ? throw LastException(function) : TakeString(ptr)!;

    /// <summary>Copies a borrowed <c>const char *</c> (owned by libvirt, not freed).</summary>
    internal static string? PeekString(nint ptr) => ptr == 0 ? null : Marshal.PtrToStringUTF8(ptr);

    /// <summary>Borrowed string that must not be null; throws the last error otherwise.</summary>
    internal static string PeekStringOrThrow(nint ptr, string function) =>
        ptr == 0 ? throw LastException(function) : Marshal.PtrToStringUTF8(ptr)!;

    /// <summary>
    /// Takes ownership of a libvirt-allocated array of object pointers (as returned by
    /// <c>virConnectListAll*</c>): every element is adopted by a new <typeparamref name="THandle"/>
    /// (so it is freed if wrapping fails) and the array itself is released with libc <c>free</c>.
    /// </summary>
    internal static List<TResult> TakeObjectArray<THandle, TResult>(nint array, int count, Func<THandle, TResult> project)
        where THandle : SafeHandle, new()
    {
        var result = new List<TResult>(count);
        var handles = new List<THandle>(count);
        try
        {
            var items = (nint*)array;
            for (var i = 0; i < count; i++)
            {
                // Ownership moves to the SafeHandle immediately, so nothing leaks on failure.
                var h = new THandle();
                Marshal.InitHandle(h, items[i]);
                handles.Add(h);
            }

            foreach (var h in handles)
            {
                result.Add(project(h));
            }

            return result;
        }
        catch
        {
            foreach (var h in handles)
            {
                h.Dispose();
            }

            throw;
        }
        finally
        {
            if (array != 0)
            {
                NativeMethods.free(array);
            }
        }
    }

    /// <summary>
    /// Every object a <c>vir*ListAll*</c> call of <paramref name="owner"/> returns, each handed to
    /// <paramref name="wrap"/>; the caller disposes what it made of them.
    /// </summary>
    internal static List<TResult> ListAll<TOwner, THandle, TResult>(
        ListAllCall<TOwner> list,
        TOwner owner,
        uint flags,
        string function,
        Func<THandle, TResult> wrap)
        where THandle : SafeHandle, new()
    {
        var n = Check(list(owner, out var array, flags), function);
        return TakeObjectArray(array, n, wrap);
    }

    /// <summary>
    /// The object a <c>vir*LookupBy*</c> call finds for <paramref name="key"/>, handed to
    /// <paramref name="wrap"/>; null when libvirt says there is none (see <see cref="CheckOrNull"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null (named as the caller's argument).</exception>
    internal static T? Lookup<TOwner, THandle, T>(
        Func<TOwner, string, THandle> lookup,
        TOwner owner,
        string key,
        string function,
        Func<THandle, T> wrap,
        [CallerArgumentExpression(nameof(key))] string? keyName = null)
        where THandle : SafeHandle
        where T : class
    {
        ArgumentNullException.ThrowIfNull(key, keyName);
        return CheckOrNull(lookup(owner, key), function) is { } h ? wrap(h) : null;
    }

    /// <summary>
    /// The object a <c>vir*DefineXML*</c> or <c>vir*CreateXML</c> call of <paramref name="owner"/> makes
    /// from <paramref name="xml"/>, handed to <paramref name="wrap"/>; throws the mapped exception when it fails.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="xml"/> is null (every caller's argument is named xml too).</exception>
    internal static T Define<TOwner, THandle, T>(
        Func<TOwner, string, uint, THandle> define,
        TOwner owner,
        string xml,
        uint flags,
        string function,
        Func<THandle, T> wrap)
        where THandle : SafeHandle
    {
        ArgumentNullException.ThrowIfNull(xml);
        return wrap(Check(define(owner, xml, flags), function));
    }

    /// <summary>Reads a NUL-terminated UUID buffer filled by a <c>vir*GetUUIDString</c> call.</summary>
    internal static string UuidFromBuffer(int rc, byte* buf, string function)
    {
        Check(rc, function);
        return Marshal.PtrToStringUTF8((nint)buf)!;
    }
}

/// <summary>A <c>vir*ListAll*</c> call: the number of objects, or -1; the array is the caller's to free.</summary>
internal delegate int ListAllCall<in TOwner>(TOwner owner, out nint array, uint flags);
