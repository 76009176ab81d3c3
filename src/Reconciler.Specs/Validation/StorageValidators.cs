using FluentValidation;

namespace Reconciler.Specs.Validation;

/// <summary>Semantic rules of a <see cref="StoragePoolSpec"/>: name, node, an absolute normalised path.</summary>
public sealed class StoragePoolSpecValidator : AbstractValidator<StoragePoolSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set.</param>
    public StoragePoolSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        RuleFor(p => p).Custom((p, ctx) =>
        {
            StorageRules.CheckMetaAndName(p.Meta, "pool", ctx);
            StorageRules.CheckNode(p.Node, nodeNames ?? [], ctx);
            var written = p.Meta.Origin.Fields;
            var type = PoolTypes.Xml(p.Type);
            if (p.Type is StoragePoolType.Dir or StoragePoolType.Netfs)
            {
                if (!written.ContainsKey("spec.path") && p.Path.Length == 0)
                {
                    Failures.Add(ctx, MissingField, "spec.path", $"a {type} pool needs path: the directory on the node", "e.g. path: /var/lib/libvirt/pools/lab", "spec.type");
                }
                else
                {
                    PoolRules.CheckPath(p.Path, "spec.path", "a pool path is an absolute directory on the node, e.g. /var/lib/libvirt/pools/lab", ctx);
                }
            }
            else if (written.ContainsKey("spec.path"))
            {
                Failures.Add(ctx, ConflictingFields, "spec.path", $"a {type} pool has no path of its own" + (p.Type == StoragePoolType.Logical ? " (libvirt uses /dev/VOLUMEGROUP)" : ""), "remove path", "spec.type");
            }
            foreach (var (field, only) in new[] { ("devices", StoragePoolType.Logical), ("volumeGroup", StoragePoolType.Logical), ("build", StoragePoolType.Logical),
                ("netfs", StoragePoolType.Netfs), ("rbd", StoragePoolType.Rbd), ("iscsi", StoragePoolType.Iscsi) })
            {
                if (p.Type != only && written.ContainsKey("spec." + field))
                {
                    Failures.Add(ctx, ConflictingFields, "spec." + field, $"{field} is for {PoolTypes.Xml(only)} pools, not {type}", $"remove {field}, or set type: {PoolTypes.Xml(only)}", "spec.type");
                }
            }
            switch (p.Type)
            {
                case StoragePoolType.Logical:
                {
                    var devices = p.Source?.Devices ?? [];
                    if (devices.Count == 0)
                    {
                        Failures.Add(ctx, MissingField, "spec.devices", "a logical pool needs the block devices of its volume group", "e.g. devices: [/dev/sdb]", "spec.type");
                    }
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = 0; i < devices.Count; i++)
                    {
                        var at = $"spec.devices[{i}]";
                        if (!PoolRules.CheckPath(devices[i], at, "a device is an absolute path on the node, e.g. /dev/sdb or /dev/disk/by-id/…", ctx)) continue;
                        if (!devices[i].StartsWith("/dev/", StringComparison.Ordinal))
                        {
                            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(devices[i])}' is not under /dev", "a physical volume is a block device, e.g. /dev/sdb");
                        }
                        else if (!seen.Add(devices[i]))
                        {
                            Failures.Add(ctx, DuplicateDisk, at, $"{devices[i]} is listed twice", "list each device once");
                        }
                    }
                    if (p.Source?.Name is { } vg && !System.Text.RegularExpressions.Regex.IsMatch(vg, StoragePatterns.VolumeGroup))
                    {
                        Failures.Add(ctx, InvalidName, written.ContainsKey("spec.volumeGroup") ? "spec.volumeGroup" : "metadata.name",
                            $"'{Failures.Printable(vg)}' is not an LVM volume group name", "letters, digits and + _ . - (not starting with '-'), or set volumeGroup:");
                    }
                    break;
                }
                case StoragePoolType.Netfs:
                    if (p.Source is not { } n)
                    {
                        Failures.Add(ctx, MissingField, "spec.netfs", "a netfs pool needs netfs: {host, export}", "e.g. netfs: {host: nfs1.lab, export: /exports/vms}", "spec.type");
                        break;
                    }
                    PoolRules.CheckHost(n.Host ?? "", "spec.netfs.host", port: false, ctx);
                    PoolRules.CheckPath(n.Export ?? "", "spec.netfs.export", "the export is an absolute directory on the server, e.g. /exports/vms", ctx);
                    break;
                case StoragePoolType.Rbd:
                    if (p.Source is not { } r)
                    {
                        Failures.Add(ctx, MissingField, "spec.rbd", "an rbd pool needs rbd: {hosts, pool}", "e.g. rbd: {hosts: [\"ceph-mon1:6789\"], pool: rbd}", "spec.type");
                        break;
                    }
                    if (r.MonitorHosts.Count == 0) Failures.Add(ctx, MissingField, "spec.rbd.hosts", "an rbd pool needs at least one Ceph monitor", "e.g. hosts: [\"ceph-mon1:6789\"]");
                    for (var i = 0; i < r.MonitorHosts.Count; i++) PoolRules.CheckHost(r.MonitorHosts[i], $"spec.rbd.hosts[{i}]", port: true, ctx);
                    if (r.Name is null || !System.Text.RegularExpressions.Regex.IsMatch(r.Name, StoragePatterns.CephName))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.rbd.pool", $"'{Failures.Printable(r.Name ?? "")}' is not a Ceph pool name", "letters, digits and _ . -");
                    }
                    if (r.Auth is { } auth)
                    {
                        if (!System.Text.RegularExpressions.Regex.IsMatch(auth.Username, StoragePatterns.CephUser))
                        {
                            Failures.Add(ctx, InvalidValue, "spec.rbd.auth.username", $"'{Failures.Printable(auth.Username)}' is not a Ceph user name", "e.g. libvirt (without client.)");
                        }
                        if (!System.Text.RegularExpressions.Regex.IsMatch(auth.SecretUuid, StoragePatterns.Uuid))
                        {
                            Failures.Add(ctx, InvalidValue, "spec.rbd.auth.secretUuid", $"'{Failures.Printable(auth.SecretUuid)}' is not a UUID", "the UUID of a libvirt secret (virsh secret-list), e.g. 11111111-2222-3333-4444-555555555555");
                        }
                    }
                    break;
                case StoragePoolType.Iscsi:
                    if (p.Source is not { } t)
                    {
                        Failures.Add(ctx, MissingField, "spec.iscsi", "an iscsi pool needs iscsi: {host, iqn}", "e.g. iscsi: {host: san1.lab, iqn: iqn.2004-04.com.example:storage.lun1}", "spec.type");
                        break;
                    }
                    PoolRules.CheckHost(t.Host ?? "", "spec.iscsi.host", port: true, ctx);
                    if (t.Iqn is null || !System.Text.RegularExpressions.Regex.IsMatch(t.Iqn, StoragePatterns.Iqn))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.iscsi.iqn", $"'{Failures.Printable(t.Iqn ?? "")}' is not an iSCSI name", "iqn.YYYY-MM.reversed.domain:name (or eui./naa.), e.g. iqn.2004-04.com.example:storage.lun1");
                    }
                    break;
            }
        });
    }
}

