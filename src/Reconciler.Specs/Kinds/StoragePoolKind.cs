namespace Reconciler.Specs.Kinds;

/// <summary>Patterns of the storage and network kinds (schema and validators).</summary>
internal static class StoragePatterns
{
    public const string AbsolutePath = "^/";
    public const string Ipv4 = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$";
    public const string Cidr = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$";
    public const string Sha256 = "^[0-9a-fA-F]{64}$";
    public const string Hostname = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";
    public const string Host = "^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^[0-9a-fA-F:]+$";
    public const string HostPort = "^([A-Za-z0-9][A-Za-z0-9.-]{0,252}|\\[[0-9a-fA-F:]+\\])(:[0-9]{1,5})?$";
    public const string Ipv6 = "^[0-9A-Fa-f:.]{2,45}$";
    public const string IpAddress = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$";
    public const string Uuid = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$";
    public const string CephUser = "^[A-Za-z0-9_.-]{1,64}$";
    public const string CephName = "^[A-Za-z0-9_.-]{1,128}$";
    public const string Iqn = "^(iqn\\.[0-9]{4}-[0-9]{2}\\.[^\\s]+|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})$";
    public const string VolumeGroup = "^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$";
    /// <summary>LVM's default extent: a logical volume's size is a multiple of it.</summary>
    public const ulong LvmExtent = 4UL << 20;
    public const ulong MinVolume = 1UL << 20;
    public const ulong MaxVolume = 64UL << 40;
}

/// <summary>The <c>StoragePool</c> kind: a directory, LVM, NFS, Ceph RBD or iSCSI pool on a node.</summary>
internal sealed class StoragePoolKind() : KindHandler(nameof(ResourceKind.StoragePool), SpecDef)
{
    public static readonly ObjectDef NetfsDef = new("NetfsSource", "The network file system a netfs pool mounts on its path.",
    [
        new FieldDef("host", FieldType.String, "The file server.")
        {
            Required = true, Pattern = StoragePatterns.Host, Example = "nfs1.lab", Libvirt = "<source><host name='…'/>",
        },
        new FieldDef("export", FieldType.String, "The exported directory on the server (absolute).")
        {
            Required = true, Pattern = StoragePatterns.AbsolutePath, Example = "/exports/vms", Libvirt = "<source><dir path='…'/>",
        },
        new FieldDef("format", FieldType.Enum, "The file system type (auto: let mount decide).")
        {
            Allowed = ["auto", "nfs", "glusterfs", "cifs"], Default = "auto", Example = "nfs", Libvirt = "<source><format type='…'/>",
        },
    ]);

    public static readonly ObjectDef RbdAuthDef = new("RbdAuth", "Ceph (cephx) authentication: the user and the libvirt secret (usage ceph) holding its key.",
    [
        new FieldDef("username", FieldType.String, "The Ceph user, without the client. prefix.")
        {
            Required = true, Pattern = StoragePatterns.CephUser, Example = "libvirt", Libvirt = "<auth type='ceph' username='…'>",
        },
        new FieldDef("secretUuid", FieldType.String, "UUID of the libvirt secret with the user's key (define it with virsh secret-define; Reconciler does not manage keys).")
        {
            Required = true, Pattern = StoragePatterns.Uuid, Example = "\"11111111-2222-3333-4444-555555555555\"", Libvirt = "<auth><secret uuid='…'/>",
        },
    ]);

    public static readonly ObjectDef RbdDef = new("RbdSource", "The Ceph cluster and pool an rbd pool's volumes (RBD images) live in.",
    [
        new FieldDef("hosts", FieldType.StringList, "Ceph monitors, host or host:port.")
        {
            Required = true, Pattern = StoragePatterns.HostPort, Example = "[\"ceph-mon1:6789\", ceph-mon2]", Libvirt = "<source><host name='…' port='…'/>",
        },
        new FieldDef("pool", FieldType.String, "The Ceph pool.")
        {
            Required = true, Pattern = StoragePatterns.CephName, Example = "rbd", Libvirt = "<source><name>…</name>",
        },
        new FieldDef("auth", FieldType.Object, "cephx authentication; omit for a cluster without it.")
        {
            Item = RbdAuthDef, DefaultText = "none", Example = "{username: libvirt, secretUuid: \"11111111-2222-3333-4444-555555555555\"}", Libvirt = "<source><auth>",
        },
    ]);

    public static readonly ObjectDef IscsiDef = new("IscsiSource", "The iSCSI target whose LUNs the pool shows (libvirt logs in with iscsiadm; LUNs cannot be created through it).",
    [
        new FieldDef("host", FieldType.String, "The portal, host or host:port (3260 by default).")
        {
            Required = true, Pattern = StoragePatterns.HostPort, Example = "san1.lab:3260", Libvirt = "<source><host name='…' port='…'/>",
        },
        new FieldDef("iqn", FieldType.String, "The target's IQN.")
        {
            Required = true, Pattern = StoragePatterns.Iqn, Example = "iqn.2004-04.com.example:storage.lun1", Libvirt = "<source><device path='IQN'/>",
        },
    ]);

