using Reconciler.Core.Diagnostics;
using Reconciler.Core.Fields;

namespace Reconciler.Core.Model;

/// <summary>The manifest kinds Reconciler understands.</summary>
public enum ResourceKind
{
    /// <summary>A hypervisor host reached through a libvirt URI.</summary>
    Node,
    /// <summary>A storage pool (issue: storage).</summary>
    StoragePool,
    /// <summary>A volume in a pool (issue: storage).</summary>
    Volume,
    /// <summary>A libvirt virtual network (issue: storage).</summary>
    Network,
    /// <summary>A virtual machine.</summary>
    Domain,
}

/// <summary>
/// Where a manifest came from: the document's location and the location of each field by its
/// manifest path (<c>metadata.name</c>, <c>spec.disks[0].bus</c>), so any later stage can point at
/// the exact line of the field it complains about.
/// </summary>
/// <param name="Location">The start of the manifest document.</param>
/// <param name="Fields">Location of each field that was written, by manifest path.</param>
public sealed record SpecOrigin(SourceLocation Location, IReadOnlyDictionary<string, SourceLocation> Fields)
{
    /// <summary>An origin for resources built in code (tests, benchmarks).</summary>
    public static SpecOrigin InMemory(string name = "<memory>") =>
        new(SourceLocation.OfFile(name), new Dictionary<string, SourceLocation>());

    /// <summary>The location of <paramref name="fieldPath"/>, else of its nearest written parent, else of the document.</summary>
    public SourceLocation Find(string fieldPath)
    {
        var path = fieldPath;
        while (path.Length > 0)
        {
            if (Fields.TryGetValue(path, out var location)) return location;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0) break;
            path = path[..cut];
        }
        return Location;
    }
}

/// <summary>Common manifest metadata.</summary>
/// <param name="Name">The resource's name; for a domain, the libvirt domain name.</param>
/// <param name="Labels">User labels (used for selection and placement).</param>
/// <param name="Origin">Where it was written.</param>
public sealed record ResourceMeta(string Name, IReadOnlyDictionary<string, string> Labels, SpecOrigin Origin);

/// <summary>A node: one libvirt connection.</summary>
/// <param name="Meta">Metadata.</param>
/// <param name="Uri">libvirt connection URI.</param>
/// <param name="DomainType">Forced domain type (<c>kvm</c>, <c>qemu</c>, <c>test</c>) or null to pick from the node's capabilities (kvm when offered, else qemu).</param>
public sealed record NodeSpec(ResourceMeta Meta, string Uri, string? DomainType = null)
{
    /// <summary>The node's name.</summary>
    public string Name => Meta.Name;

    /// <summary>Directory holding cacert.pem, clientcert.pem and clientkey.pem for TLS (libvirt's <c>pkipath=</c>); never the certificates themselves.</summary>
    public string? PkiPath { get; init; }

    /// <summary>A libvirt auth file with SASL credentials (libvirt's <c>authfile=</c>); the credentials never appear in the spec.</summary>
    public string? AuthFile { get; init; }

    /// <summary>Seconds between keep-alive probes on the connection; null leaves libvirt's default.</summary>
    public int? KeepAliveInterval { get; init; }

    /// <summary>Unanswered keep-alive probes after which the node counts as dropped.</summary>
    public int? KeepAliveCount { get; init; }

    /// <summary>Seconds opening the connection may take before the node counts as unreachable; null: the default (10).</summary>
    public int? ConnectTimeout { get; init; }

    /// <summary>libvirt calls a read of the node keeps in flight on its connection; null: the default (32).</summary>
    public int? ReadConcurrency { get; init; }

    /// <summary>Where SASL credentials are read from when connecting (environment variables or a file); never the secret itself.</summary>
    public NodeCredentials? Credentials { get; init; }
}

/// <summary>
/// Where a node's SASL (or other libvirt authentication) credentials come from: names of
/// environment variables or files, read when the connection is opened and answered through
/// libvirt's authentication callback. The password is never part of the spec.
/// </summary>
/// <param name="Username">The user name to authenticate as, written in the spec (not a secret), or null.</param>
/// <param name="UsernameEnv">An environment variable holding the user name, or null.</param>
/// <param name="PasswordFile">A file whose content (a trailing newline removed) is the password, or null.</param>
/// <param name="PasswordEnv">An environment variable holding the password, or null.</param>
public sealed record NodeCredentials(string? Username, string? UsernameEnv, string? PasswordFile, string? PasswordEnv);

