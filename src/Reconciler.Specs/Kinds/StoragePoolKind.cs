using Reconciler.Core.Model;
using Reconciler.Core.Fields;
using Reconciler.Specs.Parsing;

namespace Reconciler.Specs.Kinds;

/// <summary>Patterns of the storage and network kinds (schema and validators).</summary>
internal static class StoragePatterns
{
    public const string AbsolutePath = "^/";
    public const string Ipv4 = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$";
    public const string Cidr = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$";
    public const string Sha256 = "^[0-9a-fA-F]{64}$";
    public const string Hostname = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";
    public const ulong MinVolume = 1UL << 20;
    public const ulong MaxVolume = 64UL << 40;
}

/// <summary>The <c>StoragePool</c> kind: a directory pool on a node.</summary>
internal sealed class StoragePoolKind : KindHandler
{
    public static readonly ObjectDef SpecDef = new("StoragePoolSpec", "A storage pool Reconciler defines, builds and starts.",
    [
        new FieldDef("node", FieldType.String, "The Node the pool is on. Optional when the set defines one node or none.")
        {
            Pattern = Patterns.Name, DefaultText = "the only node", Example = "hv1", Libvirt = "which connection the pool is defined on",
        },
        new FieldDef("type", FieldType.Enum, "Pool type.")
        {
            Allowed = ["dir"], Default = "dir", Example = "dir", Libvirt = "<pool type='dir'>",
        },
        new FieldDef("path", FieldType.String, "Absolute directory on the node; created (pool build) when missing. Cannot change once created.")
        {
            Required = true, Pattern = StoragePatterns.AbsolutePath, Example = "/var/lib/libvirt/pools/lab", Libvirt = "<target><path>…</path></target>",
        },
        new FieldDef("autostart", FieldType.Boolean, "Start the pool when the node boots.")
        {
            Default = true, Example = "false", Libvirt = "virStoragePoolSetAutostart",
        },
    ]);

    public override string Kind => nameof(ResourceKind.StoragePool);

    public override string Description =>
        "A libvirt storage pool (a directory on the node). Reconciler records that it created the pool in a small ledger volume " +
        $"(`{StorageLedger.VolumeName}`) inside the pool; removing the spec stops and undefines the pool but never deletes its directory or files. " +
        "Created before volumes, networks and domains; removed after them.";

    public override ObjectDef Spec => SpecDef;

    public override string Example => """
        apiVersion: reconciler/v1
        kind: StoragePool
        metadata:
          name: lab
        spec:
          node: hv1
          type: dir
          path: /var/lib/libvirt/pools/lab
          autostart: true
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context) =>
        new StoragePoolSpec(meta, spec.Get<string>("node"), StoragePoolType.Dir, spec.Get<string>("path") ?? "", spec.Get<bool>("autostart"));
}
