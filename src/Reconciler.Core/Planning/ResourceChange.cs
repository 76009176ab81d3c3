using System.Text.Json.Serialization;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// One planned change to one resource. Each variant is its own sealed type carrying exactly what
/// apply needs for it (<see cref="DomainCreate"/>, <see cref="DomainUpdate"/>, <see cref="DomainStart"/>,
/// <see cref="DomainStop"/>, <see cref="DomainDestroy"/>, <see cref="DomainMigrate"/>,
/// <see cref="PoolChange"/>, <see cref="VolumeChange"/>, <see cref="SeedChange"/>,
/// <see cref="NetworkChange"/>); apply dispatches on the type. Every change records the fingerprint
/// of the live object the plan was made against, so a saved plan is refused when the object changed
/// since. A saved plan names the variant in its <c>type</c> property.
/// </summary>
/// <param name="Node">Node name (for a move: the target).</param>
/// <param name="Name">Resource name.</param>
/// <param name="Reason">Why, in a few words (e.g. "not on the node", "drift: stopped behind our back").</param>
/// <param name="Fields">Field-level before → after, empty for create/destroy.</param>
/// <param name="LiveUuid">The live object's UUID; null for create, and for volumes and seeds (which have none).</param>
/// <param name="LiveFingerprint">The live object's fingerprint at plan time; null for create (the object must not exist).</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(DomainCreate), "domain-create")]
[JsonDerivedType(typeof(DomainUpdate), "domain-update")]
[JsonDerivedType(typeof(DomainStart), "domain-start")]
[JsonDerivedType(typeof(DomainStop), "domain-stop")]
[JsonDerivedType(typeof(DomainDestroy), "domain-destroy")]
[JsonDerivedType(typeof(DomainMigrate), "domain-migrate")]
[JsonDerivedType(typeof(PoolChange), "pool")]
[JsonDerivedType(typeof(VolumeChange), "volume")]
[JsonDerivedType(typeof(SeedChange), "seed")]
[JsonDerivedType(typeof(NetworkChange), "network")]
public abstract record ResourceChange(
    string Node,
    string Name,
    string Reason,
    IReadOnlyList<FieldChange> Fields,
    string? LiveUuid,
    string? LiveFingerprint)
{
    /// <summary>Resource kind (a cloud-init seed is a <see cref="ResourceKind.Volume"/>).</summary>
    public abstract ResourceKind Kind { get; }

    /// <summary>What is done; printed as <see cref="PlanSymbols.Of"/>.</summary>
    public abstract ChangeAction Action { get; }

    /// <summary>The worst disruption among the fields, or of the action itself (a destroy replaces, a stop restarts).</summary>
    public Disruption Disruption => Action switch
    {
        ChangeAction.Destroy => Disruption.Replace,
        ChangeAction.Stop => Disruption.Restart,
        _ => Fields.Count == 0 ? Disruption.None : Fields.Max(f => f.Disruption),
    };

    /// <summary>The nodes the change acts on: its node, and for a move also the node it leaves.</summary>
    public virtual IReadOnlyList<string> TouchedNodes() => [Node];
}

/// <summary>A change to a domain.</summary>
public abstract record DomainChange(string Node, string Name, string Reason, IReadOnlyList<FieldChange> Fields, string? LiveUuid, string? LiveFingerprint)
    : ResourceChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <inheritdoc/>
    public sealed override ResourceKind Kind => ResourceKind.Domain;

    /// <summary>
    /// For a change that undefines the domain or replaces it (a destroy, a move, a replace-class
    /// update) and whose domain has a TPM or NVRAM: where that state remains (<see cref="KeptState"/>); else null.
    /// </summary>
    public string? Kept { get; init; }
}

/// <summary>A domain change made from its spec: create, update, start or migrate.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Name">Domain name.</param>
/// <param name="Reason">Why.</param>
/// <param name="Fields">Field-level before → after.</param>
/// <param name="LiveUuid">The live domain's UUID; null for create.</param>
/// <param name="LiveFingerprint">The live domain's fingerprint at plan time; null for create.</param>
/// <param name="Desired">The desired spec, resolved (node, disk pools and the seed's pool filled in).</param>
public abstract record DesiredDomainChange(string Node, string Name, string Reason, IReadOnlyList<FieldChange> Fields, string? LiveUuid, string? LiveFingerprint,
    DomainSpec Desired)
    : DomainChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <summary>
    /// For a domain placed by <c>spec.placement</c>: why it is on <see cref="ResourceChange.Node"/>
    /// (shown as "placed on node X: why"); null for domains whose spec names the node.
    /// </summary>
    public string? Placement { get; init; }

    /// <summary>The checks of the domain against its node's hardware (<see cref="NodeChecks"/>) that ran or were skipped; empty when none applied.</summary>
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];
}

