// Generated from /usr/include/libvirt/virterror.h (libvirt 9.0); values must match the header.
namespace Reconciler.Libvirt;

/// <summary>A libvirt error number (<c>virErrorNumber</c>).</summary>
public enum LibvirtErrorCode
{
    /// <summary>No error (<c>VIR_ERR_OK</c>).</summary>
    Ok = 0,

    /// <summary>Internal error (<c>VIR_ERR_INTERNAL_ERROR</c>).</summary>
    InternalError = 1,

    /// <summary>Memory allocation failure (<c>VIR_ERR_NO_MEMORY</c>).</summary>
    NoMemory = 2,

    /// <summary>No support for this function (<c>VIR_ERR_NO_SUPPORT</c>).</summary>
    NoSupport = 3,

    /// <summary>Could not resolve hostname (<c>VIR_ERR_UNKNOWN_HOST</c>).</summary>
    UnknownHost = 4,

    /// <summary>Can't connect to hypervisor (<c>VIR_ERR_NO_CONNECT</c>).</summary>
    NoConnect = 5,

    /// <summary>Invalid connection object (<c>VIR_ERR_INVALID_CONN</c>).</summary>
    InvalidConn = 6,

    /// <summary>Invalid domain object (<c>VIR_ERR_INVALID_DOMAIN</c>).</summary>
    InvalidDomain = 7,

    /// <summary>Invalid function argument (<c>VIR_ERR_INVALID_ARG</c>).</summary>
    InvalidArg = 8,

    /// <summary>A command to hypervisor failed (<c>VIR_ERR_OPERATION_FAILED</c>).</summary>
    OperationFailed = 9,

    /// <summary>A HTTP GET command to failed (<c>VIR_ERR_GET_FAILED</c>).</summary>
    GetFailed = 10,

    /// <summary>A HTTP POST command to failed (<c>VIR_ERR_POST_FAILED</c>).</summary>
    PostFailed = 11,

    /// <summary>Unexpected HTTP error code (<c>VIR_ERR_HTTP_ERROR</c>).</summary>
    HttpError = 12,

    /// <summary>Failure to serialize an S-Expr (<c>VIR_ERR_SEXPR_SERIAL</c>).</summary>
    SexprSerial = 13,

    /// <summary>Could not open Xen hypervisor control (<c>VIR_ERR_NO_XEN</c>).</summary>
    NoXen = 14,

    /// <summary>Failure doing an hypervisor call (<c>VIR_ERR_XEN_CALL</c>).</summary>
    XenCall = 15,

    /// <summary>Unknown OS type (<c>VIR_ERR_OS_TYPE</c>).</summary>
    OsType = 16,

    /// <summary>Missing kernel information (<c>VIR_ERR_NO_KERNEL</c>).</summary>
    NoKernel = 17,

    /// <summary>Missing root device information (<c>VIR_ERR_NO_ROOT</c>).</summary>
    NoRoot = 18,

    /// <summary>Missing source device information (<c>VIR_ERR_NO_SOURCE</c>).</summary>
    NoSource = 19,

    /// <summary>Missing target device information (<c>VIR_ERR_NO_TARGET</c>).</summary>
    NoTarget = 20,

    /// <summary>Missing domain name information (<c>VIR_ERR_NO_NAME</c>).</summary>
    NoName = 21,

    /// <summary>Missing domain OS information (<c>VIR_ERR_NO_OS</c>).</summary>
    NoOs = 22,

    /// <summary>Missing domain devices information (<c>VIR_ERR_NO_DEVICE</c>).</summary>
    NoDevice = 23,

    /// <summary>Could not open Xen Store control (<c>VIR_ERR_NO_XENSTORE</c>).</summary>
    NoXenstore = 24,

    /// <summary>Too many drivers registered (<c>VIR_ERR_DRIVER_FULL</c>).</summary>
    DriverFull = 25,

    /// <summary>Not supported by the drivers (DEPRECATED) (<c>VIR_ERR_CALL_FAILED</c>).</summary>
    CallFailed = 26,