/// <summary>Desired power state of a domain.</summary>
public enum PowerState
{
    /// <summary>Defined and running.</summary>
    Running,
    /// <summary>Defined and shut off.</summary>
    Stopped,
}

/// <summary>Boot firmware.</summary>
public enum Firmware
{
    /// <summary>SeaBIOS.</summary>
    Bios,
    /// <summary>OVMF (UEFI), optionally with Secure Boot.</summary>
    Uefi,
}

/// <summary>CPU configuration.</summary>
/// <param name="Mode"><c>host-model</c>, <c>host-passthrough</c>, <c>maximum</c> or <c>custom</c>; null for the hypervisor default.</param>
/// <param name="Model">CPU model name for <c>custom</c> mode.</param>
public sealed record CpuSpec(string? Mode, string? Model = null)
{
    /// <summary>forbid or allow (<c>&lt;model fallback&gt;</c>, custom mode only); null: not written (forbid).</summary>
    public string? Fallback { get; init; }

    /// <summary>Features added to or removed from the model, in the order written; null: not written (not owned).</summary>
    public IReadOnlyList<CpuFeature>? Features { get; init; }

    /// <summary>vCPU and emulator pinning (<c>&lt;cputune&gt;</c>); null: not written.</summary>
    public CpuPinning? Pinning { get; init; }

    /// <summary>Guest NUMA cells, cell i having id i; null: not written (not owned).</summary>
    public IReadOnlyList<NumaCell>? Numa { get; init; }
}

/// <summary>Kind of disk device.</summary>
public enum DiskDevice
{
    /// <summary>A block device.</summary>
    Disk,
    /// <summary>A CD-ROM (read-only media).</summary>
    Cdrom,
}

/// <summary>One disk of a domain. Exactly one of <paramref name="Path"/> or <paramref name="Volume"/> names the source (a cdrom may have neither: empty drive).</summary>
/// <param name="Path">A file or block device path on the node.</param>
/// <param name="Volume">A volume name (storage issue).</param>
/// <param name="Pool">The pool of <paramref name="Volume"/>; null means the volume's own spec says.</param>
/// <param name="Device">disk or cdrom.</param>
/// <param name="Bus">virtio, sata, scsi, ide, usb; null means the default for the device (virtio for disks, sata for cdroms).</param>
/// <param name="Format">qcow2 or raw; null means detect from the file name (<c>.qcow2</c> → qcow2, else raw).</param>
/// <param name="ReadOnly">Read-only media (always true for cdroms).</param>
/// <param name="Target">Target device name (vda, sdb); null means assigned in order.</param>
/// <param name="Boot">Boot order, 1-based, or null.</param>
public sealed partial record DiskSpec(
    string? Path,
    string? Volume,
    string? Pool,
    DiskDevice Device,
    string? Bus,
    string? Format,
    bool ReadOnly,
    string? Target,
    int? Boot = null);

/// <summary>One network interface. Exactly one of <paramref name="Network"/> or <paramref name="Bridge"/>.</summary>
/// <param name="Network">A libvirt network name.</param>
/// <param name="Bridge">A host bridge name.</param>
/// <param name="Model">NIC model, default virtio.</param>
/// <param name="Mac">MAC address, or null to let libvirt pick one (it is then kept: not a diff).</param>
public sealed partial record InterfaceSpec(string? Network, string? Bridge, string Model, string? Mac);

/// <summary>Graphics type.</summary>
public enum GraphicsType
{
    /// <summary>No graphical console (serial console only).</summary>
    None,
    /// <summary>VNC.</summary>
    Vnc,
    /// <summary>SPICE.</summary>
    Spice,
}

