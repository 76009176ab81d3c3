namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Domain</c> kind: one virtual machine.</summary>
internal sealed class DomainKind() : KindHandler(nameof(ResourceKind.Domain), SpecDef)
{

    public static readonly IReadOnlyList<string> DiskBuses = DiskFields.Buses;
    public static readonly IReadOnlyList<string> CdromBuses = DiskFields.CdromBuses;
    public static readonly IReadOnlyList<string> DiskFormats = DiskFields.Formats;
    public static readonly IReadOnlyList<string> CpuModes = DomainFieldTable.CpuModes;

    public static readonly ObjectDef Cpu = DomainFieldTable.Cpu;

    public static readonly ObjectDef Disk = DiskFields.Def;

    public static readonly ObjectDef Interface = InterfaceFields.Def;

    public static readonly ObjectDef Graphics = GraphicsFields.Def;

    public static readonly ObjectDef XmlPatch = OwnerFields.XmlPatch;

    public static readonly IReadOnlyList<string> Spreads = OwnerFields.Spreads;

    public static readonly ObjectDef Placement = OwnerFields.Placement;

    public static readonly ObjectDef SpecDef = new("DomainSpec", "The desired definition and state of a virtual machine.",
    [
        new FieldDef("node", FieldType.String, "The Node to run on. Optional when the set defines one node or none, or when placement is given; required otherwise.")
        {
            Pattern = Patterns.Name, DefaultText = "the only node", Example = "hv1", Libvirt = "which connection the domain is defined on",
        },
        OwnerFields.PlacementField.Row,
        new FieldDef("state", FieldType.Enum, "Desired power state.")
        {
            Allowed = ["running", "stopped"], Default = "running", Example = "stopped", Libvirt = "virDomainCreate / virDomainShutdown (not in the XML)",
        },
        new FieldDef("autostart", FieldType.Boolean, "Start the domain when the node boots.")
        {
            Default = false, Example = "true", Libvirt = "virDomainSetAutostart (not in the XML)",
        },
        BoundFields.Vcpus.Row,
        BoundFields.MaxVcpusField.Row,
        BoundFields.Memory.Row,
        BoundFields.MaxMemoryField.Row,
        BoundFields.Machine.Row,
        BoundFields.FirmwareField.Row,
        BoundFields.SecureBoot.Row,
        DomainFieldTable.CpuField,
        MemoryFields.Field,
        DomainFieldTable.NumaTuneField,
        BootFields.BootField,
        BootFields.TpmField,
        BootFields.ConsoleField,
        PlatformFields.PmField,
        PlatformFields.ClockField,
        PlatformFields.FeaturesField,
        new FieldDef("disks", FieldType.ObjectList, "Disks, in order.")
        {
            Item = Disk, DefaultText = "[]", Example = "[{path: /var/lib/libvirt/images/web-1.qcow2}]", Libvirt = "<devices><disk>…</disk></devices>",
        },
        new FieldDef("interfaces", FieldType.ObjectList, "Network interfaces, in order.")
        {
            Item = Interface, DefaultText = "[]", Example = "[{network: default}]", Libvirt = "<devices><interface>…</interface></devices>",
        },
        HostdevFields.Hostdevs.Row,
        new FieldDef("graphics", FieldType.Object, "Graphical console.")
        {
            Item = Graphics, DefaultText = "{type: vnc, listen: 127.0.0.1}", Example = "{type: none}", Libvirt = "<devices><graphics>",
        },
        DeviceFields.Iothreads,
        DeviceFields.Filesystems.Row,
        DeviceFields.VideoField,
        DeviceFields.WatchdogField,
        DeviceFields.SoundField,
        DeviceToggleFields.Field,
        GuestPlatformFields.UsbControllerField,
        GuestPlatformFields.ScsiControllerField,
        BoundFields.Protect.Row,
        UpdatePolicyFields.UpdatePolicy,
        UpdatePolicyFields.SnapshotBeforeUpdate,
        UpdatePolicyFields.SnapshotsToKeep,
        SnapshotFields.Snapshots,
        MigrationFields.Migration,
        ReadinessFields.Readiness,
        BoundFields.Description.Row,
        GuestPlatformFields.Osinfo,
        BoundFields.DomainType.Row,
        BoundFields.Arch.Row,
        new FieldDef("cloudInit", FieldType.Object, "A cloud-init NoCloud seed, attached as a read-only cdrom (the domain's last disk).")
        {
            Item = CloudInitFields.Def, DefaultText = "none", Example = "{userData: \"#cloud-config\\npackages: [nginx]\\n\", instanceId: web-1-v2, pool: lab}",
            Libvirt = "<disk type='volume' device='cdrom'><source pool='…' volume='NAME-cidata.iso'/>",
        },
        OwnerFields.XmlPatches.Row,
    ]);

