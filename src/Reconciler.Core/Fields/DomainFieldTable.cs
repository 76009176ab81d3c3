namespace Reconciler.Core.Fields;

/// <summary>
/// The Domain rows that the renderer, the live-XML reader and the planner read as well as the
/// loader: the objects that map to a libvirt element and their declared fields. The Domain kind's
/// table (Reconciler.Specs' DomainKind) places these rows among its own. Adding a declared field
/// is adding its row here (see docs/architecture.md, "Adding a field").
/// </summary>
internal static class DomainFieldTable
{
    public static readonly IReadOnlyList<string> CpuModes = ["host-model", "host-passthrough", "maximum", "custom"];

    /// <summary><c>spec.cpu.topology</c>: how the vCPUs are laid out as sockets, cores and threads.</summary>
    public static readonly ObjectDef Topology = new("CpuTopology",
        "How the guest sees its vCPUs: sockets × cores × threads must equal maxVcpus (vcpus when maxVcpus is not set).",
    [
        new FieldDef("sockets", FieldType.Integer, "CPU sockets.")
        {
            Required = true, Minimum = 1, Maximum = 4096, Example = "1", Xml = XmlPlace.Attr("sockets"), Libvirt = "<topology sockets='1'/>",
        },
        new FieldDef("cores", FieldType.Integer, "Cores per socket.")
        {
            Required = true, Minimum = 1, Maximum = 4096, Example = "2", Xml = XmlPlace.Attr("cores"), Libvirt = "<topology cores='2'/>",
        },
        new FieldDef("threads", FieldType.Integer, "Threads per core.")
        {
            Required = true, Minimum = 1, Maximum = 4096, Example = "2", Xml = XmlPlace.Attr("threads"), Libvirt = "<topology threads='2'/>",
        },
    ], xmlElement: "topology");

    public static readonly ObjectDef Cpu = new("Cpu", "CPU model exposed to the guest.",
    [
        new FieldDef("mode", FieldType.Enum, "CPU mode; unset means the hypervisor default.")
        {
            Allowed = CpuModes, DefaultText = "hypervisor default", Example = "host-model", Libvirt = "<cpu mode='host-model'/>",
        },
        new FieldDef("model", FieldType.String, "CPU model name; required with (and only allowed with) mode custom.")
        {
            Pattern = Patterns.Token, Example = "Skylake-Server", Libvirt = "<cpu mode='custom'><model>Skylake-Server</model></cpu>",
        },
        CpuFields.Fallback.Row,
        CpuFields.Features.Row,
        new FieldDef("topology", FieldType.Object, "Sockets, cores and threads; changing it takes effect at the next boot.")
        {
            Item = Topology, DefaultText = "libvirt's default (one socket per vCPU)", Example = "{sockets: 1, cores: 2, threads: 2}", Libvirt = "<cpu><topology sockets='1' cores='2' threads='2'/></cpu>",
        },
        CpuFields.PinningField,
        CpuFields.Numa.Row,
    ], xmlElement: "cpu");

    /// <summary><c>spec.cpu</c>.</summary>
    public static readonly FieldDef CpuField = new("cpu", FieldType.Object, "CPU mode, model, features, topology, pinning and NUMA cells.")
    {
        Item = Cpu, DefaultText = "hypervisor default", Example = "{mode: host-passthrough}", Libvirt = "<cpu>",
    };

    public static readonly IReadOnlyList<string> NumaTuneModes = ["strict", "preferred", "interleave", "restrictive"];

    /// <summary><c>spec.numaTune</c>: which host NUMA nodes the guest's memory comes from.</summary>
    public static readonly ObjectDef NumaTune = new("NumaTune",
        "Host NUMA memory policy: which host nodes the guest's memory is allocated from; changing it takes effect at the next boot.",
    [
        new FieldDef("mode", FieldType.Enum, "strict: only from nodeset (fail otherwise); preferred: from nodeset when possible; interleave: round-robin over nodeset; restrictive: like strict, enforced by cgroups only.")
        {
            Allowed = NumaTuneModes, Default = "strict", Example = "preferred", Xml = XmlPlace.Attr("memory", "mode"), Libvirt = "<numatune><memory mode='strict'/></numatune>",
        },
        new FieldDef("nodeset", FieldType.String, "The host NUMA nodes, as a cpuset of node numbers (0, 0-1, 0,2).")
        {
            Required = true, Pattern = CpuSet.Pattern, Normalize = CpuSet.Canonical, Example = "\"0\"", Xml = XmlPlace.Attr("memory", "nodeset"), Libvirt = "<numatune><memory nodeset='0'/></numatune>",
        },
    ], xmlElement: "numatune");

    /// <summary><c>spec.numaTune</c>.</summary>
    public static readonly FieldDef NumaTuneField = new("numaTune", FieldType.Object, "Host NUMA memory policy.")
    {
        Item = NumaTune, DefaultText = "libvirt's default (no policy)", Example = "{mode: strict, nodeset: \"0\"}", Libvirt = "<numatune><memory mode='strict' nodeset='0'/></numatune>",
    };

    /// <summary>The rows of <c>spec</c> that hold declared fields, for <see cref="DeclaredFields.Domain"/>.</summary>
    public static readonly IReadOnlyList<FieldDef> Declared = [CpuField, NumaTuneField, BootFields.BootField, DeviceFields.Iothreads, PlatformFields.PmField, PlatformFields.ClockField, PlatformFields.FeaturesField, GuestPlatformFields.UsbControllerField, GuestPlatformFields.ScsiControllerField, GuestPlatformFields.Osinfo];
}