    public static readonly ObjectDef SpecDef = new("StoragePoolSpec", "A storage pool Reconciler defines, builds and starts.",
    [
        new FieldDef("node", FieldType.String, "The Node the pool is on. Optional when the set defines one node or none.")
        {
            Pattern = Patterns.Name, DefaultText = "the only node", Example = "hv1", Libvirt = "which connection the pool is defined on",
        },
        new FieldDef("type", FieldType.Enum,
            "Pool type: dir (a directory), logical (an LVM volume group on devices), netfs (an NFS/CIFS/Gluster mount), rbd (Ceph), iscsi (an iSCSI target's LUNs). Cannot change once created.")
        {
            Allowed = ["dir", "logical", "netfs", "rbd", "iscsi"], Default = "dir", Example = "logical", Libvirt = "<pool type='…'>",
        },
        new FieldDef("path", FieldType.String, "dir and netfs pools (required there, not allowed for the others): absolute directory on the node; created (pool build) when missing; a netfs pool mounts its export there. Cannot change once created.")
        {
            Pattern = StoragePatterns.AbsolutePath, DefaultText = "none (logical: /dev/VG)", Example = "/var/lib/libvirt/pools/lab", Libvirt = "<target><path>…</path></target>",
        },
        new FieldDef("devices", FieldType.StringList, "logical pools: the block devices (physical volumes) of the volume group, absolute paths. Cannot change once created.")
        {
            Pattern = StoragePatterns.AbsolutePath, DefaultText = "[]", Example = "[/dev/sdb]", Libvirt = "<source><device path='…'/>",
        },
        new FieldDef("volumeGroup", FieldType.String, "logical pools: the LVM volume group.")
        {
            Pattern = StoragePatterns.VolumeGroup, DefaultText = "the pool's name", Example = "vg-vms", Libvirt = "<source><name>…</name>; <target><path>/dev/VG</path>",
        },
        new FieldDef("build", FieldType.Boolean, "logical pools: create the volume group on the devices (vgcreate, which refuses devices that carry a file system or another VG) when the pool is created. Without it the volume group must exist. dir and netfs pools are always built (mkdir).")
        {
            Default = false, Example = "true", Libvirt = "virStoragePoolBuild (VIR_STORAGE_POOL_BUILD_NO_OVERWRITE)",
        },
        new FieldDef("netfs", FieldType.Object, "netfs pools (required there): the server and export mounted on path.")
        {
            Item = NetfsDef, DefaultText = "none", Example = "{host: nfs1.lab, export: /exports/vms, format: nfs}", Libvirt = "<pool type='netfs'><source>",
        },
        new FieldDef("rbd", FieldType.Object, "rbd pools (required there): the Ceph monitors, pool and authentication.")
        {
            Item = RbdDef, DefaultText = "none", Example = "{hosts: [\"ceph-mon1:6789\"], pool: rbd, auth: {username: libvirt, secretUuid: \"11111111-2222-3333-4444-555555555555\"}}", Libvirt = "<pool type='rbd'><source>",
        },
        new FieldDef("iscsi", FieldType.Object, "iscsi pools (required there): the portal and target IQN.")
        {
            Item = IscsiDef, DefaultText = "none", Example = "{host: san1.lab, iqn: iqn.2004-04.com.example:storage.lun1}", Libvirt = "<pool type='iscsi'><source>",
        },
        new FieldDef("autostart", FieldType.Boolean, "Start the pool when the node boots.")
        {
            Default = true, Example = "false", Libvirt = "virStoragePoolSetAutostart",
        },
    ]);

    public override string Description =>
        "A libvirt storage pool: a directory, an LVM volume group, a network file system, a Ceph RBD pool or an iSCSI target. " +
        $"Reconciler records that it created the pool in a ledger: for dir and netfs pools a small volume (`{StorageLedger.VolumeName}`) inside the pool; " +
        $"for logical, rbd and iscsi pools a libvirt secret on the node (description `{PoolTypes.SecretUsage("NAME")}`), see specs/storage.md. " +
        "Removing the spec stops and undefines the pool but never deletes its directory, volume group, images or files. " +
        "Created before volumes, networks and domains; removed after them.";

    protected override string ExampleBody => """
        metadata:
          name: lab
        spec:
          node: hv1
          type: dir
          path: /var/lib/libvirt/pools/lab
          autostart: true
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context)
    {
        var type = spec.Get<string>("type") switch
        {
            "logical" => StoragePoolType.Logical,
            "netfs" => StoragePoolType.Netfs,
            "rbd" => StoragePoolType.Rbd,
            "iscsi" => StoragePoolType.Iscsi,
            _ => StoragePoolType.Dir,
        };
        PoolSource? source = null;
        var devices = spec.Get<List<string>>("devices") ?? [];
        var netfs = spec.Get<ParsedObject>("netfs");
        var rbd = spec.Get<ParsedObject>("rbd");
        var iscsi = spec.Get<ParsedObject>("iscsi");
        switch (type)
        {
            case StoragePoolType.Logical:
                source = new PoolSource(devices, spec.Get<string>("volumeGroup") ?? meta.Name);
                break;
            case StoragePoolType.Netfs when netfs is not null:
                source = new PoolSource([], Host: netfs.Get<string>("host"), Export: netfs.Get<string>("export"), Format: netfs.Get<string>("format"));
                break;
            case StoragePoolType.Rbd when rbd is not null:
                var auth = rbd.Get<ParsedObject>("auth");
                source = new PoolSource([], rbd.Get<string>("pool"), Hosts: rbd.Get<List<string>>("hosts") ?? [],
                    Auth: auth is null ? null : new PoolAuth(auth.Get<string>("username") ?? "", auth.Get<string>("secretUuid")?.ToLowerInvariant() ?? ""));
                break;
            case StoragePoolType.Iscsi when iscsi is not null:
                source = new PoolSource([], Host: iscsi.Get<string>("host"), Iqn: iscsi.Get<string>("iqn"));
                break;
        }
        return new StoragePoolSpec(meta, spec.Get<string>("node"), type, spec.Get<string>("path") ?? "", spec.Get<bool>("autostart"), source, spec.Get<bool>("build"));
    }
}