    /// <summary>An XML description is not well formed or broken (<c>VIR_ERR_XML_ERROR</c>).</summary>
    XmlError = 27,

    /// <summary>The domain already exist (<c>VIR_ERR_DOM_EXIST</c>).</summary>
    DomExist = 28,

    /// <summary>Operation forbidden on read-only connections (<c>VIR_ERR_OPERATION_DENIED</c>).</summary>
    OperationDenied = 29,

    /// <summary>Failed to open a conf file (<c>VIR_ERR_OPEN_FAILED</c>).</summary>
    OpenFailed = 30,

    /// <summary>Failed to read a conf file (<c>VIR_ERR_READ_FAILED</c>).</summary>
    ReadFailed = 31,

    /// <summary>Failed to parse a conf file (<c>VIR_ERR_PARSE_FAILED</c>).</summary>
    ParseFailed = 32,

    /// <summary>Failed to parse the syntax of a conf file (<c>VIR_ERR_CONF_SYNTAX</c>).</summary>
    ConfSyntax = 33,

    /// <summary>Failed to write a conf file (<c>VIR_ERR_WRITE_FAILED</c>).</summary>
    WriteFailed = 34,

    /// <summary>Detail of an XML error (<c>VIR_ERR_XML_DETAIL</c>).</summary>
    XmlDetail = 35,

    /// <summary>Invalid network object (<c>VIR_ERR_INVALID_NETWORK</c>).</summary>
    InvalidNetwork = 36,

    /// <summary>The network already exist (<c>VIR_ERR_NETWORK_EXIST</c>).</summary>
    NetworkExist = 37,

    /// <summary>General system call failure (<c>VIR_ERR_SYSTEM_ERROR</c>).</summary>
    SystemError = 38,

    /// <summary>Some sort of RPC error (<c>VIR_ERR_RPC</c>).</summary>
    Rpc = 39,

    /// <summary>Error from a GNUTLS call (<c>VIR_ERR_GNUTLS_ERROR</c>).</summary>
    GnutlsError = 40,

    /// <summary>Domain not found or unexpectedly disappeared (<c>VIR_ERR_NO_DOMAIN</c>).</summary>
    NoDomain = 42,

    /// <summary>Network not found (<c>VIR_ERR_NO_NETWORK</c>).</summary>
    NoNetwork = 43,

    /// <summary>Invalid MAC address (<c>VIR_ERR_INVALID_MAC</c>).</summary>
    InvalidMac = 44,

    /// <summary>Authentication failed (<c>VIR_ERR_AUTH_FAILED</c>).</summary>
    AuthFailed = 45,

    /// <summary>Invalid storage pool object (<c>VIR_ERR_INVALID_STORAGE_POOL</c>).</summary>
    InvalidStoragePool = 46,

    /// <summary>Invalid storage vol object (<c>VIR_ERR_INVALID_STORAGE_VOL</c>).</summary>
    InvalidStorageVol = 47,

    /// <summary>Storage pool not found (<c>VIR_ERR_NO_STORAGE_POOL</c>).</summary>
    NoStoragePool = 49,

    /// <summary>Storage volume not found (<c>VIR_ERR_NO_STORAGE_VOL</c>).</summary>
    NoStorageVol = 50,

    /// <summary>Invalid node device object (<c>VIR_ERR_INVALID_NODE_DEVICE</c>).</summary>
    InvalidNodeDevice = 52,

    /// <summary>Node device not found (<c>VIR_ERR_NO_NODE_DEVICE</c>).</summary>
    NoNodeDevice = 53,

    /// <summary>Security model not found (<c>VIR_ERR_NO_SECURITY_MODEL</c>).</summary>
    NoSecurityModel = 54,

    /// <summary>Operation is not applicable at this time (<c>VIR_ERR_OPERATION_INVALID</c>).</summary>
    OperationInvalid = 55,

    /// <summary>Interface driver not running (<c>VIR_ERR_NO_INTERFACE</c>).</summary>
    NoInterface = 57,

    /// <summary>Invalid interface object (<c>VIR_ERR_INVALID_INTERFACE</c>).</summary>
    InvalidInterface = 58,

