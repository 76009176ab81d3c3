using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// How a domain boots and what it is given beside: <c>spec.boot</c> (direct kernel boot — kernel,
/// initrd and command line are declared fields of <c>&lt;os&gt;</c> — and the boot order),
/// <c>spec.tpm</c> (a swtpm-backed vTPM) and <c>spec.console</c> (the serial console's log). Every
/// change here takes effect at the next boot (the general rule).
/// </summary>
internal static class BootFields
{
    public static readonly IReadOnlyList<string> BootDevices = ["hd", "cdrom", "network", "fd"];
    public static readonly IReadOnlyList<string> TpmModels = ["crb", "tis"];
    public static readonly IReadOnlyList<string> TpmVersions = ["2.0", "1.2"];

    /// <summary>An absolute path on the node (the JSON Schema's form of the validator's rule).</summary>
    public const string AbsolutePath = "^/";

    /// <summary><c>spec.boot</c>: its scalars are declared fields of <c>&lt;os&gt;</c>; the order is <see cref="Order"/>.</summary>
    public static readonly ObjectDef Boot = new("Boot",
        "How the domain boots: a kernel, initrd and command line given directly (no boot loader), and the order of boot devices. Changes take effect at the next boot.",
    [
        new FieldDef("kernel", FieldType.String, "An absolute path on the node to a kernel booted directly (no boot loader, no disk needed).")
        {
            Pattern = AbsolutePath, DefaultText = "none (boot from a device)", Example = "/var/lib/libvirt/boot/vmlinuz", Xml = XmlPlace.Text("kernel"),
            Libvirt = "<os><kernel>/var/lib/libvirt/boot/vmlinuz</kernel></os>",
        },
        new FieldDef("initrd", FieldType.String, "An absolute path on the node to the initramfs of kernel; only with kernel.")
        {
            Pattern = AbsolutePath, DefaultText = "none", Example = "/var/lib/libvirt/boot/initrd.gz", Xml = XmlPlace.Text("initrd"),
            Libvirt = "<os><initrd>/var/lib/libvirt/boot/initrd.gz</initrd></os>",
        },
        new FieldDef("cmdline", FieldType.String, "The kernel command line; only with kernel.")
        {
            DefaultText = "none", Example = "\"console=ttyS0\"", Xml = XmlPlace.Text("cmdline"), Libvirt = "<os><cmdline>console=ttyS0</cmdline></os>",
        },
        new FieldDef("order", FieldType.StringList, "Boot devices, first tried first, each at most once. Not together with a disk's boot (libvirt refuses both).")
        {
            Allowed = BootDevices, DefaultText = "not managed: libvirt's default ([hd], or the disks' boot orders) is not a difference", Example = "[hd, cdrom, network]",
            Libvirt = "<os><boot dev='hd'/><boot dev='cdrom'/>…</os>",
        },
    ], xmlElement: "os");

    /// <summary><c>spec.boot</c>.</summary>
    public static readonly FieldDef BootField = new("boot", FieldType.Object, "Direct kernel boot and the boot order.")
    {
        Item = Boot, DefaultText = "boot from the disks, libvirt's order", Example = "{kernel: /var/lib/libvirt/boot/vmlinuz, cmdline: \"console=ttyS0\"}",
        Libvirt = "<os>",
    };

    public static readonly ObjectDef Tpm = new("Tpm",
        "A virtual TPM emulated by swtpm on the node (which must be installed there). Its state lives on the node in /var/lib/libvirt/swtpm/UUID/ and is kept whenever Reconciler undefines the domain.",
    [
        new FieldDef("model", FieldType.Enum, "TPM interface: crb (TPM 2.0 only) or tis.")
        {
            Allowed = TpmModels, Default = "crb", Example = "tis", Libvirt = "<tpm model='tpm-crb'>",
        },
        new FieldDef("version", FieldType.Enum, "TPM version; crb needs 2.0. Quote it in YAML (\"2.0\").")
        {
            Allowed = TpmVersions, Default = "2.0", Example = "\"1.2\"", Libvirt = "<backend type='emulator' version='2.0'/>",
        },
    ]);

    /// <summary><c>spec.tpm</c>.</summary>
    public static readonly FieldDef TpmField = new("tpm", FieldType.Object, "A virtual TPM (swtpm); unset: none (a TPM the domain has is removed at the next redefinition, its state kept on the node). Changes take effect at the next boot.")
    {
        Item = Tpm, DefaultText = "none", Example = "{model: crb, version: \"2.0\"}",
        Libvirt = "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices>",
    };

    public static readonly ObjectDef Console = new("Console",
        "The serial console (ttyS0, a pty that `virsh console` attaches to), also written to a file on the node by virtlogd.",
    [
        new FieldDef("log", FieldType.String, "An absolute path on the node the console's output is written to (root-owned, mode 0600).")
        {
            Required = true, Pattern = AbsolutePath, Example = "/var/log/reconciler/web-1.console.log", Libvirt = "<serial type='pty'><log file='/var/log/reconciler/web-1.console.log'/></serial>",
        },
        new FieldDef("append", FieldType.Boolean, "Keep what earlier boots wrote; false empties the file at each start.")
        {
            Default = false, Example = "true", Libvirt = "<log append='on'/> (off when false)",
        },
    ]);

