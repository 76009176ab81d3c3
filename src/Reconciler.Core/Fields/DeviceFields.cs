using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// <c>spec.iothreads</c> (a declared field), <c>spec.filesystems</c> (virtiofs shares),
/// <c>spec.video</c>, <c>spec.watchdog</c> and <c>spec.sound</c> (bound fields, see
/// <see cref="DomainField"/>). Each is owned only when written; written, <c>none</c> (or
/// <c>filesystems: []</c>) removes the device. Every change takes effect at the next boot.
/// </summary>
internal static class DeviceFields
{
    public static readonly IReadOnlyList<string> VideoModels = ["virtio", "qxl", "vga", "bochs", "ramfb", "none"];
    public static readonly IReadOnlyList<string> WatchdogModels = ["i6300esb", "ib700", "none"];
    public static readonly IReadOnlyList<string> WatchdogActions = ["reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi"];
    public static readonly IReadOnlyList<string> SoundModels = ["ich9", "ich6", "ich7", "ac97", "es1370", "sb16", "usb", "none"];

    /// <summary>A virtiofs tag: what the guest passes to <c>mount -t virtiofs</c> (at most 36 bytes).</summary>
    public const string TagPattern = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$";

    /// <summary><c>spec.iothreads</c>: a declared top-level scalar (<c>&lt;iothreads&gt;N&lt;/iothreads&gt;</c>).</summary>
    public static readonly FieldDef Iothreads = new("iothreads", FieldType.Integer, "IOThreads for virtio disks (a disk names one with iothread). A change takes effect at the next boot.")
    {
        Minimum = 1, Maximum = 1024, DefaultText = "none (disks use the main loop)", Example = "2", Xml = XmlPlace.Text("iothreads"), Libvirt = "<iothreads>2</iothreads>",
    };

    private static readonly FieldPath Video = DomainPaths.Spec.Field("video");
    private static readonly FieldPath Watchdog = DomainPaths.Spec.Field("watchdog");

    public static readonly ObjectDef FilesystemDef = new("Filesystem",
        "A host directory shared with the guest over virtiofs (libvirt starts virtiofsd for it). The guest mounts it with `mount -t virtiofs TARGET /mnt`. Any share turns on shared memfd memory backing.",
    [
        new FieldDef("source", FieldType.String, "An absolute directory on the node (no '..').")
        {
            Required = true, Pattern = BootFields.AbsolutePath, Example = "/srv/share", Libvirt = "<source dir='/srv/share'/>",
        },
        new FieldDef("target", FieldType.String, "The tag the guest mounts: a letter or digit, then up to 35 letters, digits, _ . -.")
        {
            Required = true, Pattern = TagPattern, Example = "share", Libvirt = "<target dir='share'/>",
        },
        new FieldDef("readonly", FieldType.Boolean, "Read-only share. libvirt 9.0 refuses it for virtiofs, so only false is accepted; mount it read-only in the guest instead.")
        {
            Default = false, Example = "false", Libvirt = "<readonly/>",
        },
    ]);

    public static readonly DomainField Filesystems = new(DomainPaths.Spec.Field("filesystems"),
        new FieldDef("filesystems", FieldType.ObjectList, "virtiofs shares, owned as a whole when written ([] removes every share). Turns on shared memfd memory backing. Changes take effect at the next boot.")
        {
            Item = FilesystemDef, DefaultText = "not managed", Example = "[{source: /srv/share, target: share}]",
            Libvirt = "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>…</filesystem> + <memoryBacking><source type='memfd'/><access mode='shared'/>",
        })
    {
        Value = s => s.Filesystems is { } list ? string.Join(", ", list.Select(f => $"{f.Source}→{f.Target}" + (f.ReadOnly ? " ro" : ""))) : null,
        Elements = ["devices"],
        Devices = ["filesystem"],
        Render = (domain, s) =>
        {
            if (s.Filesystems is not { Count: > 0 } list) return;
            // vhost-user-fs needs the guest's memory shared with virtiofsd.
            var backing = XmlOrder.Ensure(domain, "memoryBacking");
            XmlOrder.Ensure(backing, "source").SetAttributeValue("type", "memfd");
            XmlOrder.Ensure(backing, "access").SetAttributeValue("mode", "shared");
            var devices = XmlOrder.Ensure(domain, "devices");
            foreach (var fs in list)
            {
                XmlOrder.Append(devices, new XElement("filesystem", new XAttribute("type", "mount"), new XAttribute("accessmode", "passthrough"),
                    new XElement("driver", new XAttribute("type", "virtiofs")),
                    new XElement("source", new XAttribute("dir", fs.Source)),
                    new XElement("target", new XAttribute("dir", fs.Target)),
                    fs.ReadOnly ? new XElement("readonly") : null));
            }
        },
        // Only virtiofs mounts; 9p shares and other filesystem types are not Reconciler's.
        Read = (domain, s) => s with
        {
            Filesystems = domain.Element("devices")?.Elements("filesystem")
                .Where(f => (string?)f.Element("driver")?.Attribute("type") == "virtiofs")
                .Select(f => new FilesystemSpec((string?)f.Element("source")?.Attribute("dir") ?? "", (string?)f.Element("target")?.Attribute("dir") ?? "", f.Element("readonly") is not null))
                .ToList() ?? [],
        },
    };

    public static readonly ObjectDef VideoDef = new("Video", "The video adapter.",
    [
        new FieldDef("model", FieldType.Enum, "virtio, qxl (spice), vga, bochs, ramfb, or none (no adapter).")
        {
            Required = true, Allowed = VideoModels, Example = "virtio", Libvirt = "<video><model type='virtio'/></video>",
        },
    ]);

