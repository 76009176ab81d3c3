namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Node</c> kind: one libvirt connection.</summary>
internal sealed class NodeKind() : KindHandler(nameof(ResourceKind.Node), SpecDef)
{
    public static readonly IReadOnlyList<string> DomainTypes = BoundFields.DomainTypes;

    public static readonly ObjectDef CredentialsDef = new("NodeCredentials",
        "Where the credentials libvirt asks for while connecting (SASL user name and password) are read from, when the connection is opened. Only names of environment variables and files are in the spec, never the password.",
    [
        new FieldDef("username", FieldType.String, "The user name to authenticate as (not a secret).")
        {
            Example = "reconciler", Libvirt = "VIR_CRED_AUTHNAME / VIR_CRED_USERNAME",
        },
        new FieldDef("usernameEnv", FieldType.String, "An environment variable of the Reconciler process holding the user name (instead of username).")
        {
            Example = "HV1_USER", Libvirt = "VIR_CRED_AUTHNAME / VIR_CRED_USERNAME",
        },
        new FieldDef("passwordFile", FieldType.String, "A file whose content is the password (one trailing newline is ignored), e.g. a mounted Kubernetes Secret key.")
        {
            Example = "/run/secrets/hv1-password", Libvirt = "VIR_CRED_PASSPHRASE",
        },
        new FieldDef("passwordEnv", FieldType.String, "An environment variable of the Reconciler process holding the password.")
        {
            Example = "HV1_PASSWORD", Libvirt = "VIR_CRED_PASSPHRASE",
        },
    ], [["passwordFile", "passwordEnv"]]);

    public static readonly ObjectDef SpecDef = new("NodeSpec", "How to reach a hypervisor host.",
    [
        new FieldDef("uri", FieldType.String,
            "libvirt connection URI. Schemes: qemu, qemu+ssh, qemu+tls, qemu+tcp, qemu+unix, qemu+libssh, qemu+libssh2, qemu+ext, test, test+<transport>.")
        {
            Required = true, Example = "qemu+ssh://root@hv1.example.org/system", Libvirt = "virConnectOpen(uri)",
        },
        new FieldDef("domainType", FieldType.Enum,
            "Domain type for new domains on this node; when unset, kvm if the node offers it, else qemu.")
        {
            Allowed = DomainTypes, DefaultText = "from the node's capabilities", Example = "kvm", Libvirt = "<domain type='kvm'>",
        },
        new FieldDef("pkiPath", FieldType.String,
            "Directory with the TLS client files cacert.pem, clientcert.pem and clientkey.pem (for qemu+tls). Only the path is in the spec, never the certificates.")
        {
            Example = "/etc/reconciler/pki/hv1", Libvirt = "URI parameter pkipath=",
        },
        new FieldDef("authFile", FieldType.String,
            "A libvirt auth file holding SASL credentials (a [credentials-NAME] section with authname/password and an [auth-libvirt-HOST] section). Only the path is in the spec, never the credentials.")
        {
            Example = "/etc/reconciler/auth.conf", Libvirt = "URI parameter authfile=",
        },
        new FieldDef("credentials", FieldType.Object,
            "SASL credentials answered through libvirt's authentication callback (virConnectOpenAuth), read from environment variables or a file when connecting. An alternative to authFile; the password never appears in the spec, plans, status or logs.")
        {
            Item = CredentialsDef, Example = "{username: reconciler, passwordEnv: HV1_PASSWORD}", Libvirt = "virConnectOpenAuth(uri, auth callback)",
        },
        new FieldDef("keepAliveInterval", FieldType.Integer,
            "Seconds between keep-alive probes, so a node that drops off the network is noticed.")
        {
            Minimum = 1, Maximum = 3600, DefaultText = "libvirt's default (5)", Example = "5", Libvirt = "virConnectSetKeepAlive(interval)",
        },
        new FieldDef("keepAliveCount", FieldType.Integer,
            "Unanswered keep-alive probes after which the connection is closed and the node counts as unreachable.")
        {
            Minimum = 1, Maximum = 100, DefaultText = "5", Example = "3", Libvirt = "virConnectSetKeepAlive(count)",
        },
        new FieldDef("connectTimeout", FieldType.Integer,
            "Seconds opening the connection may take (TCP, TLS/SSH handshake, authentication, first reply). A node that does not answer in time is unreachable for this plan or pass: its resources are Unknown, the other nodes go on. libvirt's open has no timeout of its own, so Reconciler stops waiting for it (the late connection, if any, is closed).")
        {
            Minimum = 1, Maximum = 3600, DefaultText = "10", Example = "30", Libvirt = "virConnectOpenAuth (bounded by Reconciler)",
        },
        new FieldDef("readConcurrency", FieldType.Integer,
            "libvirt calls a read of this node keeps in flight on its connection (one thread each): a read of N domains costs about N ÷ this round trips, which is what a node far away costs. libvirtd answers them max_client_requests (default 5) at a time without extra round trips. Ignored for in-process test nodes.")
        {
            Minimum = 1, Maximum = 256, DefaultText = "32", Example = "64", Libvirt = "concurrent virDomainGetXMLDesc calls on one connection",
        },
    ]);

    public override string Description =>
        "A hypervisor host reached through a libvirt connection URI. Domains choose their node with `spec.node`; " +
        "when a spec set defines no Node, domains go to the node given on the command line (or the sandbox).";

    protected override string ExampleBody => """
        metadata:
          name: hv1
          labels: {rack: r1}
        spec:
          uri: qemu+ssh://root@hv1.example.org/system
          domainType: kvm
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context) =>
        new NodeSpec(meta, spec.Get<string>("uri") ?? "", spec.Get<string>("domainType"))
        {
            PkiPath = spec.Get<string>("pkiPath"),
            AuthFile = spec.Get<string>("authFile"),
            KeepAliveInterval = spec.Get<int?>("keepAliveInterval"),
            KeepAliveCount = spec.Get<int?>("keepAliveCount"),
            ConnectTimeout = spec.Get<int?>("connectTimeout"),
            ReadConcurrency = spec.Get<int?>("readConcurrency"),
            Credentials = spec.Get<ParsedObject>("credentials") is { } c
                ? new NodeCredentials(c.Get<string>("username"), c.Get<string>("usernameEnv"), c.Get<string>("passwordFile"), c.Get<string>("passwordEnv"))
                : null,
        };
}
