namespace Reconciler.Libvirt;

/// <summary>Flags for <see cref="LibvirtDomain.GetXmlDesc"/> (<c>virDomainXMLFlags</c>).</summary>
[Flags]
public enum DomainXmlFlags
{
    /// <summary>The live definition (or the persistent one for a shut-off domain).</summary>
    None = 0,

    /// <summary>Include security-sensitive information (<c>VIR_DOMAIN_XML_SECURE</c>).</summary>
    Secure = 1 << 0,

    /// <summary>The persistent (next boot) definition (<c>VIR_DOMAIN_XML_INACTIVE</c>).</summary>
    Inactive = 1 << 1,

    /// <summary>Update guest CPU requirements from the host CPU (<c>VIR_DOMAIN_XML_UPDATE_CPU</c>).</summary>
    UpdateCpu = 1 << 2,

    /// <summary>XML suitable for migration (<c>VIR_DOMAIN_XML_MIGRATABLE</c>).</summary>
    Migratable = 1 << 3,
}

/// <summary>A domain's run state (<c>virDomainState</c>).</summary>
public enum DomainRunState
{
    /// <summary>No state (<c>VIR_DOMAIN_NOSTATE</c>).</summary>
    NoState = 0,

    /// <summary>Running (<c>VIR_DOMAIN_RUNNING</c>).</summary>
    Running = 1,

    /// <summary>Blocked on a resource (<c>VIR_DOMAIN_BLOCKED</c>).</summary>
    Blocked = 2,

    /// <summary>Paused by the user (<c>VIR_DOMAIN_PAUSED</c>).</summary>
    Paused = 3,

    /// <summary>Being shut down (<c>VIR_DOMAIN_SHUTDOWN</c>).</summary>
    Shutdown = 4,

    /// <summary>Shut off (<c>VIR_DOMAIN_SHUTOFF</c>).</summary>
    Shutoff = 5,

    /// <summary>Crashed (<c>VIR_DOMAIN_CRASHED</c>).</summary>
    Crashed = 6,

    /// <summary>Suspended by guest power management (<c>VIR_DOMAIN_PMSUSPENDED</c>).</summary>
    PmSuspended = 7,
}

/// <summary>
/// Why a domain is paused (<c>virDomainPausedReason</c>): the reason <see cref="LibvirtDomain.GetState"/>
/// returns with <see cref="DomainRunState.Paused"/>. Only the reasons the engine acts on are named.
/// </summary>
public enum DomainPausedReason
{
    /// <summary>Unknown (<c>VIR_DOMAIN_PAUSED_UNKNOWN</c>).</summary>
    Unknown = 0,

    /// <summary>Paused by a client (<c>VIR_DOMAIN_PAUSED_USER</c>).</summary>
    User = 1,

    /// <summary>
    /// The domain is being started and its vCPUs have never run (<c>VIR_DOMAIN_PAUSED_STARTING_UP</c>):
    /// libvirt sets it before QEMU is launched and replaces it when the vCPUs first start.
    /// </summary>
    StartingUp = 11,
}

/// <summary>Which definition a change applies to (<c>virDomainModificationImpact</c>).</summary>
[Flags]
public enum DomainModificationImpact
{
    /// <summary>The live definition if the domain runs, else the persistent one (<c>VIR_DOMAIN_AFFECT_CURRENT</c>).</summary>
    Current = 0,

    /// <summary>The running domain (<c>VIR_DOMAIN_AFFECT_LIVE</c>).</summary>
    Live = 1 << 0,

    /// <summary>The persistent definition (<c>VIR_DOMAIN_AFFECT_CONFIG</c>).</summary>
    Config = 1 << 1,
}

/// <summary>Flags for <see cref="LibvirtDomain.SetVcpus"/> and <see cref="LibvirtDomain.GetVcpusFlags"/> (<c>virDomainVcpuFlags</c>).</summary>
[Flags]
public enum DomainVcpuFlags
{
    /// <summary>The current definition (<c>VIR_DOMAIN_VCPU_CURRENT</c>).</summary>
    Current = 0,

    /// <summary>The running domain (<c>VIR_DOMAIN_VCPU_LIVE</c>).</summary>
    Live = 1 << 0,

    /// <summary>The persistent definition (<c>VIR_DOMAIN_VCPU_CONFIG</c>).</summary>
    Config = 1 << 1,

    /// <summary>The maximum rather than the current count (<c>VIR_DOMAIN_VCPU_MAXIMUM</c>).</summary>
    Maximum = 1 << 2,

    /// <summary>Change the state inside the guest, via the agent (<c>VIR_DOMAIN_VCPU_GUEST</c>).</summary>
    Guest = 1 << 3,

    /// <summary>Make added vCPUs hot-unpluggable (<c>VIR_DOMAIN_VCPU_HOTPLUGGABLE</c>).</summary>
    Hotpluggable = 1 << 4,
}

