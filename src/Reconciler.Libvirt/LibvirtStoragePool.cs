namespace Reconciler.Libvirt;

/// <summary>A libvirt storage pool (<c>virStoragePoolPtr</c>). Disposing drops the reference only.</summary>
public sealed class LibvirtStoragePool : LibvirtPersistentObject
{
    private readonly StoragePoolHandle _handle;

    internal LibvirtStoragePool(LibvirtConnection connection, StoragePoolHandle handle)
        : base(connection, handle, PersistentCalls.StoragePool) => _handle = handle;

    internal StoragePoolHandle Handle => _handle;

    /// <summary>The pool XML (<c>virStoragePoolGetXMLDesc</c>).</summary>
    /// <param name="inactive">The persistent definition rather than the live one (<c>VIR_STORAGE_XML_INACTIVE</c>).</param>
    /// <returns>The XML document.</returns>
    public string GetXmlDesc(bool inactive = false) =>
        Interop.TakeStringOrThrow(
            NativeMethods.virStoragePoolGetXMLDesc(_handle, inactive ? NativeMethods.VIR_STORAGE_XML_INACTIVE : 0),
            "virStoragePoolGetXMLDesc");

    /// <summary>State and sizes (<c>virStoragePoolGetInfo</c>).</summary>
    /// <returns>The information.</returns>
    public StoragePoolInfo GetInfo()
    {
        Interop.Check(NativeMethods.virStoragePoolGetInfo(_handle, out var i), "virStoragePoolGetInfo");
        return new StoragePoolInfo((StoragePoolState)i.State, i.Capacity, i.Allocation, i.Available);
    }

    /// <summary>Starts the pool (<c>virStoragePoolCreate</c>).</summary>
    public void Create() => Interop.Check(NativeMethods.virStoragePoolCreate(_handle, 0), "virStoragePoolCreate");

    /// <summary>Builds the underlying storage, e.g. creates the directory of a <c>dir</c> pool (<c>virStoragePoolBuild</c>).</summary>
    /// <param name="flags">How to build.</param>
    public void Build(StoragePoolBuildFlags flags = StoragePoolBuildFlags.New) =>
        Interop.Check(NativeMethods.virStoragePoolBuild(_handle, (uint)flags), "virStoragePoolBuild");

    /// <summary>Stops the pool; data is kept (<c>virStoragePoolDestroy</c>).</summary>
    public void Destroy() => Interop.Check(NativeMethods.virStoragePoolDestroy(_handle), "virStoragePoolDestroy");

    /// <summary>Removes the persistent definition; data is kept (<c>virStoragePoolUndefine</c>).</summary>
    public void Undefine() => Interop.Check(NativeMethods.virStoragePoolUndefine(_handle), "virStoragePoolUndefine");

    /// <summary>Rescans the pool's volumes (<c>virStoragePoolRefresh</c>).</summary>
    public void Refresh() => Interop.Check(NativeMethods.virStoragePoolRefresh(_handle, 0), "virStoragePoolRefresh");

    /// <summary>All volumes in the pool (<c>virStoragePoolListAllVolumes</c>).</summary>
    /// <returns>The volumes; the caller disposes each.</returns>
    public IReadOnlyList<LibvirtStorageVolume> ListAllVolumes() =>
        Interop.ListAll(NativeMethods.virStoragePoolListAllVolumes, _handle, 0, "virStoragePoolListAllVolumes", (StorageVolHandle h) => new LibvirtStorageVolume(Connection, h));

    /// <summary>The volume with this name (<c>virStorageVolLookupByName</c>), or null if there is none.</summary>
    /// <param name="name">Volume name.</param>
    /// <returns>The volume or null.</returns>
    public LibvirtStorageVolume? LookupVolumeByName(string name) =>
        Interop.Lookup(NativeMethods.virStorageVolLookupByName, _handle, name, "virStorageVolLookupByName", h => new LibvirtStorageVolume(Connection, h));

    /// <summary>Creates a volume (<c>virStorageVolCreateXML</c>).</summary>
    /// <param name="xml">The volume XML.</param>
    /// <param name="flags">Preallocation, validation...</param>
    /// <returns>The new volume.</returns>
    public LibvirtStorageVolume CreateVolume(string xml, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None) =>
        Interop.Define(NativeMethods.virStorageVolCreateXML, _handle, xml, (uint)flags, "virStorageVolCreateXML", h => new LibvirtStorageVolume(Connection, h));

    /// <summary>Creates a volume as a copy of another one, possibly from another pool (<c>virStorageVolCreateXMLFrom</c>).</summary>
    /// <param name="xml">The new volume's XML.</param>
    /// <param name="clone">The volume to copy.</param>
    /// <param name="flags">Preallocation, reflink...</param>
    /// <returns>The new volume.</returns>
    public LibvirtStorageVolume CreateVolumeFrom(string xml, LibvirtStorageVolume clone, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentNullException.ThrowIfNull(clone);
        var h = Interop.Check(NativeMethods.virStorageVolCreateXMLFrom(_handle, xml, clone.Handle, (uint)flags), "virStorageVolCreateXMLFrom");
        return new LibvirtStorageVolume(Connection, h);
    }
}
