using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// What virt-install writes into nearly every definition besides the devices (measured on the import
/// corpus): the clock's timers (<c>spec.clock.timers</c>), Hyper-V enlightenments for Windows guests
/// (<c>spec.features.hyperv</c>), the USB controller's model and ports (<c>spec.usbController</c>) and
/// the SCSI controller's model (<c>spec.scsiController</c>), the libosinfo OS id (<c>spec.osinfo</c>, kept in <c>&lt;metadata&gt;</c>). Each is a declared
/// field: its row names its XML place. Not written, it is not owned (libvirt's default stays).
/// Changes take effect at the next boot (the general rule), except <c>osinfo</c>, which the guest
/// never sees.
/// </summary>
internal static class GuestPlatformFields
{
    public static readonly IReadOnlyList<string> TickPolicies = ["delay", "catchup", "merge", "discard"];
    public static readonly IReadOnlyList<string> UsbModels = ["qemu-xhci", "nec-xhci", "piix3-uhci", "piix4-uhci", "ich9-ehci1", "ehci"];

    /// <summary>An OS id of the libosinfo database (what virt-install and virt-manager record).</summary>
    public const string OsinfoPattern = "^https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%+-]+)*/?$";

    private static FieldDef Tick(string name, string description) => new(name, FieldType.Enum, description)
    {
        Allowed = TickPolicies, DefaultText = "hypervisor default", Example = name == "pit" ? "delay" : "catchup",
        Xml = XmlPlace.Attr($"timer[@name='{name}']", "tickpolicy"), Libvirt = $"<clock><timer name='{name}' tickpolicy='…'/></clock>",
    };

    private static FieldDef Present(string name, string description) => new(name, FieldType.Enum, description + " Quote yes and no in YAML.")
    {
        Allowed = PlatformFields.YesNo, DefaultText = "hypervisor default", Example = name == "hpet" ? "\"no\"" : "\"yes\"",
        Xml = XmlPlace.Attr($"timer[@name='{name}']", "present"), Libvirt = $"<clock><timer name='{name}' present='no'/></clock>",
    };

    /// <summary><c>spec.clock.timers</c>: each timer libvirt knows, by name, in virt-install's order.</summary>
    public static readonly ObjectDef Timers = new("ClockTimers",
        "The guest's timers (virt-install writes {rtc: catchup, pit: delay, hpet: \"no\"}; Windows guests add hypervclock: \"yes\"). A timer not written is the hypervisor's default.",
    [
        Tick("rtc", "What the real-time clock does with ticks the guest missed: catchup (deliver them faster), delay, merge, discard."),
        Tick("pit", "The same for the i8254 programmable interval timer."),
        Present("hpet", "Whether the guest sees an HPET."),
        Present("kvmclock", "Whether the guest sees the KVM paravirtual clock."),
        Present("hypervclock", "Whether a Windows guest sees the Hyper-V reference clock (needs features.hyperv)."),
    ], xmlElement: "");

    /// <summary><c>spec.clock.timers</c>.</summary>
    public static readonly FieldDef TimersField = new("timers", FieldType.Object, "The guest's timers, by name.")
    {
        Item = Timers, DefaultText = "hypervisor default", Example = "{rtc: catchup, pit: delay, hpet: \"no\"}", Libvirt = "<clock><timer name='rtc' tickpolicy='catchup'/>…</clock>",
    };

    private static FieldDef Enlightenment(string name, string description) => new(name, FieldType.Enum, description + " Quote on and off in YAML.")
    {
        Allowed = PlatformFields.OnOff, DefaultText = "off", Example = "\"on\"",
        Xml = XmlPlace.Attr(name, "state"), Libvirt = $"<features><hyperv><{name} state='on'/></hyperv></features>",
    };

    /// <summary><c>spec.features.hyperv</c>: what virt-install turns on for Windows guests.</summary>
    public static readonly ObjectDef Hyperv = new("HypervFeatures",
        "Hyper-V enlightenments for Windows guests (virt-install writes {relaxed: \"on\", vapic: \"on\", spinlocks: \"on\", spinlockRetries: 8191}).",
    [
        Enlightenment("relaxed", "Relaxed timing: the guest does not bugcheck on timer delays."),
        Enlightenment("vapic", "The paravirtual APIC."),
        Enlightenment("spinlocks", "Paravirtual spinlocks (spinlockRetries says after how many tries the guest yields)."),
        new FieldDef("spinlockRetries", FieldType.Integer, "Spinlock tries before the guest notifies the hypervisor; with spinlocks: \"on\".")
        {
            Minimum = 4095, Maximum = int.MaxValue, DefaultText = "hypervisor default", Example = "8191",
            Xml = XmlPlace.Attr("spinlocks", "retries"), Libvirt = "<hyperv><spinlocks state='on' retries='8191'/></hyperv>",
        },
    ], xmlElement: "hyperv");

    /// <summary><c>spec.features.hyperv</c>.</summary>
    public static readonly FieldDef HypervField = new("hyperv", FieldType.Object, "Hyper-V enlightenments (Windows guests).")
    {
        Item = Hyperv, DefaultText = "none", Example = "{relaxed: \"on\", vapic: \"on\", spinlocks: \"on\", spinlockRetries: 8191}", Libvirt = "<features><hyperv>",
    };

