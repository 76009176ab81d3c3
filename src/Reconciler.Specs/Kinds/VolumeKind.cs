namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Volume</c> kind: a volume in a pool, optionally made from a base image.</summary>
internal sealed class VolumeKind() : KindHandler(nameof(ResourceKind.Volume), SpecDef)
{
    public static readonly ObjectDef BaseImage = new("BaseImage",
        "Where a new volume's first content comes from. Read where Reconciler runs and uploaded through libvirt's storage stream API, so it works for remote nodes.",
    [
        new FieldDef("source", FieldType.String, "An http(s) URL, or a file path (relative to this spec file's directory, or absolute) where Reconciler runs.")
        {
            Required = true, Example = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2",
            Libvirt = "virStorageVolUpload",
        },
        new FieldDef("sha256", FieldType.String, "Expected SHA-256 of the image (hex). A mismatch fails the step and no volume is left behind.")
        {
            Pattern = StoragePatterns.Sha256, DefaultText = "not checked", Example = "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
            Libvirt = "checked before anything is created",
        },
        new FieldDef("mode", FieldType.Enum,
            "copy: the volume starts as a full copy of the image (converted to the volume's format). backing: the image is uploaded once per pool (volume base-SHA256.FORMAT) and this qcow2 volume uses it as its backing file.")
        {
            Allowed = ["copy", "backing"], Default = "copy", Example = "backing", Libvirt = "<backingStore><path>…</path></backingStore> for backing",
        },
    ]);

    public static readonly ObjectDef SpecDef = new("VolumeSpec", "A volume in a storage pool.",
    [
        new FieldDef("pool", FieldType.String, "The pool: a StoragePool in the specs, or an existing pool on the node (external).")
        {
            Required = true, Pattern = Patterns.Token, Example = "lab", Libvirt = "virStorageVolCreateXML on that pool",
        },
        new FieldDef("node", FieldType.String, "The Node; only needed when the pool is external and the set has several nodes.")
        {
            Pattern = Patterns.Name, DefaultText = "the pool's node", Example = "hv1", Libvirt = "which connection",
        },
        new FieldDef("size", FieldType.Size, "Capacity, with a unit, between 1MiB and 64TiB. Growing resizes the volume in place (and the disk of a running domain); shrinking is refused.")
        {
            Required = true, Example = "20GiB", Libvirt = "<capacity unit='bytes'>; virStorageVolResize, virDomainBlockResize",
        },
        new FieldDef("format", FieldType.Enum, "Image format. Cannot change once created.")
        {
            Allowed = ["qcow2", "raw"], Default = "qcow2", Example = "raw", Libvirt = "<target><format type='qcow2'/></target>",
        },
        new FieldDef("baseImage", FieldType.Object, "Initial content: only used when the volume is created.")
        {
            Item = BaseImage, DefaultText = "empty volume", Example = "{source: images/debian-12.qcow2, mode: backing}", Libvirt = "virStorageVolUpload / <backingStore>",
        },
        new FieldDef("deletionPolicy", FieldType.Enum,
            "What removing the spec does: Retain keeps the volume and its data (Reconciler stops managing it); Delete deletes it, only if Reconciler created it and no domain attaches it. The policy of the last apply counts: set Delete and apply before removing the spec.")
        {
            Allowed = ["Retain", "Delete"], Default = "Retain", Example = "Delete", Libvirt = "virStorageVolDelete (Delete only)",
        },
    ]);

    public override string Description =>
        "A storage volume; its libvirt name is metadata.name (unique in a spec set). Domains attach it with `disks: [{volume: NAME}]`. " +
        $"Reconciler records each volume it creates in the pool's ledger (`{StorageLedger.VolumeName}`) with its deletionPolicy; a volume it did not create is never deleted.";

    protected override string ExampleBody => """
        metadata:
          name: web-1-root
        spec:
          pool: lab
          size: 20GiB
          format: qcow2
          baseImage:
            source: https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            mode: backing
          deletionPolicy: Retain
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context)
    {
        BaseImageSpec? baseImage = null;
        if (spec.Get<ParsedObject>("baseImage") is { } b && b.Get<string>("source") is { Length: > 0 } source)
        {
            var local = IsUrl(source) ? null : context.ResolveLocalPath(source);
            baseImage = new BaseImageSpec(source, IsUrl(source) ? null : local ?? source, b.Get<string>("sha256")?.ToLowerInvariant(),
                b.Get<string>("mode") == "backing" ? BaseImageMode.Backing : BaseImageMode.Copy);
        }
        return new VolumeSpec(meta, spec.Get<string>("node"), spec.Get<string>("pool") ?? "", spec.Get<ulong>("size"),
            spec.Get<string>("format") == "raw" ? VolumeFormat.Raw : VolumeFormat.Qcow2, baseImage,
            spec.Get<string>("deletionPolicy") == "Delete" ? DeletionPolicy.Delete : DeletionPolicy.Retain);
    }

    internal static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
