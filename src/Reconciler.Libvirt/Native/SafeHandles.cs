using Microsoft.Win32.SafeHandles;

namespace Reconciler.Libvirt.Native;

// One SafeHandle per libvirt object kind. A handle owns exactly one libvirt reference;
// ReleaseHandle drops it with the matching virXxxFree / virConnectClose. The generated
// LibraryImport stubs AddRef/Release the handle around every call, so disposing an object
// while another thread is inside a call on it is safe: the free happens after the call.
// Public parameterless constructors are required by the source-generated marshallers.

/// <summary>Owns a <c>virConnectPtr</c> reference; released with <c>virConnectClose</c>.</summary>
internal sealed class ConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ConnectHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => NativeMethods.virConnectClose(handle) >= 0;
}

/// <summary>Owns a <c>virDomainPtr</c>; released with <c>virDomainFree</c>.</summary>
internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DomainHandle()
        : base(ownsHandle: true)
    {
    }

    internal DomainHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virDomainFree(handle) == 0;
}

/// <summary>Owns a <c>virNetworkPtr</c>; released with <c>virNetworkFree</c>.</summary>
internal sealed class NetworkHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public NetworkHandle()
        : base(ownsHandle: true)
    {
    }

    internal NetworkHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virNetworkFree(handle) == 0;
}

/// <summary>Owns a <c>virStoragePoolPtr</c>; released with <c>virStoragePoolFree</c>.</summary>
internal sealed class StoragePoolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StoragePoolHandle()
        : base(ownsHandle: true)
    {
    }

    internal StoragePoolHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virStoragePoolFree(handle) == 0;
}

/// <summary>Owns a <c>virStorageVolPtr</c>; released with <c>virStorageVolFree</c>.</summary>
internal sealed class StorageVolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StorageVolHandle()
        : base(ownsHandle: true)
    {
    }

    internal StorageVolHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virStorageVolFree(handle) == 0;
}

/// <summary>Owns a <c>virStreamPtr</c>; released with <c>virStreamFree</c>.</summary>
internal sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StreamHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => NativeMethods.virStreamFree(handle) == 0;
}

/// <summary>Owns a <c>virDomainSnapshotPtr</c>; released with <c>virDomainSnapshotFree</c>.</summary>
internal sealed class DomainSnapshotHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DomainSnapshotHandle()
        : base(ownsHandle: true)
    {
    }

    internal DomainSnapshotHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virDomainSnapshotFree(handle) == 0;
}

/// <summary>Owns a <c>virSecretPtr</c>; released with <c>virSecretFree</c>.</summary>
internal sealed class SecretHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SecretHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => NativeMethods.virSecretFree(handle) == 0;
}

/// <summary>Owns a <c>virNodeDevicePtr</c>; released with <c>virNodeDeviceFree</c>.</summary>
internal sealed class NodeDeviceHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public NodeDeviceHandle()
        : base(ownsHandle: true)
    {
    }

    internal NodeDeviceHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virNodeDeviceFree(handle) == 0;
}

/// <summary>Owns a <c>virInterfacePtr</c>; released with <c>virInterfaceFree</c>.</summary>
internal sealed class InterfaceHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public InterfaceHandle()
        : base(ownsHandle: true)
    {
    }

    internal InterfaceHandle(nint existing)
        : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virInterfaceFree(handle) == 0;
}