/// <summary>Define the domain (and start it, if desired running).</summary>
public sealed record DomainCreate(string Node, string Name, string Reason, DomainSpec Desired)
    : DesiredDomainChange(Node, Name, Reason, [], null, null, Desired)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Create;
}

/// <summary>Redefine the domain in place (keeping UUID, MACs and disks); may also change its power state and autostart.</summary>
public sealed record DomainUpdate(string Node, string Name, string Reason, IReadOnlyList<FieldChange> Fields, DomainSpec Desired, string LiveUuid, string? LiveFingerprint)
    : DesiredDomainChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint, Desired)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Update;

    /// <summary>Restart the domain after redefining it (its policy allows it and a field needs it).</summary>
    public bool Restart { get; init; }
}

/// <summary>
/// Start (or resume) a defined domain whose definition is as desired. Apply needs no spec for it;
/// the spec is kept for the plan's placement line and for the controller, which tells from it
/// whether the start puts back drift.
/// </summary>
public sealed record DomainStart(string Node, string Name, string Reason, IReadOnlyList<FieldChange> Fields, DomainSpec Desired, string LiveUuid, string? LiveFingerprint)
    : DesiredDomainChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint, Desired)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Start;
}

/// <summary>Shut a running domain down.</summary>
public sealed record DomainStop(string Node, string Name, string Reason, IReadOnlyList<FieldChange> Fields, string LiveUuid, string? LiveFingerprint)
    : DomainChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Stop;
}

/// <summary>Stop and undefine an owned domain no longer in the specs. Disks are never deleted.</summary>
public sealed record DomainDestroy(string Node, string Name, string Reason, string LiveUuid, string? LiveFingerprint)
    : DomainChange(Node, Name, Reason, [], LiveUuid, LiveFingerprint)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Destroy;

    /// <summary>
    /// Reconciler's own snapshots of the domain, whose metadata is removed with it
    /// (<c>VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA</c>; the data stays in the kept disks). A domain
    /// with anyone else's snapshots is not pruned (a plan error names them).
    /// </summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];
}

/// <summary>
/// Move an owned domain from <paramref name="FromNode"/> to the node its spec now names
/// (<see cref="ResourceChange.Node"/>); see <see cref="ChangeAction.Migrate"/>.
/// <see cref="ResourceChange.LiveUuid"/> and <see cref="ResourceChange.LiveFingerprint"/> are those of the domain on the source node.
/// </summary>
/// <param name="Node">The node it moves to.</param>
/// <param name="Name">Domain name.</param>
/// <param name="FromNode">The node the domain is on now.</param>
/// <param name="Reason">How it moves (live or not, what is copied, what happens to the source copies).</param>
/// <param name="Fields"><c>spec.node</c>, and <c>volume NAME</c> for each moving volume.</param>
/// <param name="Desired">The desired spec, resolved against the target node.</param>
/// <param name="LiveUuid">The domain's UUID on the source node.</param>
/// <param name="LiveFingerprint">The domain's fingerprint on the source node at plan time.</param>
/// <param name="Volumes">The owned volumes that move with the domain (each also shown as a field <c>volume NAME</c>); empty when its disks stay where they are.</param>
/// <param name="SourceSeedPool">
/// For a domain with cloud-init: the pool on the source node that holds its seed, deleted after a
/// successful move (generated content; the target gets its own seed from a seed step before the
/// move); null when there is none.
/// </param>
public sealed record DomainMigrate(string Node, string Name, string FromNode, string Reason, IReadOnlyList<FieldChange> Fields, DomainSpec Desired,
    string LiveUuid, string? LiveFingerprint, IReadOnlyList<VolumeMove> Volumes, string? SourceSeedPool)
    : DesiredDomainChange(Node, Name, Reason, Fields, LiveUuid, LiveFingerprint, Desired)
{
    /// <inheritdoc/>
    public override ChangeAction Action => ChangeAction.Migrate;

    /// <summary>
    /// How it moves, as the plan line shows it: <c>live, shared, 200 MiB/s, auto-converge, timeout
    /// 30s/GiB → abort</c> (the spec's migration policy) for a running domain, <c>offline (stopped)</c> for a stopped one.
    /// </summary>
    public string Migration { get; init; } = "";

    /// <summary>
    /// Reconciler's own snapshots of the domain, deleted before the move (libvirt refuses to
    /// migrate a domain with snapshots) because its spec allows it (<c>spec.migration.snapshots: delete</c>); empty otherwise.
    /// </summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <inheritdoc/>
    public override IReadOnlyList<string> TouchedNodes() => [Node, FromNode];
}