    /// <summary><c>spec.usbController</c>: the first USB controller's model and ports.</summary>
    public static readonly ObjectDef UsbController = new("UsbController",
        "The USB controller's model and port count (virt-install writes {model: qemu-xhci, ports: 15}); not written: libvirt's default controller. spec.devices.usb: false removes the controller instead.",
    [
        new FieldDef("model", FieldType.Enum, "The controller model.")
        {
            Required = true, Allowed = UsbModels, Example = "qemu-xhci", Xml = XmlPlace.Attr("model"), Libvirt = "<controller type='usb' model='qemu-xhci'/>",
        },
        new FieldDef("ports", FieldType.Integer, "USB ports of an xhci controller.")
        {
            Minimum = 1, Maximum = 15, DefaultText = "the model's default", Example = "15", Xml = XmlPlace.Attr("ports"), Libvirt = "<controller type='usb' ports='15'/>",
        },
        new FieldDef("companions", FieldType.Boolean, "The three USB 1 companion controllers of an ich9-ehci1 (virt-install's USB 2 set for older guests, e.g. Windows 7 and FreeBSD); only with model: ich9-ehci1.")
        {
            DefaultText = "not managed", Example = "true",
            Libvirt = "<controller type='usb' model='ich9-uhci1'><master startport='0'/></controller> and uhci2, uhci3 at ports 2, 4",
        },
    ], xmlElement: "devices/controller[@type='usb']");

    public static readonly IReadOnlyList<string> ScsiModels = ["virtio-scsi", "lsilogic", "lsisas1068", "lsisas1078", "buslogic", "vmpvscsi"];

    /// <summary><c>spec.scsiController</c>: the SCSI controller's model (the disks on bus scsi sit on it).</summary>
    public static readonly ObjectDef ScsiController = new("ScsiController",
        "The SCSI controller of the disks on bus scsi (virt-install writes {model: virtio-scsi}); not written: libvirt adds one of its default model (lsilogic on x86) when a disk needs it.",
    [
        new FieldDef("model", FieldType.Enum, "The controller model; virtio-scsi is the paravirtual one.")
        {
            Required = true, Allowed = ScsiModels, Example = "virtio-scsi", Xml = XmlPlace.Attr("model"), Libvirt = "<controller type='scsi' model='virtio-scsi'/>",
        },
    ], xmlElement: "devices/controller[@type='scsi']");

    /// <summary><c>spec.scsiController</c>.</summary>
    public static readonly FieldDef ScsiControllerField = new("scsiController", FieldType.Object, "The SCSI controller's model.")
    {
        Item = ScsiController, DefaultText = "libvirt's default, when a disk is on bus scsi", Example = "{model: virtio-scsi}", Libvirt = "<devices><controller type='scsi' model='virtio-scsi'/></devices>",
    };

    /// <summary>The companion models of an ich9-ehci1, in order, each with its first port on the EHCI.</summary>
    public static readonly IReadOnlyList<(string Model, string StartPort)> Companions = [("ich9-uhci1", "0"), ("ich9-uhci2", "2"), ("ich9-uhci3", "4")];

    /// <summary>
    /// <c>spec.usbController.companions</c>: rendered right after the USB controller (libvirt gives
    /// them its index); read as true when the live definition has the first of them. Not written, not owned.
    /// </summary>
    public static readonly DomainField UsbCompanions = new(DomainPaths.Spec.Field("usbController").Field("companions"), UsbController["companions"])
    {
        Value = s => s.UsbCompanions is { } on ? (on ? "true" : "false") : null,
        Elements = ["devices"],
        Devices = ["controller"],
        Render = (domain, s) =>
        {
            if (s.UsbCompanions != true) return;
            // The declared model and ports are written into this controller afterwards (the first USB controller).
            var last = XmlStep.Ensure(XmlOrder.Ensure(domain, "devices"), "controller[@type='usb']");
            foreach (var (model, port) in Companions)
            {
                var companion = new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", model), new XElement("master", new XAttribute("startport", port)));
                last.AddAfterSelf(companion);
                last = companion;
            }
        },
        Read = (domain, s) => DomainField.Keep(s, s.UsbCompanions,
            domain.Element("devices")?.Elements("controller").Any(c => (string?)c.Attribute("type") == "usb" && (string?)c.Attribute("model") == Companions[0].Model) == true,
            static (s, v) => s with { UsbCompanions = v }),
    };

    /// <summary>The bound fields, in the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [UsbCompanions];

    /// <summary><c>spec.usbController</c>.</summary>
    public static readonly FieldDef UsbControllerField = new("usbController", FieldType.Object, "The USB controller's model and ports.")
    {
        Item = UsbController, DefaultText = "libvirt's default (qemu-xhci on q35)", Example = "{model: qemu-xhci, ports: 15}", Libvirt = "<devices><controller type='usb' model='qemu-xhci' ports='15'/></devices>",
    };

    /// <summary><c>spec.osinfo</c>: the guest OS as libosinfo names it, kept where virt-install and virt-manager keep it.</summary>
    public static readonly FieldDef Osinfo = new("osinfo", FieldType.String, "The guest OS's libosinfo id (osinfo-query os shows them), recorded in the domain's metadata for virt-manager and virt-install; the guest never sees it.")
    {
        Pattern = OsinfoPattern, DefaultText = "none", Example = "http://debian.org/debian/12",
        Xml = XmlPlace.Attr("metadata/libosinfo:libosinfo/libosinfo:os", "id"), Change = Planning.Disruption.None,
        Libvirt = "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='…'/></libosinfo:libosinfo></metadata>",
    };
}
