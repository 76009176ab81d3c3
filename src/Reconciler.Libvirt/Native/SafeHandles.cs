using Microsoft.Win32.SafeHandles;

namespace Reconciler.Libvirt.Native;

/// <summary>
/// Owns exactly one libvirt reference to an object of one kind; <see cref="ReleaseHandle"/> drops
/// it with that kind's <c>virXxxFree</c> (<c>virConnectClose</c> for a connection), which returns a
/// negative number on failure. The generated LibraryImport stubs AddRef/Release the handle around
/// every call, so disposing an object while another thread is inside a call on it is safe: the
/// free happens after the call. Each kind is a sealed subclass with a public parameterless
/// constructor, which the source-generated marshallers require; a pointer that libvirt handed out
/// in an array is adopted with <see cref="System.Runtime.InteropServices.Marshal.InitHandle"/>.
/// </summary>
/// <param name="free">The kind's free function.</param>
internal abstract class LibvirtHandle(Func<nint, int> free) : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected sealed override bool ReleaseHandle() => free(handle) >= 0;
}

/// <summary>Owns a <c>virConnectPtr</c> reference; released with <c>virConnectClose</c> (which returns the references left).</summary>
internal sealed class ConnectHandle() : LibvirtHandle(NativeMethods.virConnectClose);

/// <summary>Owns a <c>virDomainPtr</c>; released with <c>virDomainFree</c>.</summary>
internal sealed class DomainHandle() : LibvirtHandle(NativeMethods.virDomainFree);

/// <summary>Owns a <c>virNetworkPtr</c>; released with <c>virNetworkFree</c>.</summary>
internal sealed class NetworkHandle() : LibvirtHandle(NativeMethods.virNetworkFree);

/// <summary>Owns a <c>virStoragePoolPtr</c>; released with <c>virStoragePoolFree</c>.</summary>
internal sealed class StoragePoolHandle() : LibvirtHandle(NativeMethods.virStoragePoolFree);

/// <summary>Owns a <c>virStorageVolPtr</c>; released with <c>virStorageVolFree</c>.</summary>
internal sealed class StorageVolHandle() : LibvirtHandle(NativeMethods.virStorageVolFree);

/// <summary>Owns a <c>virStreamPtr</c>; released with <c>virStreamFree</c>.</summary>
internal sealed class StreamHandle() : LibvirtHandle(NativeMethods.virStreamFree);

/// <summary>Owns a <c>virDomainSnapshotPtr</c>; released with <c>virDomainSnapshotFree</c>.</summary>
internal sealed class DomainSnapshotHandle() : LibvirtHandle(NativeMethods.virDomainSnapshotFree);

/// <summary>Owns a <c>virSecretPtr</c>; released with <c>virSecretFree</c>.</summary>
internal sealed class SecretHandle() : LibvirtHandle(NativeMethods.virSecretFree);

/// <summary>Owns a <c>virNodeDevicePtr</c>; released with <c>virNodeDeviceFree</c>.</summary>
internal sealed class NodeDeviceHandle() : LibvirtHandle(NativeMethods.virNodeDeviceFree);

/// <summary>Owns a <c>virInterfacePtr</c>; released with <c>virInterfaceFree</c>.</summary>
internal sealed class InterfaceHandle() : LibvirtHandle(NativeMethods.virInterfaceFree);