    public override string Description =>
        "A virtual machine: Reconciler renders it to libvirt domain XML, defines it on its node and drives it to `state`.";

    protected override string ExampleBody => """
        metadata:
          name: web-1
          labels: {tier: web}
        spec:
          node: hv1
          state: running
          autostart: true
          vcpus: 2
          maxVcpus: 4
          memory: 2GiB
          maxMemory: 4GiB
          machine: q35
          firmware: uefi
          secureBoot: true
          cpu: {mode: host-model}
          disks:
            - {path: /var/lib/libvirt/images/web-1.qcow2, bus: virtio, boot: 1}
            - {path: /srv/iso/installer.iso, device: cdrom}
          interfaces:
            - {network: default, mac: "52:54:00:12:34:56"}
          graphics: {type: vnc, listen: 127.0.0.1}
          protect: true
          description: Frontend web server
          xml:
            - {xpath: /domain/devices, add: "<watchdog model='i6300esb' action='reset'/>"}
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context)
    {
        var disks = (spec.Get<List<ParsedObject>>("disks") ?? []).Select(d => BuildDisk(d, context)).ToList();
        var interfaces = (spec.Get<List<ParsedObject>>("interfaces") ?? []).Select(BuildInterface).ToList();
        var cpu = spec.Get<ParsedObject>("cpu") is { } c ? HardwareBuild.Cpu(c) : new CpuSpec(null);
        var graphics = spec.Get<ParsedObject>("graphics") is { } g
            ? new GraphicsSpec(ParseEnum<GraphicsType>(g.Get<string>("type")!), g.Get<string>("listen")!, g.Get<string>("compression"), g.Get<int?>("usbRedirection"))
            : new GraphicsSpec(GraphicsType.Vnc, (string)Graphics["listen"].Default!);
        var xml = (spec.Get<List<ParsedObject>>("xml") ?? [])
            .Select(x => new Core.Model.XmlPatch(x.Get<string>("xpath") ?? "", x.Get<string>("add"), x.Get<string>("set"), x.Get<bool>("remove")))
            .ToList();
        CloudInitSpec? cloudInit = null;
        if (spec.Get<ParsedObject>("cloudInit") is { } ci && CloudInitFields.Build(meta.Name, spec.Get<string>("machine")!, ci, context) is { } seed)
        {
            cloudInit = seed.Spec;
            disks.Add(seed.Disk);
        }
        return new DomainSpec(
            meta,
            spec.Get<string>("node"),
            ParseEnum<PowerState>(spec.Get<string>("state")!),
            spec.Get<bool>("autostart"),
            spec.Get<int>("vcpus"),
            spec.Get<int?>("maxVcpus"),
            spec.Get<ulong>("memory"),
            spec.Get<ulong?>("maxMemory"),
            spec.Get<string>("machine")!,
            ParseEnum<Firmware>(spec.Get<string>("firmware")!),
            spec.Get<bool>("secureBoot"),
            cpu,
            disks,
            interfaces,
            graphics,
            xml,
            spec.Get<bool>("protect"),
            spec.Get<string>("description"),
            spec.Get<string>("domainType"),
            spec.Get<string>("arch")!,
            cloudInit,
            UpdatePolicyFields.Build(spec.Get<ParsedObject>("updatePolicy")),
            spec.Get<bool>("snapshotBeforeUpdate"),
            spec.Get<int>("snapshotsToKeep"))
        {
            Placement = spec.Get<ParsedObject>("placement") is { } p ? BuildPlacement(p) : null,
            Migration = MigrationFields.Build(spec.Get<ParsedObject>("migration"), context),
            Snapshots = SnapshotFields.Build(spec.Get<ParsedObject>("snapshots"), context),
            Readiness = ReadinessFields.Build(spec.Get<ParsedObject>("readiness"), context),
            Declared = DeclaredBinder.Bind(spec, DeclaredFields.Domain),
            MemoryBacking = HardwareBuild.MemoryBacking(spec.Get<ParsedObject>("memoryBacking")),
            BootOrder = spec.Get<ParsedObject>("boot")?.Get<List<string>>("order"),
            Tpm = spec.Get<ParsedObject>("tpm") is { } tpm ? new TpmSpec(tpm.Get<string>("model")!, tpm.Get<string>("version")!) : null,
            Console = spec.Get<ParsedObject>("console") is { } console ? new ConsoleSpec(console.Get<string>("log") ?? "", console.Get<bool>("append")) : null,
            Hostdevs = HostdevBuild.Build(spec),
            Devices = NicBuild.Devices(spec.Get<ParsedObject>("devices")),
        }.WithDevices(spec);
    }

    private static PlacementSpec BuildPlacement(ParsedObject p) => new(
        (IReadOnlyDictionary<string, string>?)p.Get<SortedDictionary<string, string>>("nodeSelector") ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
        p.Get<string>("antiAffinity"),
        p.Get<string>("spread") == "domains" ? PlacementSpread.Domains : PlacementSpread.Memory);

    private static DiskSpec BuildDisk(ParsedObject d, DocumentContext context)
    {
        var device = ParseEnum<DiskDevice>(d.Get<string>("device")!);
        var path = d.Get<string>("path");
        if (device == DiskDevice.Cdrom && d.Has("readonly") && !d.Get<bool>("readonly"))
        {
            context.Error(DiagnosticCodes.ConflictingFields, "a cdrom is always read-only", context.Fields[d.FieldPath("readonly")],
                d.FieldPath("readonly"), "remove 'readonly: false' (or use device: disk)");
        }
        return DeviceBuild.Disk(d, new DiskSpec(
            path,
            d.Get<string>("volume"),
            d.Get<string>("pool"),
            device,
            d.Get<string>("bus") ?? (device == DiskDevice.Cdrom ? "sata" : "virtio"),
            d.Get<string>("format") ?? FormatFromExtension(path),
            device == DiskDevice.Cdrom || d.Get<bool>("readonly"),
            d.Get<string>("target"),
            d.Get<int?>("boot")));
    }

    private static InterfaceSpec BuildInterface(ParsedObject n) =>
        NicBuild.With(new(n.Get<string>("network"), n.Get<string>("bridge"), n.Get<string>("model")!, n.Get<string>("mac")?.ToLowerInvariant()), n);

    /// <summary>qcow2 for .qcow2; raw for .iso, .img, .raw; otherwise null (unknown).</summary>
    internal static string? FormatFromExtension(string? path)
    {
        var ext = Path.GetExtension(path ?? "").ToLowerInvariant();
        return ext switch
        {
            ".qcow2" => "qcow2",
            ".iso" or ".img" or ".raw" => "raw",
            _ => null,
        };
    }

    private static T ParseEnum<T>(string value) where T : struct, Enum =>
        Enum.Parse<T>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
}