/// <summary>Semantic rules of a <see cref="VolumeSpec"/>: name, pool, size range, base image.</summary>
public sealed class VolumeSpecValidator : AbstractValidator<VolumeSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set.</param>
    public VolumeSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        RuleFor(v => v).Custom((v, ctx) =>
        {
            StorageRules.CheckMetaAndName(v.Meta, "volume", ctx, "letters, digits and _ . - only (no '+'), up to 64");
            if (v.Name == StorageLedger.VolumeName || v.Name.StartsWith("base-", StringComparison.Ordinal) && v.Name.Length > 21 && v.Name[5..21].All(char.IsAsciiHexDigitLower))
            {
                Failures.Add(ctx, InvalidName, "metadata.name", $"the volume name '{v.Name}' is reserved by Reconciler (ledger, base images)", "choose another name");
            }
            if (v.Node is not null) StorageRules.CheckNode(v.Node, nodeNames ?? [], ctx);
            if (!Regexes.Token.IsMatch(v.Pool))
            {
                Failures.Add(ctx, InvalidValue, "spec.pool", $"'{Failures.Printable(v.Pool)}' is not a pool name", "letters, digits and _ . - only");
            }
            if (v.SizeBytes < StoragePatterns.MinVolume || v.SizeBytes > StoragePatterns.MaxVolume)
            {
                Failures.Add(ctx, OutOfRange, "spec.size", $"a volume size must be between 1MiB and 64TiB, got {ByteSize.Format(v.SizeBytes)}", "e.g. size: 20GiB");
            }
            if (v.BaseImage is { } b)
            {
                if (b.Mode == BaseImageMode.Backing && v.Format != VolumeFormat.Qcow2)
                {
                    Failures.Add(ctx, ConflictingFields, "spec.baseImage.mode", "a backing file needs a qcow2 volume", "set format: qcow2, or mode: copy", "spec.format");
                }
                if (b.Sha256 is { } sha && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)))
                {
                    Failures.Add(ctx, InvalidValue, "spec.baseImage.sha256", $"'{Failures.Printable(sha)}' is not a SHA-256 (64 hex digits)", "e.g. the output of sha256sum IMAGE");
                }
                if (b.IsUrl)
                {
                    if (!Uri.TryCreate(b.Source, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.baseImage.source", $"'{Failures.Printable(b.Source)}' is not an http(s) URL", "e.g. https://example.org/images/base.qcow2");
                    }
                }
                else if (!File.Exists(b.LocalPath))
                {
                    Failures.Add(ctx, InvalidPath, "spec.baseImage.source", $"the base image '{Failures.Printable(b.Source)}' does not exist" + (b.LocalPath != b.Source ? $" ({b.LocalPath})" : ""),
                        "a path is read where Reconciler runs, relative to this spec file's directory (or absolute); or give an http(s) URL");
                }
            }
        });
    }
}