/// <summary>Flags for <see cref="LibvirtDomain.Undefine"/> (<c>virDomainUndefineFlagsValues</c>).</summary>
[Flags]
public enum UndefineFlags
{
    /// <summary>No flag: libvirt refuses to undefine a domain that has NVRAM, managed save or snapshots.</summary>
    None = 0,

    /// <summary>Also remove any managed save image (<c>VIR_DOMAIN_UNDEFINE_MANAGED_SAVE</c>).</summary>
    ManagedSave = 1 << 0,

    /// <summary>Also remove snapshot metadata (<c>VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA</c>).</summary>
    SnapshotsMetadata = 1 << 1,

    /// <summary>Also delete the NVRAM file (<c>VIR_DOMAIN_UNDEFINE_NVRAM</c>).</summary>
    Nvram = 1 << 2,

    /// <summary>Keep the NVRAM file (<c>VIR_DOMAIN_UNDEFINE_KEEP_NVRAM</c>); the default of <see cref="LibvirtDomain.Undefine"/>.</summary>
    KeepNvram = 1 << 3,

    /// <summary>Also remove checkpoint metadata (<c>VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA</c>).</summary>
    CheckpointsMetadata = 1 << 4,

    /// <summary>Also delete TPM state (<c>VIR_DOMAIN_UNDEFINE_TPM</c>).</summary>
    Tpm = 1 << 5,

    /// <summary>Keep TPM state (<c>VIR_DOMAIN_UNDEFINE_KEEP_TPM</c>).</summary>
    KeepTpm = 1 << 6,
}

/// <summary>Filters for <see cref="LibvirtConnection.ListAllDomains"/> (<c>virConnectListAllDomainsFlags</c>); none = all domains.</summary>
[Flags]
public enum DomainListFlags
{
    /// <summary>All domains.</summary>
    None = 0,

    /// <summary>Running or paused domains.</summary>
    Active = 1 << 0,

    /// <summary>Shut-off domains.</summary>
    Inactive = 1 << 1,

    /// <summary>Domains with a persistent definition.</summary>
    Persistent = 1 << 2,

    /// <summary>Domains without a persistent definition.</summary>
    Transient = 1 << 3,

    /// <summary>Running domains.</summary>
    Running = 1 << 4,

    /// <summary>Paused domains.</summary>
    Paused = 1 << 5,

    /// <summary>Shut-off domains.</summary>
    Shutoff = 1 << 6,

    /// <summary>Domains in any other state.</summary>
    Other = 1 << 7,

    /// <summary>Domains marked for autostart.</summary>
    Autostart = 1 << 10,

    /// <summary>Domains not marked for autostart.</summary>
    NoAutostart = 1 << 11,
}

/// <summary>Flags for <see cref="LibvirtDomain.Migrate"/> (<c>virDomainMigrateFlags</c>).</summary>
[Flags]
public enum MigrateFlags
{
    /// <summary>Offline-style (paused) migration with no extra behaviour.</summary>
    None = 0,

    /// <summary>Live migration (<c>VIR_MIGRATE_LIVE</c>).</summary>
    Live = 1 << 0,

    /// <summary>The source libvirtd talks to the destination directly (<c>VIR_MIGRATE_PEER2PEER</c>).</summary>
    PeerToPeer = 1 << 1,

    /// <summary>Tunnel the data over the libvirt connection (<c>VIR_MIGRATE_TUNNELLED</c>).</summary>
    Tunnelled = 1 << 2,

    /// <summary>Make the domain persistent on the destination (<c>VIR_MIGRATE_PERSIST_DEST</c>).</summary>
    PersistDest = 1 << 3,

    /// <summary>Undefine the domain on the source on success (<c>VIR_MIGRATE_UNDEFINE_SOURCE</c>).</summary>
    UndefineSource = 1 << 4,

    /// <summary>Leave the domain paused on the destination (<c>VIR_MIGRATE_PAUSED</c>).</summary>
    Paused = 1 << 5,

    /// <summary>Copy full disks (<c>VIR_MIGRATE_NON_SHARED_DISK</c>).</summary>
    NonSharedDisk = 1 << 6,

    /// <summary>Copy disks incrementally (<c>VIR_MIGRATE_NON_SHARED_INC</c>).</summary>
    NonSharedIncremental = 1 << 7,

    /// <summary>Protect the domain from changes during migration (<c>VIR_MIGRATE_CHANGE_PROTECTION</c>).</summary>
    ChangeProtection = 1 << 8,

    /// <summary>Migrate even if considered unsafe (<c>VIR_MIGRATE_UNSAFE</c>).</summary>
    Unsafe = 1 << 9,

    /// <summary>Migrate only the definition (<c>VIR_MIGRATE_OFFLINE</c>).</summary>
    Offline = 1 << 10,

    /// <summary>Compress the data (<c>VIR_MIGRATE_COMPRESSED</c>).</summary>
    Compressed = 1 << 11,

