namespace Reconciler.Libvirt;

/// <summary>Flags for <see cref="LibvirtStoragePool.Build"/> (<c>virStoragePoolBuildFlags</c>).</summary>
[Flags]
public enum StoragePoolBuildFlags
{
    /// <summary>Regular build from scratch (<c>VIR_STORAGE_POOL_BUILD_NEW</c>).</summary>
    New = 0,

    /// <summary>Repair or reinitialise (<c>VIR_STORAGE_POOL_BUILD_REPAIR</c>).</summary>
    Repair = 1 << 0,

    /// <summary>Extend an existing pool (<c>VIR_STORAGE_POOL_BUILD_RESIZE</c>).</summary>
    Resize = 1 << 1,

    /// <summary>Do not overwrite an existing pool (<c>VIR_STORAGE_POOL_BUILD_NO_OVERWRITE</c>).</summary>
    NoOverwrite = 1 << 2,

    /// <summary>Overwrite data (<c>VIR_STORAGE_POOL_BUILD_OVERWRITE</c>).</summary>
    Overwrite = 1 << 3,
}

/// <summary>Flags for <see cref="LibvirtStoragePool.CreateVolume"/> (<c>virStorageVolCreateFlags</c>).</summary>
[Flags]
public enum StorageVolumeCreateFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Preallocate metadata only, e.g. for qcow2 (<c>VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA</c>).</summary>
    PreallocMetadata = 1 << 0,

    /// <summary>Lightweight copy where the file system supports it (<c>VIR_STORAGE_VOL_CREATE_REFLINK</c>).</summary>
    Reflink = 1 << 1,

    /// <summary>Validate the XML against the schema (<c>VIR_STORAGE_VOL_CREATE_VALIDATE</c>).</summary>
    Validate = 1 << 2,
}

/// <summary>Flags for <see cref="LibvirtStorageVolume.Resize"/> (<c>virStorageVolResizeFlags</c>).</summary>
[Flags]
public enum StorageVolumeResizeFlags
{
    /// <summary>Set the new capacity.</summary>
    None = 0,

    /// <summary>Allocate the new space too (<c>VIR_STORAGE_VOL_RESIZE_ALLOCATE</c>).</summary>
    Allocate = 1 << 0,

    /// <summary>The size is relative to the current one (<c>VIR_STORAGE_VOL_RESIZE_DELTA</c>).</summary>
    Delta = 1 << 1,

    /// <summary>Allow shrinking (<c>VIR_STORAGE_VOL_RESIZE_SHRINK</c>).</summary>
    Shrink = 1 << 2,
}

/// <summary>A storage pool's state (<c>virStoragePoolState</c>).</summary>
public enum StoragePoolState
{
    /// <summary>Not running (<c>VIR_STORAGE_POOL_INACTIVE</c>).</summary>
    Inactive = 0,

    /// <summary>Initialising (<c>VIR_STORAGE_POOL_BUILDING</c>).</summary>
    Building = 1,

    /// <summary>Running (<c>VIR_STORAGE_POOL_RUNNING</c>).</summary>
    Running = 2,

    /// <summary>Running but degraded (<c>VIR_STORAGE_POOL_DEGRADED</c>).</summary>
    Degraded = 3,

    /// <summary>Running but inaccessible (<c>VIR_STORAGE_POOL_INACCESSIBLE</c>).</summary>
    Inaccessible = 4,
}

/// <summary>A storage volume's type (<c>virStorageVolType</c>).</summary>
public enum StorageVolumeType
{
    /// <summary>A regular file (<c>VIR_STORAGE_VOL_FILE</c>).</summary>
    File = 0,

    /// <summary>A block device (<c>VIR_STORAGE_VOL_BLOCK</c>).</summary>
    Block = 1,

    /// <summary>A directory (<c>VIR_STORAGE_VOL_DIR</c>).</summary>
    Dir = 2,

    /// <summary>A network volume (<c>VIR_STORAGE_VOL_NETWORK</c>).</summary>
    Network = 3,

    /// <summary>A network-accessible directory (<c>VIR_STORAGE_VOL_NETDIR</c>).</summary>
    NetDir = 4,

    /// <summary>A Ploop volume (<c>VIR_STORAGE_VOL_PLOOP</c>).</summary>
    Ploop = 5,
}

/// <summary>A storage pool's sizes (<c>virStoragePoolInfo</c>).</summary>
/// <param name="State">The pool state.</param>
/// <param name="CapacityBytes">Logical size.</param>
/// <param name="AllocationBytes">Current allocation.</param>
/// <param name="AvailableBytes">Remaining free space.</param>
public readonly record struct StoragePoolInfo(StoragePoolState State, ulong CapacityBytes, ulong AllocationBytes, ulong AvailableBytes);

/// <summary>A storage volume's sizes (<c>virStorageVolInfo</c>).</summary>
/// <param name="Type">The volume type.</param>
/// <param name="CapacityBytes">Logical size.</param>
/// <param name="AllocationBytes">Current allocation.</param>
public readonly record struct StorageVolumeInfo(StorageVolumeType Type, ulong CapacityBytes, ulong AllocationBytes);
