using Reconciler.Core.Model;
using Reconciler.Specs.Fields;
using Reconciler.Specs.Parsing;

namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Node</c> kind: one libvirt connection.</summary>
internal sealed class NodeKind : KindHandler
{
    public static readonly IReadOnlyList<string> DomainTypes = ["kvm", "qemu", "test"];

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
    ]);

    public override string Kind => nameof(ResourceKind.Node);

    public override string Description =>
        "A hypervisor host reached through a libvirt connection URI. Domains choose their node with `spec.node`; " +
        "when a spec set defines no Node, domains go to the node given on the command line (or the sandbox).";

    public override ObjectDef Spec => SpecDef;

    public override string Example => """
        apiVersion: reconciler/v1
        kind: Node
        metadata:
          name: hv1
          labels: {rack: r1}
        spec:
          uri: qemu+ssh://root@hv1.example.org/system
          domainType: kvm
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context) =>
        new NodeSpec(meta, spec.Get<string>("uri") ?? "", spec.Get<string>("domainType"));
}