    /// <summary>Abort on I/O errors (<c>VIR_MIGRATE_ABORT_ON_ERROR</c>).</summary>
    AbortOnError = 1 << 12,

    /// <summary>Throttle the guest to converge (<c>VIR_MIGRATE_AUTO_CONVERGE</c>).</summary>
    AutoConverge = 1 << 13,

    /// <summary>Allow post-copy (<c>VIR_MIGRATE_POSTCOPY</c>).</summary>
    Postcopy = 1 << 15,

    /// <summary>Use TLS (<c>VIR_MIGRATE_TLS</c>).</summary>
    Tls = 1 << 16,
}

/// <summary>Flags for <see cref="LibvirtDomain.CreateSnapshot"/> (<c>virDomainSnapshotCreateFlags</c>).</summary>
[Flags]
public enum SnapshotCreateFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Restore or alter snapshot metadata (<c>VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE</c>).</summary>
    Redefine = 1 << 0,

    /// <summary>With Redefine, make the snapshot current (<c>VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT</c>).</summary>
    Current = 1 << 1,

    /// <summary>Do not keep metadata (<c>VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA</c>).</summary>
    NoMetadata = 1 << 2,

    /// <summary>Stop the guest after the snapshot (<c>VIR_DOMAIN_SNAPSHOT_CREATE_HALT</c>).</summary>
    Halt = 1 << 3,

    /// <summary>Disk-only snapshot (<c>VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY</c>).</summary>
    DiskOnly = 1 << 4,

    /// <summary>Reuse existing external files (<c>VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT</c>).</summary>
    ReuseExternal = 1 << 5,

    /// <summary>Quiesce guest file systems via the agent (<c>VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE</c>).</summary>
    Quiesce = 1 << 6,

    /// <summary>All disks or none (<c>VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC</c>).</summary>
    Atomic = 1 << 7,

    /// <summary>Keep the guest running (<c>VIR_DOMAIN_SNAPSHOT_CREATE_LIVE</c>).</summary>
    Live = 1 << 8,

    /// <summary>Validate the XML against the schema (<c>VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE</c>).</summary>
    Validate = 1 << 9,
}

/// <summary>Flags for <see cref="LibvirtDomain.RevertToSnapshot"/> (<c>virDomainSnapshotRevertFlags</c>).</summary>
[Flags]
public enum SnapshotRevertFlags
{
    /// <summary>No flag: the domain ends in the snapshot's state.</summary>
    None = 0,

    /// <summary>Run after revert (<c>VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING</c>).</summary>
    Running = 1 << 0,

    /// <summary>Pause after revert (<c>VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED</c>).</summary>
    Paused = 1 << 1,

    /// <summary>Allow risky reverts (<c>VIR_DOMAIN_SNAPSHOT_REVERT_FORCE</c>).</summary>
    Force = 1 << 2,
}

/// <summary>Flags for <see cref="LibvirtDomain.DeleteSnapshot"/> (<c>virDomainSnapshotDeleteFlags</c>).</summary>
[Flags]
public enum SnapshotDeleteFlags
{
    /// <summary>Delete just this snapshot.</summary>
    None = 0,

    /// <summary>Also delete its children (<c>VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN</c>).</summary>
    Children = 1 << 0,

    /// <summary>Delete only the metadata (<c>VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY</c>).</summary>
    MetadataOnly = 1 << 1,

    /// <summary>Delete only the children (<c>VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY</c>).</summary>
    ChildrenOnly = 1 << 2,
}

/// <summary>A domain's basic information (<c>virDomainInfo</c>).</summary>
/// <param name="State">The run state.</param>
/// <param name="MaxMemoryKiB">Maximum memory, KiB.</param>
/// <param name="MemoryKiB">Current memory, KiB.</param>
/// <param name="VirtualCpus">Number of virtual CPUs.</param>
/// <param name="CpuTimeNanoseconds">CPU time used, ns.</param>
public readonly record struct DomainInfo(
    DomainRunState State,
    ulong MaxMemoryKiB,
    ulong MemoryKiB,
    ushort VirtualCpus,
    ulong CpuTimeNanoseconds);

/// <summary>The host's basic information (<c>virNodeInfo</c>).</summary>
/// <param name="Model">CPU model string.</param>
/// <param name="MemoryKiB">Memory size, KiB.</param>
/// <param name="Cpus">Number of active CPUs.</param>
/// <param name="Mhz">Expected CPU frequency (0 when unknown).</param>
/// <param name="NumaNodes">Number of NUMA cells.</param>
/// <param name="Sockets">CPU sockets per NUMA cell.</param>
/// <param name="Cores">Cores per socket.</param>
/// <param name="Threads">Threads per core.</param>
public readonly record struct NodeInfo(
    string Model,
    ulong MemoryKiB,
    uint Cpus,
    uint Mhz,
    uint NumaNodes,
    uint Sockets,
    uint Cores,
    uint Threads);
