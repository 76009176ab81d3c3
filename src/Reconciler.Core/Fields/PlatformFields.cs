namespace Reconciler.Core.Fields;

/// <summary>
/// The platform settings nearly every hand-made VM carries (measured on virt-install's output):
/// power management (<c>spec.pm</c>, <c>&lt;pm&gt;</c>), the clock's offset (<c>spec.clock</c>,
/// <c>&lt;clock offset&gt;</c>) and VMware's I/O port (<c>spec.features.vmport</c>). Each is a declared
/// field: its row names its XML place, so loading, rendering, reading back, comparing and
/// importing need no code of their own. Not written, they are not owned (libvirt's default stays).
/// Changes take effect at the next boot (the general rule).
/// </summary>
internal static class PlatformFields
{
    public static readonly IReadOnlyList<string> YesNo = ["yes", "no"];
    public static readonly IReadOnlyList<string> OnOff = ["on", "off"];
    public static readonly IReadOnlyList<string> ClockOffsets = ["utc", "localtime"];

    /// <summary><c>spec.pm</c>: whether the guest may suspend to RAM or to disk (ACPI S3/S4).</summary>
    public static readonly ObjectDef Pm = new("PowerManagement",
        "ACPI suspend states offered to the guest. Quote yes and no in YAML (\"no\").",
    [
        new FieldDef("suspendToMem", FieldType.Enum, "Suspend to RAM (S3).")
        {
            Allowed = YesNo, DefaultText = "hypervisor default", Example = "\"no\"", Xml = XmlPlace.Attr("suspend-to-mem", "enabled"),
            Libvirt = "<pm><suspend-to-mem enabled='no'/></pm>",
        },
        new FieldDef("suspendToDisk", FieldType.Enum, "Suspend to disk (S4).")
        {
            Allowed = YesNo, DefaultText = "hypervisor default", Example = "\"no\"", Xml = XmlPlace.Attr("suspend-to-disk", "enabled"),
            Libvirt = "<pm><suspend-to-disk enabled='no'/></pm>",
        },
    ], xmlElement: "pm");

    /// <summary><c>spec.pm</c>.</summary>
    public static readonly FieldDef PmField = new("pm", FieldType.Object, "Power management: the ACPI suspend states the guest may use.")
    {
        Item = Pm, DefaultText = "hypervisor default", Example = "{suspendToMem: \"no\", suspendToDisk: \"no\"}", Libvirt = "<pm>",
    };

    /// <summary><c>spec.clock</c>.</summary>
    public static readonly ObjectDef Clock = new("Clock", "The guest's real-time clock.",
    [
        new FieldDef("offset", FieldType.Enum, "utc (Linux guests) or localtime (Windows guests).")
        {
            Allowed = ClockOffsets, Default = "utc", Example = "localtime", Xml = XmlPlace.Attr("offset"), Libvirt = "<clock offset='localtime'/>",
        },
        GuestPlatformFields.TimersField,
    ], xmlElement: "clock");

    /// <summary><c>spec.clock</c>.</summary>
    public static readonly FieldDef ClockField = new("clock", FieldType.Object, "The guest's clock.")
    {
        Item = Clock, DefaultText = "{offset: utc}", Example = "{offset: localtime}", Libvirt = "<clock>",
    };

    /// <summary><c>spec.features</c>.</summary>
    public static readonly ObjectDef Features = new("Features", "Hypervisor features beyond ACPI and APIC (which are always on).",
    [
        new FieldDef("vmport", FieldType.Enum, "Emulate VMware's I/O port (virt-install turns it off with spice). Quote on and off in YAML.")
        {
            Allowed = OnOff, DefaultText = "hypervisor default", Example = "\"off\"", Xml = XmlPlace.Attr("vmport", "state"), Libvirt = "<features><vmport state='off'/></features>",
        },
        GuestPlatformFields.HypervField,
    ], xmlElement: "features");

    /// <summary><c>spec.features</c>.</summary>
    public static readonly FieldDef FeaturesField = new("features", FieldType.Object, "Hypervisor features.")
    {
        Item = Features, DefaultText = "acpi and apic on", Example = "{vmport: \"off\"}", Libvirt = "<features>",
    };
}
