namespace Reconciler.Engine.Nodes;

/// <summary>A node to connect to: its name, URI, and for the sandbox where its state is kept.</summary>
/// <param name="Name">Node name used in specs and plans.</param>
/// <param name="Uri">libvirt connection URI.</param>
/// <param name="DomainType">Forced domain type, or null to read it from the node's capabilities.</param>
/// <param name="SandboxDirectory">For the embedded sandbox: the directory that holds its state; null otherwise.</param>
public sealed record NodeTarget(string Name, string Uri, string? DomainType = null, string? SandboxDirectory = null)
{
    /// <summary>True for the embedded test-driver sandbox.</summary>
    public bool IsSandbox => SandboxDirectory is not null;

    /// <summary>Seconds between keep-alive probes; null: no keep-alive set up by Reconciler.</summary>
    public int? KeepAliveInterval { get; init; }

    /// <summary>Unanswered probes before the connection is closed.</summary>
    public int KeepAliveCount { get; init; } = 5;

    /// <summary>The default of <see cref="ConnectTimeout"/>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long opening the connection may take before the node counts as unreachable (libvirt's
    /// open has no timeout of its own; see <see cref="NodeOpener"/>). Not applied to in-process drivers.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>Calls a read of a remote node keeps in flight (spec <c>readConcurrency</c>); null: <see cref="NodeSession.DefaultRemoteReadConcurrency"/>.</summary>
    public int? ReadConcurrency { get; init; }

    /// <summary>Where credentials are read from when connecting (names only), or null to connect without an authentication callback.</summary>
    public NodeCredentials? Credentials { get; init; }

    /// <summary>Where <see cref="Credentials"/> was written (<c>file:line</c>), for error messages.</summary>
    public string? CredentialsLocation { get; init; }

    /// <summary>
    /// Opens a connection to this node with its credentials (see <see cref="Credentials"/>);
    /// every failure is a <see cref="Libvirt.LibvirtConnectionException"/> whose message never holds a password.
    /// </summary>
    /// <param name="enableEvents">Start libvirt's event loop first (events, keep-alive, close callbacks).</param>
    public Libvirt.LibvirtConnection Connect(bool enableEvents) => NodeSession.Connect(this, enableEvents);

    /// <summary>The target of a Node spec: its URI with pkipath/authfile added, its keep-alive and credential sources.</summary>
    public static NodeTarget From(NodeSpec node, string? uriOverride = null) =>
        new(node.Name, NodeUri.Build(uriOverride ?? node.Uri, node.PkiPath, node.AuthFile), node.DomainType)
        {
            KeepAliveInterval = node.KeepAliveInterval ?? (node.KeepAliveCount is null ? null : 5),
            KeepAliveCount = node.KeepAliveCount ?? 5,
            ConnectTimeout = node.ConnectTimeout is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultConnectTimeout,
            ReadConcurrency = node.ReadConcurrency,
            Credentials = node.Credentials,
            CredentialsLocation = node.Credentials is null ? null : node.Meta.Origin.Find("spec.credentials").ToString(),
        };
}

/// <summary>
/// Decides which nodes a command talks to. Nodes in the specs win; with none, <c>--connect</c>,
/// then <c>LIBVIRT_DEFAULT_URI</c>, then the embedded sandbox kept under <c>.reconcile/</c> next to
/// the specs.
/// </summary>
public static class NodeResolver
{
    /// <summary>The name of the single node used when the specs define none.</summary>
    public const string DefaultNodeName = "default";

    /// <summary>The name of the sandbox node.</summary>
    public const string SandboxNodeName = "sandbox";

    /// <summary>Resolves the nodes for <paramref name="specs"/> loaded from <paramref name="specRoot"/>.</summary>
    public static (IReadOnlyList<NodeTarget> Nodes, IReadOnlyList<Diagnostic> Diagnostics) Resolve(
        SpecSet specs, string specRoot, string? connectOverride, string? environmentUri)
    {
        if (specs.Nodes.Count > 0)
        {
            if (connectOverride is not null)
            {
                if (specs.Nodes.Count > 1)
                {
                    return ([], [Diagnostic.Error("connect-ambiguous",
                        $"--connect cannot override {specs.Nodes.Count} nodes",
                        hint: "drop --connect, or edit spec.uri of the node you mean")]);
                }
                var only = specs.Nodes[0];
                return ([NodeTarget.From(only, connectOverride)], []);
            }
            return (specs.Nodes.Select(n => NodeTarget.From(n)).ToList(), []);
        }
        var uri = connectOverride ?? (string.IsNullOrWhiteSpace(environmentUri) ? null : environmentUri);
        if (uri is not null) return ([new NodeTarget(DefaultNodeName, uri)], []);
        var directory = Path.Combine(Path.GetFullPath(specRoot), ".reconcile");
        return ([SandboxNode.Target(directory)], []);
    }
}
