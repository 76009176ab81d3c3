using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reconciler.Host;

/// <summary>A condition in the Kubernetes style.</summary>
/// <param name="Type">Ready, Reconciling or Stalled.</param>
/// <param name="Status">True, False or Unknown.</param>
/// <param name="Reason">A CamelCase reason.</param>
/// <param name="Message">Human detail.</param>
public sealed record Condition(string Type, string Status, string Reason, string? Message);

/// <summary>The source as the controller sees it.</summary>
/// <param name="Kind">directory or git.</param>
/// <param name="Description">Where from (never with credentials).</param>
/// <param name="LatestRevision">The newest revision fetched.</param>
/// <param name="AppliedRevision">The revision in force (the last good one).</param>
/// <param name="RejectedRevision">The newest revision rejected, if it is newer than the one in force.</param>
/// <param name="RejectedBecause">Why: the loader's diagnostics (file:line:column, field, hint).</param>
/// <param name="LastError">The last fetch error, while fetches fail.</param>
/// <param name="LastFetchAt">When the source was last tried.</param>
/// <param name="LastSuccessAt">When it was last fetched successfully.</param>
/// <param name="Condition">Ready with a reason: Fetched, FetchFailed, InvalidSpec, NotFetched.</param>
public sealed record SourceStatus(
    string Kind,
    string Description,
    string? LatestRevision,
    string? AppliedRevision,
    string? RejectedRevision,
    IReadOnlyList<string> RejectedBecause,
    string? LastError,
    DateTimeOffset? LastFetchAt,
    DateTimeOffset? LastSuccessAt,
    Condition Condition);

/// <summary>One node.</summary>
/// <param name="Name">Node name.</param>
/// <param name="Uri">libvirt URI.</param>
/// <param name="Reachable">Whether the last pass could read it.</param>
/// <param name="EventsConnected">Whether the libvirt event connection is up (domain events, keep-alive).</param>
/// <param name="LastError">The last error reading it or keeping the event connection.</param>
public sealed record NodeStatus(string Name, string Uri, bool Reachable, bool EventsConnected, string? LastError);

/// <summary>One managed resource.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Kind">Resource kind.</param>
/// <param name="Name">Resource name.</param>
/// <param name="State">Summary: Ready, Reconciling, Stalled, Drifted or Suspended.</param>
/// <param name="Reason">Reason of the summary.</param>
/// <param name="Message">Detail.</param>
/// <param name="Conditions">Ready, Reconciling and Stalled.</param>
/// <param name="LastAppliedRevision">The source revision recorded in the domain's metadata.</param>
/// <param name="LastError">The last error applying it, if its last attempt failed.</param>
/// <param name="PendingRestart">Fields applied to the definition that the running guest gets at its next boot.</param>
/// <param name="Drifted">True while live state differs from the spec behind the controller's back.</param>
/// <param name="Failures">Consecutive failed attempts.</param>
/// <param name="NextRetryAt">When it is retried, while backing off.</param>
/// <param name="LastTransitionAt">When the summary state last changed.</param>
/// <param name="LastFailureAt">When its last attempt failed, while it backs off (<see cref="NextRetryAt"/> minus this is the current retry delay).</param>
/// <param name="PruneAt">For a removal pending (reason <c>PrunePending</c>): when it is due if the source stays unchanged.</param>
public sealed record ResourceStatus(
    string Node,
    string Kind,
    string Name,
    string State,
    string Reason,
    string? Message,
    IReadOnlyList<Condition> Conditions,
    string? LastAppliedRevision,
    string? LastError,
    IReadOnlyList<string> PendingRestart,
    bool Drifted,
    int Failures,
    DateTimeOffset? NextRetryAt,
    DateTimeOffset LastTransitionAt,
    DateTimeOffset? LastFailureAt = null,
    DateTimeOffset? PruneAt = null)
{
    /// <summary>For a domain: what its guest last showed (state, GuestReady, addresses); null until read, and for other kinds.</summary>
    public GuestStatusInfo? Guest { get; init; }

    /// <summary>For a domain with spec.snapshots or snapshotBeforeUpdate: Reconciler's snapshots of it and its schedule's last outcome; null otherwise and until the schedule's first round.</summary>
    public SnapshotsStatus? Snapshots { get; init; }
}