    /// <summary>More than one matching interface found (<c>VIR_ERR_MULTIPLE_INTERFACES</c>).</summary>
    MultipleInterfaces = 59,

    /// <summary>Invalid nwfilter object (<c>VIR_ERR_INVALID_NWFILTER</c>).</summary>
    InvalidNwfilter = 61,

    /// <summary>Nw filter pool not found (<c>VIR_ERR_NO_NWFILTER</c>).</summary>
    NoNwfilter = 62,

    /// <summary>Nw filter pool not found (<c>VIR_ERR_BUILD_FIREWALL</c>).</summary>
    BuildFirewall = 63,

    /// <summary>Invalid secret (<c>VIR_ERR_INVALID_SECRET</c>).</summary>
    InvalidSecret = 65,

    /// <summary>Secret not found (<c>VIR_ERR_NO_SECRET</c>).</summary>
    NoSecret = 66,

    /// <summary>Unsupported configuration construct (<c>VIR_ERR_CONFIG_UNSUPPORTED</c>).</summary>
    ConfigUnsupported = 67,

    /// <summary>Timeout occurred during operation (<c>VIR_ERR_OPERATION_TIMEOUT</c>).</summary>
    OperationTimeout = 68,

    /// <summary>A migration worked, but making the VM persist on the dest host failed (<c>VIR_ERR_MIGRATE_PERSIST_FAILED</c>).</summary>
    MigratePersistFailed = 69,

    /// <summary>A synchronous hook script failed (<c>VIR_ERR_HOOK_SCRIPT_FAILED</c>).</summary>
    HookScriptFailed = 70,

    /// <summary>Invalid domain snapshot (<c>VIR_ERR_INVALID_DOMAIN_SNAPSHOT</c>).</summary>
    InvalidDomainSnapshot = 71,

    /// <summary>Domain snapshot not found (<c>VIR_ERR_NO_DOMAIN_SNAPSHOT</c>).</summary>
    NoDomainSnapshot = 72,

    /// <summary>Stream pointer not valid (<c>VIR_ERR_INVALID_STREAM</c>).</summary>
    InvalidStream = 73,

    /// <summary>Valid API use but unsupported by the given driver (<c>VIR_ERR_ARGUMENT_UNSUPPORTED</c>).</summary>
    ArgumentUnsupported = 74,

    /// <summary>Storage pool probe failed (<c>VIR_ERR_STORAGE_PROBE_FAILED</c>).</summary>
    StorageProbeFailed = 75,

    /// <summary>Storage pool already built (<c>VIR_ERR_STORAGE_POOL_BUILT</c>).</summary>
    StoragePoolBuilt = 76,

    /// <summary>Force was not requested for a risky domain snapshot revert (<c>VIR_ERR_SNAPSHOT_REVERT_RISKY</c>).</summary>
    SnapshotRevertRisky = 77,

    /// <summary>Operation on a domain was canceled/aborted by user (<c>VIR_ERR_OPERATION_ABORTED</c>).</summary>
    OperationAborted = 78,

    /// <summary>Authentication cancelled (<c>VIR_ERR_AUTH_CANCELLED</c>).</summary>
    AuthCancelled = 79,

    /// <summary>The metadata is not present (<c>VIR_ERR_NO_DOMAIN_METADATA</c>).</summary>
    NoDomainMetadata = 80,

    /// <summary>Migration is not safe (<c>VIR_ERR_MIGRATE_UNSAFE</c>).</summary>
    MigrateUnsafe = 81,

    /// <summary>Integer overflow (<c>VIR_ERR_OVERFLOW</c>).</summary>
    Overflow = 82,

    /// <summary>Action prevented by block copy job (<c>VIR_ERR_BLOCK_COPY_ACTIVE</c>).</summary>
    BlockCopyActive = 83,

    /// <summary>The requested operation is not supported (<c>VIR_ERR_OPERATION_UNSUPPORTED</c>).</summary>
    OperationUnsupported = 84,

    /// <summary>Error in ssh transport driver (<c>VIR_ERR_SSH</c>).</summary>
    Ssh = 85,

