using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// The tuning fields of one disk (<c>spec.disks[i]</c>: cache, io, discard, detectZeroes, iothread on
/// <c>&lt;driver&gt;</c>; serial; shareable) and its network source (<c>spec.disks[i].network</c>),
/// each declared once (see <see cref="ItemField{T}"/>). Not written, a tuning field is not owned
/// (libvirt's default is no difference). A change to an existing disk takes effect at the next boot;
/// a disk attached or detached with them is hot-plugged like any other (see Disruptions).
/// </summary>
internal static class DiskTuningFields
{
    public static readonly IReadOnlyList<string> CacheModes = ["none", "writeback", "writethrough", "directsync", "unsafe"];
    public static readonly IReadOnlyList<string> IoModes = ["native", "threads", "io_uring"];
    public static readonly IReadOnlyList<string> DiscardModes = ["unmap", "ignore"];
    public static readonly IReadOnlyList<string> DetectZeroesModes = ["off", "on", "unmap"];
    public static readonly IReadOnlyList<string> Protocols = ["rbd", "iscsi", "nbd", "gluster", "http", "https"];

    /// <summary>The port libvirt writes for a host given without one; rbd has none (librados' default).</summary>
    public static readonly IReadOnlyDictionary<string, int> DefaultPorts = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["iscsi"] = 3260, ["nbd"] = 10809, ["gluster"] = 24007, ["http"] = 80, ["https"] = 443,
    };

    /// <summary>A disk serial as libvirt's schema allows it (no spaces here: YAML would need quotes), at most 36 characters.</summary>
    public const string SerialPattern = "^[A-Za-z0-9_.+-]{1,36}$";

    /// <summary><c>host</c>, <c>host:port</c> or <c>[v6]:port</c>.</summary>
    public const string HostPattern = "^([A-Za-z0-9]([A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?$";

    public const string UuidPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    public static readonly ItemField<DiskSpec> Cache = DriverAttribute("cache", "cache", CacheModes,
        "Host page cache: none (O_DIRECT: the image's filesystem must support it), writeback, writethrough, directsync, unsafe. A change takes effect at the next boot.",
        "none", d => d.Cache, (d, v) => d with { Cache = v });

    public static readonly ItemField<DiskSpec> Io = DriverAttribute("io", "io", IoModes,
        "I/O submission: native (Linux AIO; needs cache none or directsync), threads, io_uring. A change takes effect at the next boot.",
        "native", d => d.Io, (d, v) => d with { Io = v });

    public static readonly ItemField<DiskSpec> Discard = DriverAttribute("discard", "discard", DiscardModes,
        "Pass the guest's discard/TRIM to the image (unmap) or drop it (ignore). A change takes effect at the next boot.",
        "unmap", d => d.Discard, (d, v) => d with { Discard = v });

    public static readonly ItemField<DiskSpec> IoThread = new(
        new FieldDef("iothread", FieldType.Integer, "The IOThread serving this virtio disk, 1 to spec.iothreads. A change takes effect at the next boot.")
        {
            Minimum = 1, Maximum = 1024, DefaultText = "the main loop", Example = "1", Libvirt = "<driver iothread='1'/>",
        })
    {
        Value = d => d.IoThread?.ToString(CultureInfo.InvariantCulture),
        Render = (disk, d) =>
        {
            if (d.IoThread is { } n) XmlOrder.Ensure(disk, "driver").SetAttributeValue("iothread", n.ToString(CultureInfo.InvariantCulture));
        },
        Read = (disk, d) => d with { IoThread = DiskFields.Number(disk.Element("driver"), "iothread", "disk iothread") },
    };

    public static readonly ItemField<DiskSpec> DetectZeroes = DriverAttribute("detectZeroes", "detect_zeroes", DetectZeroesModes,
        "Detect writes of zeroes: off, on (write them as zeroes), unmap (discard them; needs discard: unmap). A change takes effect at the next boot.",
        "unmap", d => d.DetectZeroes, (d, v) => d with { DetectZeroes = v });

    public static readonly ItemField<DiskSpec> Serial = new(
        new FieldDef("serial", FieldType.String, "The serial number the guest sees (/dev/disk/by-id/virtio-SERIAL); virtio shows the first 20 characters.")
        {
            Pattern = SerialPattern, DefaultText = "none", Example = "\"DB-DATA-1\"", Libvirt = "<serial>DB-DATA-1</serial>",
        })
    {
        Value = d => d.Serial,
        Render = (disk, d) =>
        {
            if (d.Serial is { } serial) XmlOrder.Ensure(disk, "serial").Value = serial;
        },
        Read = (disk, d) => d with { Serial = disk.Element("serial")?.Value },
    };

    public static readonly ItemField<DiskSpec> Shareable = new(
        new FieldDef("shareable", FieldType.Boolean, "Shared with other domains at once (a cluster disk); needs format raw.")
        {
            DefaultText = "false (not managed when unset)", Example = "true", Libvirt = "<shareable/>",
        })
    {
        Value = d => d.Shareable is { } s ? (s ? "true" : "false") : null,
        Render = (disk, d) =>
        {
            if (d.Shareable == true) XmlOrder.Ensure(disk, "shareable");
        },
        Read = (disk, d) => d with { Shareable = disk.Element("shareable") is not null },
    };

    public static readonly ObjectDef AuthDef = new("DiskAuth", "Credentials of an rbd or iscsi disk: a user and a libvirt secret on the node.",
    [
        new FieldDef("username", FieldType.String, "The user (the Ceph client name without 'client.', or the CHAP user).")
        {
            Required = true, Pattern = Patterns.Token, Example = "libvirt", Libvirt = "<auth username='libvirt'>",
        },
        new FieldDef("secretUuid", FieldType.String, "The UUID of the libvirt secret holding the key (type ceph for rbd, iscsi for iscsi); define it on the node (virsh secret-define).")
        {
            Required = true, Pattern = UuidPattern, Example = "\"2a5c9bd1-1f35-4e0c-8f0b-9a3d3c7e2f10\"", Libvirt = "<secret type='ceph' uuid='…'/>",
        },
    ]);

    public static readonly ObjectDef NetworkDef = new("DiskNetwork",
        "A disk served over the network: Ceph RBD, iSCSI, NBD, GlusterFS or an HTTP(S) image. Reconciler does not reach the server; the node's QEMU does when the domain starts.",
    [
        new FieldDef("protocol", FieldType.Enum, "The protocol.")
        {
            Required = true, Allowed = Protocols, Example = "rbd", Libvirt = "<disk type='network'><source protocol='rbd'>",
        },
        new FieldDef("name", FieldType.String, "What the protocol names: pool/image (rbd), IQN/LUN (iscsi), the export (nbd, optional), volume/path (gluster), the path (http, https).")
        {
            Pattern = "^[^\\s]{1,1024}$", Example = "rbd/vm1-root", Libvirt = "<source name='rbd/vm1-root'>",
        },
        new FieldDef("hosts", FieldType.StringList, "The servers, host or host:port ([v6]:port); rbd: the monitors (none: from ceph.conf); iscsi, nbd, http(s): exactly one; gluster: one or more.")
        {
            Pattern = HostPattern, DefaultText = "[]", Example = "[\"ceph-mon1:6789\"]", Libvirt = "<host name='ceph-mon1' port='6789'/>",
        },
        new FieldDef("auth", FieldType.Object, "Credentials (rbd and iscsi only).")
        {
            Item = AuthDef, DefaultText = "none", Example = "{username: libvirt, secretUuid: \"2a5c9bd1-1f35-4e0c-8f0b-9a3d3c7e2f10\"}",
            Libvirt = "<source><auth username='…'><secret type='ceph' uuid='…'/></auth></source>",
        },
    ]);

    public static readonly ItemField<DiskSpec> Network = new(
        new FieldDef("network", FieldType.Object, "A network source instead of path or volume.")
        {
            Item = NetworkDef, DefaultText = "none", Example = "{protocol: rbd, name: rbd/vm1-root, hosts: [\"ceph-mon1:6789\"]}",
            Libvirt = "<disk type='network'><source protocol='rbd' name='…'><host/>…</source>",
        })
    {
        Value = d => d.Network is { } n ? Canonical(n) : null,
        Render = (disk, d) =>
        {
            if (d.Network is not { } n) return;
            disk.SetAttributeValue("type", "network");
            var source = XmlOrder.Ensure(disk, "source");
            source.SetAttributeValue("protocol", n.Protocol);
            source.SetAttributeValue("name", n.Name);
            foreach (var host in n.Hosts)
            {
                var (name, port) = SplitHost(host);
                source.Add(new XElement("host", new XAttribute("name", name), port is null ? null : new XAttribute("port", port)));
            }
            if (n.Auth is { } auth)
            {
                source.Add(new XElement("auth", new XAttribute("username", auth.Username),
                    new XElement("secret", new XAttribute("type", n.Protocol == "rbd" ? "ceph" : "iscsi"), new XAttribute("uuid", auth.SecretUuid))));
            }
        },
        // libvirt accepts <auth> under <disk> too (the older place) and keeps it there.
        Read = (disk, d) => d with
        {
            Network = (string?)disk.Attribute("type") != "network" || disk.Element("source") is not { } source ? null
                : new DiskNetworkSource(
                    (string?)source.Attribute("protocol") ?? "",
                    (string?)source.Attribute("name"),
                    [.. source.Elements("host").Select(h => JoinHost((string?)h.Attribute("name") ?? (string?)h.Attribute("socket") ?? "", (string?)h.Attribute("port")))],
                    (source.Element("auth") ?? disk.Element("auth")) is { } auth
                        ? new DiskAuth((string?)auth.Attribute("username") ?? "", ((string?)auth.Element("secret")?.Attribute("uuid"))?.ToLowerInvariant() ?? "")
                        : null),
        },
    };

    /// <summary>In the order the planner lists them (after the disk's own fields), and libvirt's order of &lt;driver&gt;'s attributes.</summary>
    public static readonly IReadOnlyList<ItemField<DiskSpec>> All = [Network, Cache, Io, Discard, IoThread, DetectZeroes, Serial, Shareable];

    /// <summary>
    /// The network source as compared: <c>protocol:name@host:port,…;auth=user/uuid</c>, each host
    /// with libvirt's default port filled in (it writes 3260 for an iSCSI host given without one).
    /// </summary>
    public static string Canonical(DiskNetworkSource n)
    {
        var hosts = n.Hosts.Select(h => SplitHost(h) is var (name, port) && port is null && DefaultPorts.TryGetValue(n.Protocol, out var p)
            ? JoinHost(name, p.ToString(CultureInfo.InvariantCulture)) : h);
        return $"{n.Protocol}:{n.Name}@{string.Join(",", hosts)}" + (n.Auth is { } a ? $";auth={a.Username}/{a.SecretUuid.ToLowerInvariant()}" : "");
    }

    /// <summary><c>host:port</c> → (host, port); <c>[v6]:port</c> → (v6, port); no port → null.</summary>
    public static (string Name, string? Port) SplitHost(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            if (end < 0) return (host, null);
            return (host[1..end], end + 1 < host.Length && host[end + 1] == ':' ? host[(end + 2)..] : null);
        }
        var colon = host.LastIndexOf(':');
        return colon < 0 ? (host, null) : (host[..colon], host[(colon + 1)..]);
    }

    private static string JoinHost(string name, string? port)
    {
        var host = name.Contains(':', StringComparison.Ordinal) ? $"[{name}]" : name;
        return port is null ? host : host + ":" + port;
    }

    private static ItemField<DiskSpec> DriverAttribute(string name, string attribute, IReadOnlyList<string> allowed, string description, string example,
        Func<DiskSpec, string?> get, Func<DiskSpec, string?, DiskSpec> set) => new(
        new FieldDef(name, FieldType.Enum, description)
        {
            Allowed = allowed, DefaultText = "libvirt's default (not managed)", Example = example, Libvirt = $"<driver {attribute}='{example}'/>",
        })
    {
        Value = get,
        Render = (disk, d) =>
        {
            if (get(d) is { } value) XmlOrder.Ensure(disk, "driver").SetAttributeValue(attribute, value);
        },
        Read = (disk, d) => set(d, (string?)disk.Element("driver")?.Attribute(attribute)),
    };
}
