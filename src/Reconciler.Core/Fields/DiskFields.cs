using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// The fields of one disk (<c>spec.disks[i]</c>, a <c>&lt;devices&gt;&lt;disk&gt;</c>), each declared once
/// (see <see cref="ItemField{T}"/>). The renderer passes a disk whose bus, format and target are
/// already resolved (defaults, carry-over from the live definition, assignment in order).
/// </summary>
internal static class DiskFields
{
    public static readonly IReadOnlyList<string> Buses = ["virtio", "sata", "scsi", "ide", "usb"];
    public static readonly IReadOnlyList<string> CdromBuses = ["sata", "scsi", "ide", "usb"];
    public static readonly IReadOnlyList<string> Formats = ["qcow2", "raw"];

    public static readonly ItemField<DiskSpec> Path = new(
        new FieldDef("path", FieldType.String, "Absolute path of a file or block device on the node.")
        {
            Example = "/var/lib/libvirt/images/web-1.qcow2", Libvirt = "<disk type='file'><source file='…'/> (type='block', <source dev='…'/> under /dev/)",
        })
    {
        Value = d => d.Path,
        Render = (disk, d) =>
        {
            if (d.Volume is not null || d.Path is not { } path) return;
            var block = path.StartsWith("/dev/", StringComparison.Ordinal);
            disk.SetAttributeValue("type", block ? "block" : "file");
            XmlOrder.Ensure(disk, "source").SetAttributeValue(block ? "dev" : "file", path);
        },
        // Disks other than file, block, dir or volume keep their place with no source.
        Read = (disk, d) => d with
        {
            Path = (string?)disk.Attribute("type") switch
            {
                "file" or null => (string?)disk.Element("source")?.Attribute("file"),
                "block" => (string?)disk.Element("source")?.Attribute("dev"),
                "dir" => (string?)disk.Element("source")?.Attribute("dir"),
                _ => null,
            },
        },
    };

    public static readonly ItemField<DiskSpec> Volume = new(
        new FieldDef("volume", FieldType.String, "A storage volume name (instead of path).")
        {
            Pattern = Patterns.Token, Example = "web-1-root", Libvirt = "<disk type='volume'><source pool='…' volume='…'/>",
        })
    {
        Value = d => d.Volume,
        Render = (disk, d) =>
        {
            if (d.Volume is not { } volume) return;
            disk.SetAttributeValue("type", "volume");
            var source = XmlOrder.Ensure(disk, "source");
            source.SetAttributeValue("pool", d.Pool);
            source.SetAttributeValue("volume", volume);
        },
        Read = (disk, d) => d with { Volume = VolumeSource(disk, "volume") },
    };

    public static readonly ItemField<DiskSpec> Pool = new(
        new FieldDef("pool", FieldType.String, "The storage pool of volume (only with volume).")
        {
            Pattern = Patterns.Token, Example = "default", Libvirt = "<source pool='…'/>",
        })
    {
        // Written by Volume, before the volume attribute as libvirt orders them.
        Value = d => d.Volume is null ? null : d.Pool,
        Render = (_, _) => { },
        Read = (disk, d) => d with { Pool = VolumeSource(disk, "pool") },
    };

    public static readonly ItemField<DiskSpec> Device = new(
        new FieldDef("device", FieldType.Enum, "disk or cdrom.")
        {
            Allowed = ["disk", "cdrom"], Default = "disk", Example = "cdrom", Libvirt = "<disk device='cdrom'>",
        })
    {
        Value = d => d.Device.ToString().ToLowerInvariant(),
        Render = (disk, d) => disk.SetAttributeValue("device", d.Device == DiskDevice.Cdrom ? "cdrom" : "disk"),
        Read = (disk, d) => d with { Device = (string?)disk.Attribute("device") == "cdrom" ? DiskDevice.Cdrom : DiskDevice.Disk },
    };

    public static readonly ItemField<DiskSpec> Bus = new(
        new FieldDef("bus", FieldType.Enum, "Bus the disk is attached to (cdroms cannot use virtio).")
        {
            Allowed = Buses, DefaultText = "virtio for disks, sata for cdroms", Example = "virtio", Libvirt = "<target bus='virtio'/>",
        })
    {
        Value = d => d.Bus,
        Render = (disk, d) => XmlOrder.Ensure(disk, "target").SetAttributeValue("bus", d.Bus),
        Read = (disk, d) => d with { Bus = (string?)disk.Element("target")?.Attribute("bus") },
    };

    public static readonly ItemField<DiskSpec> Format = new(
        new FieldDef("format", FieldType.Enum, "Image format.")
        {
            Allowed = Formats, DefaultText = "from the path's extension: .qcow2 → qcow2; .iso, .img, .raw → raw; else unset (libvirt's choice)",
            Example = "qcow2", Libvirt = "<driver name='qemu' type='qcow2'/>",
        })
    {
        Value = d => d.Format,
        Render = (disk, d) => XmlOrder.Ensure(disk, "driver").SetAttributeValue("type", d.Format),
        Read = (disk, d) => d with { Format = (string?)disk.Element("driver")?.Attribute("type") },
    };

