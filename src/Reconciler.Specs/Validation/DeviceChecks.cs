using System.Globalization;
using FluentValidation;

namespace Reconciler.Specs.Validation;

/// <summary>
/// The rules of a disk's tuning fields and network source, spec.iothreads and spec.filesystems
/// that a row cannot state: the patterns, fields that need each other, and what libvirt or QEMU
/// refuse (io native without direct cache, detectZeroes unmap without discard unmap, a shareable
/// qcow2, a read-only virtiofs share).
/// </summary>
internal static partial class DeviceChecks
{
    private static readonly FieldPath IothreadsPath = DomainPaths.Spec.Field("iothreads");

    [GeneratedRegex(DiskTuningFields.SerialPattern)] private static partial Regex SerialRegex();
    [GeneratedRegex(DiskTuningFields.HostPattern)] private static partial Regex HostRegex();
    [GeneratedRegex(DiskTuningFields.UuidPattern)] private static partial Regex UuidRegex();
    [GeneratedRegex(DeviceFields.TagPattern)] private static partial Regex TagRegex();

    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var iothreads = d.Declared.Int(IothreadsPath);
        for (var i = 0; i < d.Disks.Count; i++) CheckDisk(d.Disks[i], $"spec.disks[{i}]", iothreads, ctx);
        if (d.Filesystems is { } filesystems) CheckFilesystems(filesystems, d.MemoryBacking, ctx);
    }

    private static void CheckDisk(DiskSpec disk, string p, int? iothreads, ValidationContext<DomainSpec> ctx)
    {
        if (disk.Io == "native" && disk.Cache is not ("none" or "directsync"))
        {
            Failures.Add(ctx, ConflictingFields, p + ".io", "io: native needs cache: none or directsync (QEMU refuses native AIO through the host page cache)",
                "add cache: none, or use io: threads / io_uring", p + ".cache");
        }
        if (disk.DetectZeroes == "unmap" && disk.Discard != "unmap")
        {
            Failures.Add(ctx, ConflictingFields, p + ".detectZeroes", "detectZeroes: unmap needs discard: unmap (QEMU refuses it otherwise)",
                "add discard: unmap, or use detectZeroes: on", p + ".discard");
        }
        if (disk.IoThread is { } thread)
        {
            if (iothreads is null || thread > iothreads)
            {
                Failures.Add(ctx, OutOfRange, p + ".iothread", iothreads is null
                        ? $"iothread {thread} needs spec.iothreads (the domain has none)"
                        : $"iothread {thread} is beyond spec.iothreads ({iothreads})",
                    $"set spec.iothreads to at least {thread}, or pick an IOThread from 1 to spec.iothreads", IothreadsPath.Text);
            }
            if (disk.Bus != "virtio")
            {
                Failures.Add(ctx, ConflictingFields, p + ".iothread", $"an iothread serves virtio disks only, not the {disk.Bus} bus",
                    "use bus: virtio, or remove iothread", p + ".bus");
            }
        }
        if (disk.Serial is { } serial && !SerialRegex().IsMatch(serial))
        {
            Failures.Add(ctx, InvalidValue, p + ".serial", $"'{Failures.Printable(serial)}' is not a disk serial", "1 to 36 letters, digits and _ . + -");
        }
        if (disk.Shareable == true && disk.Format != "raw")
        {
            Failures.Add(ctx, ConflictingFields, p + ".shareable", $"a shareable disk must be raw, not {disk.Format ?? "of an unknown format"} (libvirt refuses shared access to other formats)",
                "add format: raw (the image must be raw), or remove shareable", p + ".format");
        }
        if (disk.Network is { } network) CheckNetwork(disk, network, p, ctx);
    }

    private static void CheckNetwork(DiskSpec disk, DiskNetworkSource n, string p, ValidationContext<DomainSpec> ctx)
    {
        if (disk.Path is not null || disk.Volume is not null)
        {
            Failures.Add(ctx, ConflictingFields, p + ".network", "a disk has one source: path, volume or network", "remove path/volume, or network");
        }
        var net = p + ".network";
        if (n.Name is null && n.Protocol != "nbd")
        {
            Failures.Add(ctx, MissingField, net + ".name", $"a {n.Protocol} disk needs a name", $"e.g. name: {NameExample(n.Protocol)}");
        }
        else if (n.Name is { } name && (name.Length == 0 || name.Any(char.IsWhiteSpace)))
        {
            Failures.Add(ctx, InvalidValue, net + ".name", $"'{Failures.Printable(name)}' is not a {n.Protocol} name", $"no spaces, e.g. name: {NameExample(n.Protocol)}");
        }
        var (min, max) = n.Protocol switch
        {
            "rbd" => (0, int.MaxValue),
            "gluster" => (1, int.MaxValue),
            _ => (1, 1),
        };
        if (n.Hosts.Count < min || n.Hosts.Count > max)
        {
            Failures.Add(ctx, n.Hosts.Count < min ? MissingField : OutOfRange, net + ".hosts",
                $"a {n.Protocol} disk needs {(max == 1 ? "exactly one host" : "at least one host")}, got {n.Hosts.Count}",
                "e.g. hosts: [\"" + (n.Protocol == "gluster" ? "gluster1:24007" : "server.example:" + DiskTuningFields.DefaultPorts.GetValueOrDefault(n.Protocol, 6789)) + "\"]");
        }
        for (var i = 0; i < n.Hosts.Count; i++)
        {
            var host = n.Hosts[i];
            var (_, port) = DiskTuningFields.SplitHost(host);
            if (!HostRegex().IsMatch(host) || (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)))
            {
                Failures.Add(ctx, InvalidAddress, $"{net}.hosts[{i}]", $"'{Failures.Printable(host)}' is not a host or host:port",
                    "a host name or address, optionally with :port (1-65535); an IPv6 address in brackets, e.g. \"[2001:db8::1]:6789\"");
            }
        }
        if (n.Auth is { } auth)
        {
            if (n.Protocol is not ("rbd" or "iscsi"))
            {
                Failures.Add(ctx, ConflictingFields, net + ".auth", $"libvirt has no credentials for {n.Protocol} disks (only rbd and iscsi)", "remove auth", net + ".protocol");
            }
            if (!Regexes.Token.IsMatch(auth.Username))
            {
                Failures.Add(ctx, InvalidValue, net + ".auth.username", $"'{Failures.Printable(auth.Username)}' is not a user name", "letters, digits and _ . - only");
            }
            if (!UuidRegex().IsMatch(auth.SecretUuid))
            {
                Failures.Add(ctx, InvalidValue, net + ".auth.secretUuid", $"'{Failures.Printable(auth.SecretUuid)}' is not a UUID",
                    "the UUID of the libvirt secret on the node (virsh secret-list), e.g. \"2a5c9bd1-1f35-4e0c-8f0b-9a3d3c7e2f10\"");
            }
        }
    }

    private static string NameExample(string protocol) => protocol switch
    {
        "rbd" => "rbd/vm1-root",
        "iscsi" => "iqn.2013-06.com.example:storage/1",
        "gluster" => "volume/images/vm1.qcow2",
        _ => "/images/vm1.iso",
    };

    private static void CheckFilesystems(IReadOnlyList<FilesystemSpec> filesystems, MemoryBackingSpec? backing, ValidationContext<DomainSpec> ctx)
    {
        var tags = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < filesystems.Count; i++)
        {
            var fs = filesystems[i];
            var p = $"spec.filesystems[{i}]";
            if (!fs.Source.StartsWith('/') || fs.Source.Split('/').Any(part => part is ".." or "."))
            {
                Failures.Add(ctx, InvalidPath, p + ".source", $"'{Failures.Printable(fs.Source)}' is not an absolute directory without '..' or '.'",
                    "write the directory on the node as an absolute path, e.g. source: /srv/share");
            }
            if (!TagRegex().IsMatch(fs.Target))
            {
                Failures.Add(ctx, InvalidValue, p + ".target", $"'{Failures.Printable(fs.Target)}' is not a virtiofs tag",
                    "a tag is a letter or digit, then up to 35 letters, digits, _ . - (the guest mounts it: mount -t virtiofs TAG /mnt)");
            }
            else if (tags.TryGetValue(fs.Target, out var first))
            {
                Failures.Add(ctx, InvalidValue, p + ".target", $"filesystems[{first}] already uses tag '{fs.Target}'", "give each share its own tag");
            }
            else
            {
                tags[fs.Target] = i;
            }
            if (fs.ReadOnly)
            {
                Failures.Add(ctx, InvalidValue, p + ".readonly", "libvirt 9.0 refuses a read-only virtiofs share (\"virtiofs does not yet support read-only mode\")",
                    "remove readonly (or set false) and mount it read-only in the guest: mount -t virtiofs -o ro TAG /mnt");
            }
        }
        if (filesystems.Count > 0 && backing is { Shared: false })
        {
            Failures.Add(ctx, ConflictingFields, "spec.memoryBacking.shared", "virtiofs shares need shared memory, but memoryBacking.shared is false",
                "remove shared: false (a share turns shared memory on itself)", "spec.filesystems");
        }
    }
}
