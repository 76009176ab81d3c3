namespace Reconciler.Libvirt;

public sealed partial class LibvirtConnection
{
    /// <summary>All storage pools, active and inactive (<c>virConnectListAllStoragePools</c>).</summary>
    /// <returns>The pools; the caller disposes each.</returns>
    public IReadOnlyList<LibvirtStoragePool> ListAllStoragePools() =>
        Interop.ListAll(NativeMethods.virConnectListAllStoragePools, Handle, 0, "virConnectListAllStoragePools", (StoragePoolHandle h) => new LibvirtStoragePool(this, h));

    /// <summary>The pool with this name (<c>virStoragePoolLookupByName</c>), or null if there is none.</summary>
    /// <param name="name">Pool name.</param>
    /// <returns>The pool or null.</returns>
    public LibvirtStoragePool? LookupStoragePoolByName(string name) =>
        Interop.Lookup(NativeMethods.virStoragePoolLookupByName, Handle, name, "virStoragePoolLookupByName", h => new LibvirtStoragePool(this, h));

    /// <summary>Defines (or redefines) a persistent storage pool (<c>virStoragePoolDefineXML</c>); it is neither built nor started.</summary>
    /// <param name="xml">The pool XML.</param>
    /// <param name="validate">Validate against libvirt's RNG schema first (<c>VIR_STORAGE_POOL_DEFINE_VALIDATE</c>).</param>
    /// <returns>The defined pool.</returns>
    /// <exception cref="LibvirtInvalidXmlException">The XML is malformed, schema-invalid or unsupported.</exception>
    public LibvirtStoragePool DefineStoragePool(string xml, bool validate = true) =>
        Interop.Define(NativeMethods.virStoragePoolDefineXML, Handle, xml, validate ? NativeMethods.VIR_STORAGE_POOL_DEFINE_VALIDATE : 0u, "virStoragePoolDefineXML", h => new LibvirtStoragePool(this, h));
}