/// <summary>Graphical console.</summary>
/// <param name="Type">none, vnc or spice.</param>
/// <param name="Listen">Listen address; default 127.0.0.1.</param>
/// <param name="Compression">spice: the image compression (libvirt's <c>&lt;image compression&gt;</c>); null: not owned.</param>
/// <param name="UsbRedirection">spice: how many USB redirection channels (<c>&lt;redirdev type='spicevmc'&gt;</c>); null: not owned.</param>
public sealed record GraphicsSpec(GraphicsType Type, string Listen = "127.0.0.1", string? Compression = null, int? UsbRedirection = null);

/// <summary>
/// An escape-hatch edit applied to the rendered XML. Exactly one of <paramref name="Add"/>,
/// <paramref name="Set"/> or <paramref name="Remove"/>.
/// </summary>
/// <param name="XPath">Selects the element(s) or attribute the patch applies to; must select at least one node.</param>
/// <param name="Add">An XML fragment appended as the last child(ren) of each selected element.</param>
/// <param name="Set">New text for each selected attribute or element.</param>
/// <param name="Remove">When true, each selected node is removed.</param>
public sealed record XmlPatch(string XPath, string? Add = null, string? Set = null, bool Remove = false);

/// <summary>The whole desired definition of one virtual machine, after defaults are applied.</summary>
/// <param name="Meta">Metadata.</param>
/// <param name="Node">Node name, or null for the only/default node.</param>
/// <param name="State">Desired power state.</param>
/// <param name="Autostart">Start with the node.</param>
/// <param name="Vcpus">vCPUs at boot.</param>
/// <param name="MaxVcpus">Maximum vCPUs (hotplug headroom); null means equal to <paramref name="Vcpus"/>.</param>
/// <param name="MemoryBytes">Memory at boot (current memory).</param>
/// <param name="MaxMemoryBytes">Maximum memory (balloon headroom); null means equal to <paramref name="MemoryBytes"/>.</param>
/// <param name="Machine">Machine type as written (<c>q35</c>, <c>pc</c>, or a versioned name).</param>
/// <param name="Firmware">bios or uefi.</param>
/// <param name="SecureBoot">Secure Boot (uefi only).</param>
/// <param name="Cpu">CPU mode.</param>
/// <param name="Disks">Disks in target order.</param>
/// <param name="Interfaces">NICs in order.</param>
/// <param name="Graphics">Graphical console.</param>
/// <param name="Xml">Escape-hatch patches, applied in order after rendering.</param>
/// <param name="Protect">Never destroyed by a prune: the plan errors instead.</param>
/// <param name="Description">Free text, stored in the domain's description.</param>
/// <param name="DomainType">Forced domain type, or null for the node's choice.</param>
/// <param name="Arch">Guest architecture, default x86_64.</param>
/// <param name="CloudInit">The cloud-init seed, or null; its cdrom is also in <paramref name="Disks"/> (the last disk).</param>
/// <param name="UpdatePolicy">How far updates may disturb the running guest; null means <see cref="UpdatePolicy.Default"/>.</param>
/// <param name="SnapshotBeforeUpdate">Take a snapshot before a restart or replace change.</param>
/// <param name="SnapshotsToKeep">How many of Reconciler's snapshots of this domain to keep.</param>
public sealed partial record DomainSpec(
    ResourceMeta Meta,
    string? Node,
    PowerState State,
    bool Autostart,
    int Vcpus,
    int? MaxVcpus,
    ulong MemoryBytes,
    ulong? MaxMemoryBytes,
    string Machine,
    Firmware Firmware,
    bool SecureBoot,
    CpuSpec Cpu,
    IReadOnlyList<DiskSpec> Disks,
    IReadOnlyList<InterfaceSpec> Interfaces,
    GraphicsSpec Graphics,
    IReadOnlyList<XmlPatch> Xml,
    bool Protect = false,
    string? Description = null,
    string? DomainType = null,
    string Arch = "x86_64",
    CloudInitSpec? CloudInit = null,
    UpdatePolicy? UpdatePolicy = null,
    bool SnapshotBeforeUpdate = false,
    int SnapshotsToKeep = 3)
{
    /// <summary>The update policy in force (the default when none was given).</summary>
    public UpdatePolicy Policy => UpdatePolicy ?? Model.UpdatePolicy.Default;

    /// <summary>
    /// How to choose a node when <see cref="Node"/> is not given; null for none. Ignored when
    /// <see cref="Node"/> is set. The planner fills <see cref="PlacementSpec.Node"/> with its choice.
    /// </summary>
    public PlacementSpec? Placement { get; init; }

    /// <summary>How a live migration moves it when <see cref="Node"/> changes; null means <see cref="MigrationPolicy.Default"/> (shared storage).</summary>
    public MigrationPolicy? Migration { get; init; }

    /// <summary>When and how Reconciler snapshots it (<c>spec.snapshots</c>); null means <see cref="SnapshotPolicy.Default"/> (no schedule). Never rendered, never compared.</summary>
    public SnapshotPolicy? Snapshots { get; init; }

    /// <summary>What "the guest is ready" means (<c>spec.readiness</c>); null means <see cref="Model.Readiness.Default"/> (it runs). Never rendered, never compared.</summary>
    public Readiness? Readiness { get; init; }

    /// <summary>
    /// The values of the declared fields (rows of the field table that name their XML place, such
    /// as an attribute of a child of <c>cpu</c>): written or defaulted ones from a spec, present ones from live XML.
    /// </summary>
    public FieldValues Declared { get; init; } = FieldValues.Empty;

    /// <summary>How guest memory is backed (huge pages, locked, shared); null: not written (not owned).</summary>
    public MemoryBackingSpec? MemoryBacking { get; init; }

    /// <summary>The domain name.</summary>
    public string Name => Meta.Name;
}