    /// <summary><c>spec.console</c>.</summary>
    public static readonly FieldDef ConsoleField = new("console", FieldType.Object, "Capture the serial console into a file. Unset: not managed (a log set otherwise, e.g. by an xml: patch, is left as it is). Changes take effect at the next boot.")
    {
        Item = Console, DefaultText = "not managed", Example = "{log: /var/log/reconciler/web-1.console.log}", Libvirt = "<serial type='pty'><log file='…' append='off'/>",
    };

    /// <summary>
    /// <c>spec.boot.order</c>, compared as the devices joined by commas. Not written, it is not
    /// owned: libvirt's <c>&lt;boot dev='hd'/&gt;</c> default (or the disks' own orders) is never a difference.
    /// </summary>
    public static readonly DomainField Order = new(DomainPaths.Spec.Field("boot").Field("order"), Boot["order"])
    {
        Value = s => s.BootOrder is { } order ? string.Join(",", order) : null,
        Elements = ["os"],
        Render = (domain, s) =>
        {
            if (s.BootOrder is not { Count: > 0 } order) return;
            var os = XmlOrder.Ensure(domain, "os");
            // The first at libvirt's place among <os>'s children, the others right after it, in the order given.
            var last = XmlOrder.Ensure(os, "boot");
            last.SetAttributeValue("dev", order[0]);
            foreach (var dev in order.Skip(1))
            {
                var next = new XElement("boot", new XAttribute("dev", dev));
                last.AddAfterSelf(next);
                last = next;
            }
        },
        Read = (domain, s) => domain.Element("os")?.Elements("boot").Select(b => (string?)b.Attribute("dev")).OfType<string>().ToList() is { Count: > 0 } devs
            ? s with { BootOrder = devs }
            : DomainField.Keep(s, s.BootOrder, null, static (s, v) => s with { BootOrder = v }),
    };

    /// <summary><c>spec.tpm.model</c>: owned whether written or not (no TPM reads as <c>none</c>), so removing it removes the device.</summary>
    public static readonly DomainField TpmModel = new(DomainPaths.Spec.Field("tpm").Field("model"), Tpm["model"])
    {
        Value = s => s.Tpm?.Model ?? "none",
        Elements = ["devices"],
        Devices = ["tpm"],
        Render = (domain, s) =>
        {
            if (s.Tpm is not { } tpm) return;
            var element = XmlOrder.Ensure(XmlOrder.Ensure(domain, "devices"), "tpm");
            element.SetAttributeValue("model", "tpm-" + tpm.Model);
            XmlOrder.Ensure(element, "backend").SetAttributeValue("type", "emulator");
        },
        // libvirt adds detail to <backend> (its persistent_state, active PCR banks) and an alias; only the model and version are read.
        Read = (domain, s) => DomainField.Keep(s, s.Tpm,
            domain.Element("devices")?.Element("tpm") is { } tpm
                ? new TpmSpec(((string?)tpm.Attribute("model") ?? "tpm-tis") is var m && m.StartsWith("tpm-", StringComparison.Ordinal) ? m[4..] : m,
                    (string?)tpm.Element("backend")?.Attribute("version") ?? "")
                : null,
            static (s, v) => s with { Tpm = v }),
    };

    /// <summary><c>spec.tpm.version</c>; read by <see cref="TpmModel"/>.</summary>
    public static readonly DomainField TpmVersion = new(DomainPaths.Spec.Field("tpm").Field("version"), Tpm["version"])
    {
        Value = s => s.Tpm?.Version,
        Elements = ["devices"],
        Devices = ["tpm"],
        Render = (domain, s) =>
        {
            if (s.Tpm is not { } tpm) return;
            XmlOrder.Ensure(XmlOrder.Ensure(XmlOrder.Ensure(domain, "devices"), "tpm"), "backend").SetAttributeValue("version", tpm.Version);
        },
        Read = (_, s) => s,
    };

    /// <summary>
    /// <c>spec.console.log</c>: a <c>&lt;log&gt;</c> on the first serial port (the renderer's pty).
    /// Not written, it is not owned (a log added by an <c>xml:</c> patch is not a difference).
    /// </summary>
    public static readonly DomainField ConsoleLog = new(DomainPaths.Spec.Field("console").Field("log"), Console["log"])
    {
        Value = s => s.Console?.Log,
        Elements = ["devices"],
        Devices = ["serial"],
        Render = (domain, s) =>
        {
            if (s.Console is not { } console || domain.Element("devices")?.Element("serial") is not { } serial) return;
            var log = XmlOrder.Ensure(serial, "log");
            log.SetAttributeValue("file", console.Log);
            log.SetAttributeValue("append", console.Append ? "on" : "off");
        },
        Read = (domain, s) => DomainField.Keep(s, s.Console,
            domain.Element("devices")?.Element("serial")?.Element("log") is { } log && (string?)log.Attribute("file") is { } file
                ? new ConsoleSpec(file, (string?)log.Attribute("append") == "on")
                : null,
            static (s, v) => s with { Console = v }),
    };

    /// <summary><c>spec.console.append</c>; read by <see cref="ConsoleLog"/>.</summary>
    public static readonly DomainField ConsoleAppend = new(DomainPaths.Spec.Field("console").Field("append"), Console["append"])
    {
        Value = s => s.Console is { } c ? (c.Append ? "true" : "false") : null,
        Elements = ["devices"],
        Devices = ["serial"],
        Render = (_, _) => { },
        Read = (_, s) => s,
    };

    /// <summary>The bound fields, in the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Order, TpmModel, TpmVersion, ConsoleLog, ConsoleAppend];
}