    public static readonly ItemField<DiskSpec> ReadOnly = new(
        new FieldDef("readonly", FieldType.Boolean, "Attach read-only; always true for cdroms.")
        {
            Default = false, DefaultText = "false (true for cdroms)", Example = "true", Libvirt = "<readonly/>",
        })
    {
        Value = d => d.ReadOnly || d.Device == DiskDevice.Cdrom ? "true" : "false",
        Render = (disk, d) =>
        {
            if (d.ReadOnly || d.Device == DiskDevice.Cdrom) XmlOrder.Ensure(disk, "readonly");
        },
        Read = (disk, d) => d with { ReadOnly = disk.Element("readonly") is not null },
    };

    public static readonly ItemField<DiskSpec> Target = new(
        new FieldDef("target", FieldType.String, "Guest device name; unset means assigned in order (vda, vdb… / sda, sdb…).")
        {
            Pattern = Patterns.Target, DefaultText = "assigned in order", Example = "vdb", Libvirt = "<target dev='vdb'/>",
        })
    {
        Value = d => d.Target,
        Render = (disk, d) => XmlOrder.Ensure(disk, "target").SetAttributeValue("dev", d.Target),
        Read = (disk, d) => d with { Target = (string?)disk.Element("target")?.Attribute("dev") },
    };

    public static readonly ItemField<DiskSpec> Boot = new(
        new FieldDef("boot", FieldType.Integer, "Boot order, 1 first.")
        {
            Minimum = 1, Maximum = 64, Example = "1", Libvirt = "<boot order='1'/>",
        })
    {
        Value = d => d.Boot?.ToString(CultureInfo.InvariantCulture),
        Render = (disk, d) =>
        {
            if (d.Boot is { } order) XmlOrder.Ensure(disk, "boot").SetAttributeValue("order", order.ToString(CultureInfo.InvariantCulture));
        },
        Read = (disk, d) => d with { Boot = Number(disk.Element("boot"), "order", "disk boot order") },
    };

    /// <summary>In the order the planner lists them (the device first: it stands for the whole disk).</summary>
    public static readonly IReadOnlyList<ItemField<DiskSpec>> All = [Device, Path, Volume, Pool, Bus, Format, ReadOnly, Target, Boot, .. DiskTuningFields.All];

    /// <summary>The table of <c>spec.disks[]</c>, in documentation order.</summary>
    public static readonly ObjectDef Def = new("Disk",
        "One disk. Exactly one of path, volume or network names the source; a cdrom may have none (an empty drive).",
        [.. new[] { Path, Volume, Pool, Device, Bus, Format, ReadOnly, Target, Boot }.Select(f => f.Row), .. DiskTuningFields.All.Select(f => f.Row)]);

    /// <summary>What a live disk starts as before its fields are read.</summary>
    public static readonly DiskSpec Unread = new(null, null, null, DiskDevice.Disk, null, null, false, null, null);

    /// <summary>
    /// The disk's element with every field written. <paramref name="disk"/> has its bus, format
    /// and target resolved, and its pool when it names a volume.
    /// </summary>
    public static XElement Render(DiskSpec disk)
    {
        // libvirt's attribute order; a cdrom with no source stays type='file' (an empty drive).
        var element = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
            new XElement("driver", new XAttribute("name", "qemu")),
            new XElement("target", new XAttribute("dev", ""), new XAttribute("bus", "")));
        foreach (var field in All) field.Render(element, disk);
        return element;
    }

    /// <summary>
    /// A live disk element read back. A disk running on overlays of Reconciler's external snapshots
    /// reads as its spec path and format, the overlays kept aside (<see cref="ExternalOverlays.Read"/>).
    /// </summary>
    public static DiskSpec Read(XElement element)
    {
        var disk = All.Aggregate(Unread, (disk, field) => field.Read(element, disk));
        return ExternalOverlays.Read(element) is { } chain ? disk with { Path = chain.Path, Format = chain.Format, Overlays = chain.Chain } : disk;
    }

    /// <summary>A whole number in an attribute of a disk's child, or null when absent; <paramref name="what"/> names it in the read error.</summary>
    internal static int? Number(XElement? element, string attribute, string what) =>
        (string?)element?.Attribute(attribute) is not { } text ? null
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw new LiveXmlException($"{what} '{text}' is not a number");

    private static string? VolumeSource(XElement disk, string attribute) =>
        (string?)disk.Attribute("type") == "volume" ? (string?)disk.Element("source")?.Attribute(attribute) : null;
}