/// <summary>How a placed domain's node is chosen among the feasible ones.</summary>
public enum PlacementSpread
{
    /// <summary>The node with the most memory left (after what Reconciler's domains take); ties by fewest domains, then node name.</summary>
    Memory,
    /// <summary>The node with the fewest of this source's domains; ties by most memory left, then node name.</summary>
    Domains,
}

/// <summary>
/// Where a domain without <c>spec.node</c> may go. Reconciler picks a node once, records it in the
/// domain's metadata and keeps the domain there on later plans, even if capacity changes.
/// </summary>
/// <param name="NodeSelector">Labels every candidate Node must carry (in its <c>metadata.labels</c>), all of them.</param>
/// <param name="AntiAffinity">A group name: never two domains of the same group on one node; null for none.</param>
/// <param name="Spread">How to rank the feasible nodes.</param>
/// <param name="Node">The node chosen for the domain: filled by the planner, and read back from the metadata; null before a choice.</param>
public sealed record PlacementSpec(
    IReadOnlyDictionary<string, string> NodeSelector,
    string? AntiAffinity = null,
    PlacementSpread Spread = PlacementSpread.Memory,
    string? Node = null)
{
    /// <summary>The selector as <c>k=v,k2=v2</c>, sorted by key; empty when there is none.</summary>
    public string SelectorText => string.Join(",", NodeSelector.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>Value equality including the selector's entries (a dictionary compares by reference otherwise).</summary>
    public bool Equals(PlacementSpec? other) =>
        other is not null && SelectorText == other.SelectorText && AntiAffinity == other.AntiAffinity && Spread == other.Spread && Node == other.Node;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(SelectorText, AntiAffinity, Spread, Node);
}

/// <summary>
/// Everything a source produced: the parsed, validated manifests of one revision. Built by the
/// loader; consumed by rendering and the planner.
/// </summary>
/// <param name="Source">Human description of where it came from: a directory path or <c>repo@sha</c>.</param>
/// <param name="Revision">A revision id recorded in metadata (a commit sha, or a content hash for a directory).</param>
/// <param name="Nodes">Node manifests.</param>
/// <param name="Domains">Domain manifests.</param>
public sealed record SpecSet(string Source, string Revision, IReadOnlyList<NodeSpec> Nodes, IReadOnlyList<DomainSpec> Domains)
{
    /// <summary>An empty set.</summary>
    public static SpecSet Empty(string source) => new(source, "", [], []);

    /// <summary>StoragePool manifests.</summary>
    public IReadOnlyList<StoragePoolSpec> Pools { get; init; } = [];

    /// <summary>Volume manifests.</summary>
    public IReadOnlyList<VolumeSpec> Volumes { get; init; } = [];

    /// <summary>Network manifests.</summary>
    public IReadOnlyList<NetworkSpec> Networks { get; init; } = [];
}