internal static class PoolRules
{
    /// <summary>An absolute, normalised path that is not the root; false (with a failure) otherwise.</summary>
    public static bool CheckPath<T>(string path, string at, string hint, ValidationContext<T> ctx)
    {
        if (!path.StartsWith('/'))
        {
            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(path)}' is not an absolute path", hint);
            return false;
        }
        if (path.Split('/').Any(s => s is "." or "..") || path.Contains("//", StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(path)}' is not a normalised path", "write it without '.', '..' or '//' segments");
            return false;
        }
        if (path.TrimEnd('/').Length == 0)
        {
            Failures.Add(ctx, InvalidPath, at, "the root directory cannot be used here", hint);
            return false;
        }
        return true;
    }

    /// <summary>A host name or IP address, with an optional :port (1-65535) where <paramref name="port"/> allows it.</summary>
    public static void CheckHost<T>(string text, string at, bool port, ValidationContext<T> ctx)
    {
        var (host, p) = port ? PoolSource.SplitHostPort(text) : (text, null);
        var hostOk = StorageRules.IsHostname(host) || Ipv4.TryParse(host, out _) || System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (!hostOk)
        {
            Failures.Add(ctx, InvalidAddress, at, $"'{Failures.Printable(text)}' is not a host name or address" + (port ? " (with an optional :port)" : ""), port ? "e.g. ceph-mon1:6789, 192.0.2.10 or [2001:db8::1]:3260" : "e.g. nfs1.lab or 192.0.2.10");
        }
        else if (p is not null && (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > 65535))
        {
            Failures.Add(ctx, OutOfRange, at, $"port '{Failures.Printable(p)}' is not between 1 and 65535", "e.g. :6789");
        }
    }
}

internal static class StorageRules
{
    private const string TokenNameHint = "letters, digits and _ . - only (no '+')";

    /// <summary>
    /// The metadata rules of a network, pool or volume: <see cref="Failures.CheckMeta"/>, and a name
    /// libvirt accepts for <paramref name="what"/> (<see cref="Regexes.Token"/>).
    /// </summary>
    /// <param name="meta">The resource's metadata.</param>
    /// <param name="what">The kind as the message names it, e.g. <c>network</c>.</param>
    /// <param name="ctx">Where failures go.</param>
    /// <param name="hint">What a valid name is.</param>
    public static void CheckMetaAndName<T>(ResourceMeta meta, string what, ValidationContext<T> ctx, string hint = TokenNameHint)
    {
        Failures.CheckMeta(meta, ctx);
        if (!Regexes.Token.IsMatch(meta.Name))
        {
            Failures.Add(ctx, InvalidName, "metadata.name", $"'{Failures.Printable(meta.Name)}' is not a valid {what} name", hint);
        }
    }

    public static bool IsHostname(string text) =>
        text.Length is > 0 and <= 253 && System.Text.RegularExpressions.Regex.IsMatch(text, StoragePatterns.Hostname);

    public static void CheckNode<T>(string? node, IReadOnlyCollection<string> nodes, ValidationContext<T> ctx)
    {
        if (node is not null && !Regexes.Name.IsMatch(node))
        {
            Failures.Add(ctx, InvalidName, "spec.node", $"'{Failures.Printable(node)}' is not a valid node name", Patterns.NameHint);
            return;
        }
        if (nodes.Count == 0) return;
        if (node is null)
        {
            if (nodes.Count > 1)
            {
                Failures.Add(ctx, NodeRequired, "spec.node", $"the set defines {nodes.Count} nodes, so spec.node is required",
                    "add node: with one of " + string.Join(", ", nodes.Order(StringComparer.Ordinal)));
            }
            return;
        }
        if (!nodes.Contains(node))
        {
            Failures.Add(ctx, UnknownNode, "spec.node", $"no Node named '{Failures.Printable(node)}' is defined",
                "defined nodes: " + string.Join(", ", nodes.Order(StringComparer.Ordinal)));
        }
    }
}