    public static readonly DomainField VideoModel = new(Video.Field("model"), VideoDef["model"])
    {
        Value = s => s.Video?.Model,
        Elements = ["devices"],
        Devices = ["video"],
        // Replaces the model of the adapter the renderer adds beside graphics, or adds one.
        Render = (domain, s) =>
        {
            if (s.Video is not { } video) return;
            var element = XmlOrder.Ensure(XmlOrder.Ensure(domain, "devices"), "video");
            XmlOrder.Ensure(element, "model").SetAttributeValue("type", video.Model);
        },
        // No adapter reads as none (libvirt adds none on its own for a domain without graphics).
        Read = (domain, s) => DomainField.Keep(s, s.Video,
            new VideoSpec((string?)domain.Element("devices")?.Element("video")?.Element("model")?.Attribute("type") ?? "none"),
            static (s, v) => s with { Video = v }),
    };

    public static readonly ObjectDef WatchdogDef = new("Watchdog", "A watchdog device the guest must keep feeding.",
    [
        new FieldDef("model", FieldType.Enum, "i6300esb (PCI), ib700 (ISA), or none (no watchdog).")
        {
            Required = true, Allowed = WatchdogModels, Example = "i6300esb", Libvirt = "<watchdog model='i6300esb'/>",
        },
        new FieldDef("action", FieldType.Enum, "What the host does when the watchdog fires.")
        {
            Allowed = WatchdogActions, Default = "reset", Example = "poweroff", Libvirt = "<watchdog action='reset'/>",
        },
    ]);

    public static readonly DomainField WatchdogModel = new(Watchdog.Field("model"), WatchdogDef["model"])
    {
        Value = s => s.Watchdog?.Model,
        Elements = ["devices"],
        Devices = ["watchdog"],
        Render = (domain, s) =>
        {
            if (s.Watchdog is not { Model: not "none" } watchdog) return;
            XmlOrder.Append(XmlOrder.Ensure(domain, "devices"),
                new XElement("watchdog", new XAttribute("model", watchdog.Model), new XAttribute("action", watchdog.Action)));
        },
        Read = (domain, s) => DomainField.Keep(s, s.Watchdog,
            domain.Element("devices")?.Element("watchdog") is { } w
                ? new WatchdogSpec((string?)w.Attribute("model") ?? "", (string?)w.Attribute("action") ?? "reset")
                : new WatchdogSpec("none"),
            static (s, v) => s with { Watchdog = v }),
    };

    /// <summary><c>spec.watchdog.action</c>; read by <see cref="WatchdogModel"/>, not compared for none.</summary>
    public static readonly DomainField WatchdogAction = new(Watchdog.Field("action"), WatchdogDef["action"])
    {
        Value = s => s.Watchdog is { Model: not "none" } w ? w.Action : null,
        Elements = ["devices"],
        Devices = ["watchdog"],
        Render = (_, _) => { },
        Read = (_, s) => s,
    };

    public static readonly ObjectDef SoundDef = new("Sound", "A sound card (its audio goes nowhere unless graphics carry it).",
    [
        new FieldDef("model", FieldType.Enum, "ich9 (q35), ich6, ich7, ac97, es1370, sb16, usb, or none (no card).")
        {
            Required = true, Allowed = SoundModels, Example = "ich9", Libvirt = "<sound model='ich9'/>",
        },
    ]);

    public static readonly DomainField SoundModel = new(DomainPaths.Spec.Field("sound").Field("model"), SoundDef["model"])
    {
        Value = s => s.Sound?.Model,
        Elements = ["devices"],
        Devices = ["sound"],
        Render = (domain, s) =>
        {
            if (s.Sound is not { Model: not "none" } sound) return;
            XmlOrder.Append(XmlOrder.Ensure(domain, "devices"), new XElement("sound", new XAttribute("model", sound.Model)));
        },
        Read = (domain, s) => DomainField.Keep(s, s.Sound,
            new SoundSpec((string?)domain.Element("devices")?.Element("sound")?.Attribute("model") ?? "none"),
            static (s, v) => s with { Sound = v }),
    };

    /// <summary><c>spec.video</c>'s row.</summary>
    public static readonly FieldDef VideoField = new("video", FieldType.Object, "The video adapter; unset: not managed (virtio beside graphics). Changes take effect at the next boot.")
    {
        Item = VideoDef, DefaultText = "virtio when graphics are on, not managed", Example = "{model: virtio}", Libvirt = "<devices><video><model type='virtio'/></video></devices>",
    };

    /// <summary><c>spec.watchdog</c>'s row.</summary>
    public static readonly FieldDef WatchdogField = new("watchdog", FieldType.Object, "A watchdog; unset: not managed (one added by an xml: patch stays), {model: none} removes it. Changes take effect at the next boot.")
    {
        Item = WatchdogDef, DefaultText = "not managed", Example = "{model: i6300esb, action: reset}", Libvirt = "<devices><watchdog model='i6300esb' action='reset'/></devices>",
    };

    /// <summary><c>spec.sound</c>'s row.</summary>
    public static readonly FieldDef SoundField = new("sound", FieldType.Object, "A sound card; unset: not managed, {model: none} removes it. Changes take effect at the next boot.")
    {
        Item = SoundDef, DefaultText = "not managed", Example = "{model: ich9}", Libvirt = "<devices><sound model='ich9'/></devices>",
    };

    /// <summary>The bound fields, in the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Filesystems, VideoModel, WatchdogModel, WatchdogAction, SoundModel];
}