    /// <summary>Guest agent is unresponsive, not running or not usable (<c>VIR_ERR_AGENT_UNRESPONSIVE</c>).</summary>
    AgentUnresponsive = 86,

    /// <summary>Resource is already in use (<c>VIR_ERR_RESOURCE_BUSY</c>).</summary>
    ResourceBusy = 87,

    /// <summary>Operation on the object/resource was denied (<c>VIR_ERR_ACCESS_DENIED</c>).</summary>
    AccessDenied = 88,

    /// <summary>Error from a dbus service (<c>VIR_ERR_DBUS_SERVICE</c>).</summary>
    DbusService = 89,

    /// <summary>The storage vol already exists (<c>VIR_ERR_STORAGE_VOL_EXIST</c>).</summary>
    StorageVolExist = 90,

    /// <summary>Given CPU is incompatible with host CPU (<c>VIR_ERR_CPU_INCOMPATIBLE</c>).</summary>
    CpuIncompatible = 91,

    /// <summary>XML document doesn't validate against schema (<c>VIR_ERR_XML_INVALID_SCHEMA</c>).</summary>
    XmlInvalidSchema = 92,

    /// <summary>Finish API succeeded but it is expected to return NULL (<c>VIR_ERR_MIGRATE_FINISH_OK</c>).</summary>
    MigrateFinishOk = 93,

    /// <summary>Authentication unavailable (<c>VIR_ERR_AUTH_UNAVAILABLE</c>).</summary>
    AuthUnavailable = 94,

    /// <summary>Server was not found (<c>VIR_ERR_NO_SERVER</c>).</summary>
    NoServer = 95,

    /// <summary>Client was not found (<c>VIR_ERR_NO_CLIENT</c>).</summary>
    NoClient = 96,

    /// <summary>Guest agent replies with wrong id to guest-sync command (DEPRECATED) (<c>VIR_ERR_AGENT_UNSYNCED</c>).</summary>
    AgentUnsynced = 97,

    /// <summary>Error in libssh transport driver (<c>VIR_ERR_LIBSSH</c>).</summary>
    Libssh = 98,

    /// <summary>Fail to find the desired device (<c>VIR_ERR_DEVICE_MISSING</c>).</summary>
    DeviceMissing = 99,

    /// <summary>Invalid nwfilter binding (<c>VIR_ERR_INVALID_NWFILTER_BINDING</c>).</summary>
    InvalidNwfilterBinding = 100,

    /// <summary>No nwfilter binding (<c>VIR_ERR_NO_NWFILTER_BINDING</c>).</summary>
    NoNwfilterBinding = 101,

    /// <summary>Invalid domain checkpoint (<c>VIR_ERR_INVALID_DOMAIN_CHECKPOINT</c>).</summary>
    InvalidDomainCheckpoint = 102,

    /// <summary>Domain checkpoint not found (<c>VIR_ERR_NO_DOMAIN_CHECKPOINT</c>).</summary>
    NoDomainCheckpoint = 103,

    /// <summary>Domain backup job id not found (<c>VIR_ERR_NO_DOMAIN_BACKUP</c>).</summary>
    NoDomainBackup = 104,

    /// <summary>Invalid network port object (<c>VIR_ERR_INVALID_NETWORK_PORT</c>).</summary>
    InvalidNetworkPort = 105,

    /// <summary>The network port already exist (<c>VIR_ERR_NETWORK_PORT_EXIST</c>).</summary>
    NetworkPortExist = 106,

    /// <summary>Network port not found (<c>VIR_ERR_NO_NETWORK_PORT</c>).</summary>
    NoNetworkPort = 107,

    /// <summary>No domain's hostname found (<c>VIR_ERR_NO_HOSTNAME</c>).</summary>
    NoHostname = 108,

    /// <summary>Checkpoint can't be used (<c>VIR_ERR_CHECKPOINT_INCONSISTENT</c>).</summary>
    CheckpointInconsistent = 109,

    /// <summary>More than one matching domain found (<c>VIR_ERR_MULTIPLE_DOMAINS</c>).</summary>
    MultipleDomains = 110,
}
