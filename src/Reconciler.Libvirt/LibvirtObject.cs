namespace Reconciler.Libvirt;

/// <summary>
/// A libvirt object obtained from a connection: a domain, a network, a storage pool or volume, or a
/// node device. It holds one libvirt reference of its own; disposing drops that reference (the
/// kind's <c>vir*Free</c>) and does not touch the object itself.
/// </summary>
public abstract class LibvirtObject : IDisposable
{
    private protected LibvirtObject(LibvirtConnection connection, SafeHandle handle)
    {
        Connection = connection;
        OwnedHandle = handle;
    }

    /// <summary>The connection this object was obtained from.</summary>
    public LibvirtConnection Connection { get; }

    /// <summary>The reference this object owns.</summary>
    private protected SafeHandle OwnedHandle { get; }

    /// <summary>Drops the reference (the kind's <c>vir*Free</c>).</summary>
    public void Dispose() => OwnedHandle.Dispose();
}

/// <summary>
/// A libvirt object that may have a persistent definition, runs or not, and may start with the
/// host: a domain, a network or a storage pool. The members here call the kind's own function
/// (e.g. <c>virNetworkIsActive</c> for a network), named in the errors they throw.
/// </summary>
public abstract unsafe class LibvirtPersistentObject : LibvirtObject
{
    private readonly PersistentCalls _calls;

    private protected LibvirtPersistentObject(LibvirtConnection connection, SafeHandle handle, PersistentCalls calls)
        : base(connection, handle) => _calls = calls;

    /// <summary>The object's name (<c>vir*GetName</c>).</summary>
    public string Name => Interop.PeekStringOrThrow(_calls.GetName(OwnedHandle), _calls.GetNameFunction);

    /// <summary>The object's UUID in string form (<c>vir*GetUUIDString</c>).</summary>
    public string Uuid
    {
        get
        {
            var buf = stackalloc byte[NativeMethods.UuidStringBufLen];
            return Interop.UuidFromBuffer(_calls.GetUuidString(OwnedHandle, buf), buf, _calls.GetUuidStringFunction);
        }
    }

    /// <summary>True if the object runs: a domain that runs or is paused, a started network or pool (<c>vir*IsActive</c>).</summary>
    public bool IsActive => Interop.Check(_calls.IsActive(OwnedHandle), _calls.IsActiveFunction) == 1;

    /// <summary>True if the object has a persistent definition (<c>vir*IsPersistent</c>).</summary>
    public bool IsPersistent => Interop.Check(_calls.IsPersistent(OwnedHandle), _calls.IsPersistentFunction) == 1;

    /// <summary>Whether the object starts with the host (<c>vir*GetAutostart</c>/<c>vir*SetAutostart</c>).</summary>
    public bool Autostart
    {
        get
        {
            Interop.Check(_calls.GetAutostart(OwnedHandle, out var v), _calls.GetAutostartFunction);
            return v != 0;
        }

        set => Interop.Check(_calls.SetAutostart(OwnedHandle, value ? 1 : 0), _calls.SetAutostartFunction);
    }
}
