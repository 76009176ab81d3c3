namespace Reconciler.Host.Dashboard;

/// <summary>What the dashboard's actions are allowed for the browser asking.</summary>
public enum ActionAccess
{
    /// <summary>No <c>--api-token-file</c>: every action is refused.</summary>
    Disabled,
    /// <summary>A token is configured but this browser has not signed in with it.</summary>
    SignedOut,
    /// <summary>This browser signed in with the current token.</summary>
    SignedIn,
    /// <summary>The token file cannot be read.</summary>
    Unavailable,
}

/// <summary>What every dashboard page shows around its content.</summary>
/// <param name="Status">The status document, as <c>/status</c> serves it.</param>
/// <param name="Access">Whether actions are allowed for this browser.</param>
/// <param name="ForgeryField">The name of the anti-forgery form field.</param>
/// <param name="ForgeryToken">The anti-forgery token every form posts.</param>
/// <param name="Flash">A notice about the action just taken, or null.</param>
/// <param name="Passes">Passes since the controller started.</param>
/// <param name="RuntimeSuspended">True while suspended from the dashboard or the API (not the start-up flag).</param>
/// <param name="StartupSuspended">True when started with <c>--suspend</c>.</param>
/// <param name="Interval">The resync interval, for "next resync".</param>
/// <param name="Here">The path and query of the page (where actions return to).</param>
public sealed record DashboardModel(
    StatusDocument Status,
    ActionAccess Access,
    string ForgeryField,
    string ForgeryToken,
    string? Flash,
    long Passes,
    bool RuntimeSuspended,
    bool StartupSuspended,
    TimeSpan Interval,
    string Here)
{
    /// <summary>When the periodic resync is due at the latest (the last pass plus the interval), or null before the first pass.</summary>
    public DateTimeOffset? NextResync => Status.LastPass is { } p ? p.At + Interval : null;
}

/// <summary>A node with what its held connection says about its capacity.</summary>
/// <param name="Node">The node's status.</param>
/// <param name="Domains">Managed resources on it.</param>
/// <param name="Vcpus">vCPUs its managed domains declare.</param>
/// <param name="Cpus">Host CPUs, when read.</param>
/// <param name="MemoryKiB">Host memory, when read.</param>
/// <param name="FreeKiB">Free host memory, when read.</param>
/// <param name="CapacityError">Why capacity could not be read, if it could not.</param>
public sealed record NodeView(NodeStatus Node, int Domains, int Vcpus, uint? Cpus, ulong? MemoryKiB, ulong? FreeKiB, string? CapacityError);

/// <summary>The resources table's filter, sort and search (the query string of <c>/resources</c>).</summary>
/// <param name="Node">Only this node (empty: all).</param>
/// <param name="Kind">Only this kind.</param>
/// <param name="Condition">Only this state (Ready, Drifted…), or <c>attention</c> for anything not Ready.</param>
/// <param name="Label">Only resources with this label, <c>key=value</c> or just <c>key</c>.</param>
/// <param name="Search">Text searched in name, node, state, reason, message and address.</param>
/// <param name="Sort">name, node, kind, state or revision.</param>
/// <param name="Descending">Sort in descending order.</param>
public sealed record ResourceQuery(string Node, string Kind, string Condition, string Label, string Search, string Sort, bool Descending)
{
    /// <summary>No filter, sorted by name.</summary>
    public static readonly ResourceQuery None = new("", "", "", "", "", "name", false);

    /// <summary>True when any filter narrows the table.</summary>
    public bool Narrows => Node.Length + Kind.Length + Condition.Length + Label.Length + Search.Length > 0;

    /// <summary>The query string of this query with <paramref name="sort"/> (toggling the direction when it is already the sort).</summary>
    public string SortLink(string sort)
    {
        var q = this with { Sort = sort, Descending = Sort == sort && !Descending };
        return "/resources" + q.QueryString();
    }

    /// <summary>This query as a query string (empty parts left out), starting with <c>?</c>.</summary>
    public string QueryString()
    {
        var parts = new List<string>();
        void Add(string key, string value)
        {
            if (value.Length > 0) parts.Add(key + "=" + Uri.EscapeDataString(value));
        }
        Add("node", Node);
        Add("kind", Kind);
        Add("condition", Condition);
        Add("label", Label);
        Add("q", Search);
        if (Sort != "name") Add("sort", Sort);
        if (Descending) Add("dir", "desc");
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}

/// <summary>The resources page.</summary>
/// <param name="Query">The filter in force.</param>
/// <param name="Rows">The resources it lets through, sorted.</param>
/// <param name="Total">All resources.</param>
/// <param name="Nodes">Node names, for the filter.</param>
/// <param name="Kinds">Kinds present, for the filter.</param>
/// <param name="Labels">Labels of each resource (by node and name), from the revision in force.</param>
public sealed record ResourcesView(ResourceQuery Query, IReadOnlyList<ResourceStatus> Rows, int Total, IReadOnlyList<string> Nodes,
    IReadOnlyList<string> Kinds, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Labels);

/// <summary>One resource's page.</summary>
/// <param name="Resource">Its status.</param>
/// <param name="SpecYaml">Its manifest as written in the revision in force, or null.</param>
/// <param name="SpecWhere">Where the manifest is (file:line), or why it is not shown.</param>
/// <param name="Diff">The last change planned for it since the controller started, or null.</param>
/// <param name="Events">Its recent events, newest first.</param>
/// <param name="Xml">The live libvirt XML, or null.</param>
/// <param name="XmlError">Why the XML is not shown.</param>
public sealed record ResourceView(ResourceStatus Resource, string? SpecYaml, string SpecWhere, ResourceDiff? Diff, IReadOnlyList<ResourceEvent> Events,
    string? Xml, string? XmlError);