/// <summary>One address of a guest as <c>/status</c> shows it.</summary>
/// <param name="Address">The address.</param>
/// <param name="Prefix">Its prefix length.</param>
/// <param name="Source">lease, agent or arp.</param>
/// <param name="Mac">The interface's MAC address, if the source gives it.</param>
/// <param name="Interface">The interface's name as the source gives it.</param>
public sealed record GuestAddressStatus(string Address, int Prefix, string Source, string? Mac, string Interface);

/// <summary>What the controller last read about a domain's guest (apart from the pass: see <c>GuestWatchService</c>).</summary>
/// <param name="State">running, stopped, paused, missing, unreachable…</param>
/// <param name="Readiness">The domain's spec.readiness (running when none).</param>
/// <param name="Ready">Guest ready: true, false, or null when it cannot be told.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Address">The address to reach it at (the first trusted one), or null.</param>
/// <param name="Addresses">Every address, in order of trust (lease, agent, arp).</param>
/// <param name="Skipped">Sources that errored, as <c>source: error</c>.</param>
/// <param name="CheckedAt">When it was read.</param>
/// <param name="Since">Since when <paramref name="Ready"/> has had its value (as the controller saw it).</param>
public sealed record GuestStatusInfo(string State, string Readiness, bool? Ready, string Reason, string? Address,
    IReadOnlyList<GuestAddressStatus> Addresses, IReadOnlyList<string> Skipped, DateTimeOffset CheckedAt, DateTimeOffset Since);

/// <summary>Domain removals held as a mass removal, waiting for <c>reconcile approve-prune REVISION</c>.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Revision">The revision whose removals are held (what approve-prune names).</param>
/// <param name="Count">How many removals are held.</param>
/// <param name="Owned">How many domains the source owns on the node.</param>
/// <param name="Names">The domains that would be removed.</param>
public sealed record HeldPruneStatus(string Node, string Revision, int Count, int Owned, IReadOnlyList<string> Names);

/// <summary>The last pass.</summary>
/// <param name="At">When it ended.</param>
/// <param name="Revision">The revision it reconciled.</param>
/// <param name="DurationSeconds">How long it took.</param>
/// <param name="Changes">Changes planned.</param>
/// <param name="Applied">Changes applied successfully.</param>
/// <param name="Error">Why the pass itself failed, if it did.</param>
public sealed record PassStatus(DateTimeOffset At, string? Revision, double DurationSeconds, int Changes, int Applied, string? Error);

/// <summary>Leader election as this replica sees it.</summary>
/// <param name="Identity">This replica's identity in the Lease.</param>
/// <param name="Leading">True while this replica holds the Lease and may change things.</param>
/// <param name="Leader">The holder last observed, if any.</param>
public sealed record LeadershipStatus(string Identity, bool Leading, string? Leader);

/// <summary>What <c>GET /status</c> returns (and <c>reconcile status</c> prints).</summary>
/// <param name="Version">Format version of this document.</param>
/// <param name="Ready">True after the first successful sync.</param>
/// <param name="Suspended">True when changes are suspended.</param>
/// <param name="DriftMode">correct or report (global default).</param>
/// <param name="Source">The source.</param>
/// <param name="Nodes">The nodes.</param>
/// <param name="LastPass">The last pass, if any.</param>
/// <param name="Resources">Managed resources, by node and name.</param>
public sealed record StatusDocument(
    int Version,
    bool Ready,
    bool Suspended,
    string DriftMode,
    SourceStatus Source,
    IReadOnlyList<NodeStatus> Nodes,
    PassStatus? LastPass,
    IReadOnlyList<ResourceStatus> Resources)
{
    /// <summary>Leader election, when enabled (<c>--leader-elect</c>); null otherwise.</summary>
    public LeadershipStatus? Leadership { get; init; }

    /// <summary>Mass removals held by the last pass, by node; empty when none.</summary>
    public IReadOnlyList<HeldPruneStatus> HeldPrunes { get; init; } = [];

    /// <summary>JSON options for the document: camelCase, indented, nulls kept.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Serializes the document.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a document.</summary>
    public static StatusDocument? Parse(string json) => JsonSerializer.Deserialize<StatusDocument>(json, Json);
}
