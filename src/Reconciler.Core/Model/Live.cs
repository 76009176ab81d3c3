namespace Reconciler.Core.Model;

/// <summary>
/// What Reconciler records in a domain's <c>&lt;metadata&gt;</c> under its own XML namespace
/// (<see cref="Namespace"/>). A domain without it is foreign: never changed, never deleted.
/// </summary>
/// <param name="SpecName">The manifest name that owns the domain.</param>
/// <param name="SpecHash">Hash of the spec that was last applied (see <see cref="Planning.SpecHash"/>).</param>
/// <param name="Source">Where the spec came from (directory or repository).</param>
/// <param name="Revision">The source revision that was applied.</param>
/// <param name="Protect">When true, a prune errors instead of destroying the domain.</param>
/// <param name="State">The power state the spec asked for when it was last applied (domains only); null in metadata
/// written before it was recorded. With <paramref name="SpecHash"/> it tells "the spec changed" from "the domain drifted".</param>
/// <param name="Autostart">The autostart the spec asked for when it was last applied (domains only); null when not recorded.</param>
public sealed record OwnerRecord(string SpecName, string SpecHash, string Source, string Revision, bool Protect,
    PowerState? State = null, bool? Autostart = null)
{
    /// <summary>The XML namespace of Reconciler's metadata element.</summary>
    public const string Namespace = "https://reconciler.dev/xmlns/owner/1";

    /// <summary>The prefix used for that namespace in rendered XML.</summary>
    public const string Prefix = "reconciler";

    /// <summary>The local name of the metadata element.</summary>
    public const string ElementName = "owner";
}

/// <summary>Run state of a live domain, collapsed to what the planner needs.</summary>
public enum LiveRunState
{
    /// <summary>Shut off (or never started).</summary>
    Stopped,
    /// <summary>Running, blocked, or otherwise alive.</summary>
    Running,
    /// <summary>Paused by a user or by libvirt.</summary>
    Paused,
    /// <summary>In the middle of shutting down.</summary>
    ShuttingDown,
    /// <summary>Crashed or in an unknown state.</summary>
    Other,
}

/// <summary>
/// One domain as read from a node: its persistent definition parsed back into the spec model
/// (<see cref="Config"/>), plus what only exists live.
/// </summary>
/// <param name="Name">libvirt domain name.</param>
/// <param name="Uuid">libvirt UUID.</param>
/// <param name="RunState">Current run state.</param>
/// <param name="Autostart">Autostart flag.</param>
/// <param name="Persistent">False for a transient domain (never ours to touch).</param>
/// <param name="Owner">Our metadata, or null for a foreign domain.</param>
/// <param name="Config">The persistent (inactive) definition parsed into the model; null when it could not be parsed.</param>
/// <param name="Running">The running instance's definition parsed into the model, when the domain is running; used to detect pending restarts.</param>
/// <param name="Fingerprint">A digest of the inactive XML and run state, used to refuse a saved plan when the domain changed since.</param>
public sealed record LiveDomain(
    string Name,
    string Uuid,
    LiveRunState RunState,
    bool Autostart,
    bool Persistent,
    OwnerRecord? Owner,
    DomainSpec? Config,
    DomainSpec? Running,
    string Fingerprint)
{
    /// <summary>Free PCIe hotplug slots in the running instance (empty root ports), for live attaches.</summary>
    public int FreeHotplugSlots { get; init; }

    /// <summary>
    /// The persistent definition's text, kept only for a domain Reconciler does not own, so that
    /// adopting it can tell which of a spec's <c>xml:</c> patches it already holds (<see cref="Planning.AdoptedPatches"/>).
    /// </summary>
    public string? ForeignXml { get; init; }

    /// <summary>
    /// The names of the domain's snapshots; null when they were not read. Node reads leave them
    /// null (listing them is one more libvirt call per domain); they are read only for the owned
    /// domains a first plan moves or prunes, and the plan is made again with them (Engine's
    /// <c>SnapshotReads</c>). The planner treats null as "none known".
    /// </summary>
    public IReadOnlyList<string>? Snapshots { get; init; }
}

/// <summary>A snapshot of one node's state as read at one moment.</summary>
/// <param name="Node">The node name.</param>
/// <param name="Uri">The connection URI.</param>
/// <param name="DomainType">The domain type the node would use for new domains (kvm, qemu, test).</param>
/// <param name="Domains">Every domain on the node, foreign ones included.</param>
/// <param name="Error">When the node could not be read: the error; <see cref="Domains"/> is then empty.</param>
public sealed record LiveNode(string Node, string Uri, string DomainType, IReadOnlyList<LiveDomain> Domains, string? Error = null)
{
    /// <summary>Every storage pool on the node, with its volumes and Reconciler's ledger.</summary>
    public IReadOnlyList<LivePool> Pools { get; init; } = [];

    /// <summary>Every virtual network on the node.</summary>
    public IReadOnlyList<LiveNetwork> Networks { get; init; } = [];

    /// <summary>The node's size and free memory, read with the domains; null when it could not be read.</summary>
    public NodeCapacity? Capacity { get; init; }

    /// <summary>What the node can give its domains (CPU models, firmware, TPM, pages, NUMA), for the planner's checks; null when it was not read.</summary>
    public NodeHardware? Hardware { get; init; }
}

/// <summary>A node's size as libvirt reports it, read at the same moment as its domains.</summary>
/// <param name="Cpus">Active host CPUs (<c>virNodeGetInfo</c>).</param>
/// <param name="MemoryBytes">Host memory (<c>virNodeGetInfo</c>).</param>
/// <param name="FreeMemoryBytes">Free host memory (<c>virNodeGetFreeMemory</c>); null when the driver does not report it (the test driver with a node file).</param>
public sealed record NodeCapacity(int Cpus, ulong MemoryBytes, ulong? FreeMemoryBytes);
