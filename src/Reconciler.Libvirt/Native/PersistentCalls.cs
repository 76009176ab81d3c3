namespace Reconciler.Libvirt.Native;

/// <summary>
/// The calls that every kind of persistent libvirt object (domain, network, storage pool) has under
/// its own prefix, <c>vir{Kind}GetName</c>, <c>vir{Kind}GetUUIDString</c>, <c>vir{Kind}IsActive</c>, <c>vir{Kind}IsPersistent</c>,
/// <c>vir{Kind}GetAutostart</c> and <c>vir{Kind}SetAutostart</c>, with the names their errors are
/// reported under. One table per kind; a table is only ever given its own kind's handles.
/// </summary>
/// <param name="kind">The kind's part of the function names, e.g. <c>Network</c>.</param>
internal abstract unsafe class PersistentCalls(string kind)
{
    /// <summary>A domain's calls.</summary>
    internal static readonly PersistentCalls<DomainHandle> Domain = new(
        "Domain",
        NativeMethods.virDomainGetName,
        NativeMethods.virDomainGetUUIDString,
        NativeMethods.virDomainIsActive,
        NativeMethods.virDomainIsPersistent,
        NativeMethods.virDomainGetAutostart,
        NativeMethods.virDomainSetAutostart);

    /// <summary>A network's calls.</summary>
    internal static readonly PersistentCalls<NetworkHandle> Network = new(
        "Network",
        NativeMethods.virNetworkGetName,
        NativeMethods.virNetworkGetUUIDString,
        NativeMethods.virNetworkIsActive,
        NativeMethods.virNetworkIsPersistent,
        NativeMethods.virNetworkGetAutostart,
        NativeMethods.virNetworkSetAutostart);

    /// <summary>A storage pool's calls.</summary>
    internal static readonly PersistentCalls<StoragePoolHandle> StoragePool = new(
        "StoragePool",
        NativeMethods.virStoragePoolGetName,
        NativeMethods.virStoragePoolGetUUIDString,
        NativeMethods.virStoragePoolIsActive,
        NativeMethods.virStoragePoolIsPersistent,
        NativeMethods.virStoragePoolGetAutostart,
        NativeMethods.virStoragePoolSetAutostart);

    /// <summary>The name of the kind's GetName function, and so on: what its errors are reported under.</summary>
    internal string GetNameFunction { get; } = $"vir{kind}GetName";

    internal string GetUuidStringFunction { get; } = $"vir{kind}GetUUIDString";

    internal string IsActiveFunction { get; } = $"vir{kind}IsActive";

    internal string IsPersistentFunction { get; } = $"vir{kind}IsPersistent";

    internal string GetAutostartFunction { get; } = $"vir{kind}GetAutostart";

    internal string SetAutostartFunction { get; } = $"vir{kind}SetAutostart";

    /// <summary>The name, borrowed from libvirt (not to be freed), or 0.</summary>
    internal abstract nint GetName(SafeHandle handle);

    internal abstract int GetUuidString(SafeHandle handle, byte* buf);

    internal abstract int IsActive(SafeHandle handle);

    internal abstract int IsPersistent(SafeHandle handle);

    internal abstract int GetAutostart(SafeHandle handle, out int autostart);

    internal abstract int SetAutostart(SafeHandle handle, int autostart);
}

/// <summary>The <see cref="PersistentCalls"/> of the kind whose handles are <typeparamref name="THandle"/>.</summary>
/// <typeparam name="THandle">The kind's handle.</typeparam>
internal sealed unsafe class PersistentCalls<THandle>(
    string kind,
    Func<THandle, nint> getName,
    UuidStringCall<THandle> getUuidString,
    Func<THandle, int> isActive,
    Func<THandle, int> isPersistent,
    GetFlagCall<THandle> getAutostart,
    Func<THandle, int, int> setAutostart) : PersistentCalls(kind)
    where THandle : SafeHandle
{
    internal override nint GetName(SafeHandle handle) => getName((THandle)handle);

    internal override int GetUuidString(SafeHandle handle, byte* buf) => getUuidString((THandle)handle, buf);

    internal override int IsActive(SafeHandle handle) => isActive((THandle)handle);

    internal override int IsPersistent(SafeHandle handle) => isPersistent((THandle)handle);

    internal override int GetAutostart(SafeHandle handle, out int autostart) => getAutostart((THandle)handle, out autostart);

    internal override int SetAutostart(SafeHandle handle, int autostart) => setAutostart((THandle)handle, autostart);
}

/// <summary>A <c>vir*GetUUIDString</c> call: fills <paramref name="buf"/> (<see cref="NativeMethods.UuidStringBufLen"/> bytes); 0, or -1.</summary>
internal unsafe delegate int UuidStringCall<in THandle>(THandle handle, byte* buf);

/// <summary>A <c>vir*GetAutostart</c>-like call: sets <paramref name="value"/> to 0 or 1; 0, or -1.</summary>
internal delegate int GetFlagCall<in THandle>(THandle handle, out int value);
