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
    ], xmlElement: "cpu");

    /// <summary><c>spec.cpu</c>.</summary>
    public static readonly FieldDef CpuField = new("cpu", FieldType.Object, "CPU mode and model.")
    {
        Item = Cpu, DefaultText = "hypervisor default", Example = "{mode: host-passthrough}", Libvirt = "<cpu>",
    };

    /// <summary>The rows of <c>spec</c> that hold declared fields, for <see cref="DeclaredFields.Domain"/>.</summary>
    public static readonly IReadOnlyList<FieldDef> Declared = [CpuField];
}
