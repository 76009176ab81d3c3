using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Rendering;

namespace Reconciler.Rendering.Tests;

/// <summary>The specs behind the golden files and the round-trip tests.</summary>
public static class Cases
{
    public const ulong MiB = 1UL << 20;
    public const ulong GiB = 1UL << 30;

    public static readonly OwnerRecord Owner = new("web-1", "sha256:0123456789abcdef", "git@example.com:ops/vms.git", "3f2c1a9", false);

    public static DomainSpec Base(string name, Action<Dictionary<string, string>>? labels = null)
    {
        var labelMap = new Dictionary<string, string>(StringComparer.Ordinal);
        labels?.Invoke(labelMap);
        return new DomainSpec(
            Meta: new ResourceMeta(name, labelMap, SpecOrigin.InMemory()),
            Node: null,
            State: PowerState.Running,
            Autostart: true,
            Vcpus: 1,
            MaxVcpus: null,
            MemoryBytes: 512 * MiB,
            MaxMemoryBytes: null,
            Machine: "q35",
            Firmware: Firmware.Bios,
            SecureBoot: false,
            Cpu: new CpuSpec(null),
            Disks: [],
            Interfaces: [],
            Graphics: new GraphicsSpec(GraphicsType.None),
            Xml: []);
    }

    public static DiskSpec Disk(string path, string? target = null, int? boot = null, string? bus = null, string? format = null) =>
        new(path, null, null, DiskDevice.Disk, bus, format, false, target, boot);

    public static DiskSpec Cdrom(string? path, string? target = null) =>
        new(path, null, null, DiskDevice.Cdrom, null, null, true, target);

    public static DiskSpec Volume(string volume, string? pool, string? target = null) =>
        new(null, volume, pool, DiskDevice.Disk, null, null, false, target);

    public static DiskSpec NetDisk(string protocol, string? name, IReadOnlyList<string> hosts, DiskAuth? auth = null) =>
        new(null, null, null, DiskDevice.Disk, null, "raw", false, null) { Network = new DiskNetworkSource(protocol, name, hosts, auth) };

    public static InterfaceSpec Network(string network, string? mac = null) => new(network, null, "virtio", mac);

    public static InterfaceSpec Bridge(string bridge, string? mac = null) => new(null, bridge, "virtio", mac);

    /// <summary>Markup, entities, quotes, non-ASCII, astral, newline, CR and tab.</summary>
    public const string HostileText = "</description><devices><disk type='file'/></devices> & \"quotes\" 'apos' <!-- ]]> \u00e9\u00f1 \U0001F600\nsecond line\r\nthird\ttab";

    /// <summary>
    /// The same without CR: libvirt writes a description's CR raw (not as &amp;#13;), and every XML
    /// parser turns a raw CR LF into LF, so a CR in a description never survives libvirt
    /// (pinned by <see cref="RoundTripTests.Test_driver_turns_cr_in_a_description_into_lf"/>).
    /// Metadata attributes do keep it.
    /// </summary>
    public const string HostileDescription = "</description><devices><disk type='file'/></devices> & \"quotes\" 'apos' <!-- ]]> \u00e9\u00f1 \U0001F600\nsecond line\nthird\ttab";

    /// <summary>Every golden case: its spec and the domain type it renders with.</summary>
    public static readonly IReadOnlyDictionary<string, (DomainSpec Spec, string DomainType)> All =
        new Dictionary<string, (DomainSpec, string)>(StringComparer.Ordinal)
        {
            ["minimal"] = (Base("rt-minimal"), "qemu"),

            // Placed by spec.placement: the choice and the constraints live in the owner metadata.
            ["placed"] = (Base("rt-placed") with
            {
                Node = "hv2",
                Placement = new PlacementSpec(new Dictionary<string, string> { ["rack"] = "r2", ["ssd"] = "true" }, "web", PlacementSpread.Domains, "hv2"),
            }, "qemu"),

            ["web-1"] = (Base("rt-web-1", l => { l["tier"] = "web"; l["env"] = "prod"; }) with
            {
                Vcpus = 2,
                MaxVcpus = 4,
                MemoryBytes = 2 * GiB,
                MaxMemoryBytes = 4 * GiB,
                Description = "Front web server",
                Disks = [Disk("/var/lib/libvirt/images/web-1.qcow2", boot: 1), Cdrom("/var/lib/libvirt/images/debian-12.iso")],
                Interfaces = [Network("default"), Bridge("br0", mac: "52:54:00:aa:bb:01")],
                Graphics = new GraphicsSpec(GraphicsType.Vnc, "0.0.0.0"),
            }, "kvm"),

            ["uefi-secureboot"] = (Base("rt-uefi-secureboot") with
            {
                MemoryBytes = 1 * GiB,
                Firmware = Firmware.Uefi,
                SecureBoot = true,
                Disks = [Disk("/var/lib/libvirt/images/sb.qcow2", boot: 1)],
                Interfaces = [Network("default")],
            }, "kvm"),

            ["spice-uefi"] = (Base("rt-spice-uefi") with
            {
                Firmware = Firmware.Uefi,
                Graphics = new GraphicsSpec(GraphicsType.Spice),
                Disks = [Disk("/var/lib/libvirt/images/spice.raw")],
            }, "qemu"),

            // What virt-install writes for a Windows guest, as fields: timers, Hyper-V, the USB controller, the libosinfo id, spice extras.
            ["virt-install-platform"] = (Base("rt-virt-install-platform") with
            {
                Graphics = new GraphicsSpec(GraphicsType.Spice, GraphicsFields.NodeDefault, "off", 2),
                Disks = [Disk("/var/lib/libvirt/images/win.qcow2", bus: "sata")],
                Declared = FieldValues.Empty
                    .With(new FieldPath("spec.clock.offset"), "localtime")
                    .With(new FieldPath("spec.clock.timers.rtc"), "catchup")
                    .With(new FieldPath("spec.clock.timers.pit"), "delay")
                    .With(new FieldPath("spec.clock.timers.hpet"), "no")
                    .With(new FieldPath("spec.clock.timers.hypervclock"), "yes")
                    .With(new FieldPath("spec.features.hyperv.relaxed"), "on")
                    .With(new FieldPath("spec.features.hyperv.vapic"), "on")
                    .With(new FieldPath("spec.features.hyperv.spinlocks"), "on")
                    .With(new FieldPath("spec.features.hyperv.spinlockRetries"), "8191")
                    .With(new FieldPath("spec.usbController.model"), "qemu-xhci")
                    .With(new FieldPath("spec.usbController.ports"), "15")
                    .With(new FieldPath("spec.osinfo"), "http://microsoft.com/win/10"),
            }, "kvm"),

            // virt-install's USB 2 set for older guests (Windows 7, FreeBSD): an ich9-ehci1 and its three uhci companions, on pc.
            ["usb2-companions"] = (Base("rt-usb2-companions") with
            {
                Machine = "pc",
                Disks = [Disk("/var/lib/libvirt/images/win7.qcow2", bus: "sata")],
                Declared = FieldValues.Empty.With(new FieldPath("spec.usbController.model"), "ich9-ehci1"),
                UsbCompanions = true,
            }, "kvm"),

            // A disk on virtio-scsi, as virt-install writes --disk bus=scsi.
            ["virtio-scsi"] = (Base("rt-virtio-scsi") with
            {
                Disks = [Disk("/var/lib/libvirt/images/scsi.qcow2", bus: "scsi")],
                Declared = FieldValues.Empty.With(new FieldPath("spec.scsiController.model"), "virtio-scsi"),
            }, "kvm"),

            ["headless-pc"] = (Base("rt-headless-pc") with
            {
                Machine = "pc",
                Disks = [Disk("/dev/vg0/headless", bus: "sata", format: "raw")],
                Interfaces = [Bridge("br0")],
            }, "qemu"),

            ["volume"] = (Base("rt-volume") with
            {
                // libvirt sorts disks by bus and target: keep explicit targets in that order (see Test_driver_regroups_disks_by_bus_and_target).
                Disks = [Volume("root.qcow2", "default"), Disk("/srv/scratch.img"), Volume("data", "fast", target: "vdc"), Cdrom(null)],
                Interfaces = [Network("default")],
            }, "kvm"),

            ["custom-cpu"] = (Base("rt-custom-cpu") with
            {
                Vcpus = 2,
                MaxVcpus = 8,
                Cpu = new CpuSpec("custom", "Haswell-noTSX"),
                Machine = "pc-q35-7.2",
            }, "qemu"),

            // A declared object (spec.cpu.topology) with no CPU mode: <cpu> is created for it alone.
            ["cpu-topology"] = (Base("rt-cpu-topology") with
            {
                Vcpus = 2,
                MaxVcpus = 4,
                Declared = FieldValues.Empty
                    .With(new FieldPath("spec.cpu.topology.sockets"), "1")
                    .With(new FieldPath("spec.cpu.topology.cores"), "2")
                    .With(new FieldPath("spec.cpu.topology.threads"), "2"),
            }, "qemu"),

            // spec.cpu's fallback, features, pinning (cpusets written as libvirt would not: compared as sets) and NUMA cells.
            ["cpu-hardware"] = (Base("rt-cpu-hardware") with
            {
                Vcpus = 2,
                MemoryBytes = 256 * MiB,
                Cpu = new CpuSpec("custom", "qemu64")
                {
                    Fallback = "allow",
                    Features = [new CpuFeature("sse4.2", "disable"), new CpuFeature("x2apic", "optional"), new CpuFeature("lahf_lm", "require")],
                    Pinning = new CpuPinning(["0", "0,1"], "1,0"),
                    Numa = [new NumaCell("0", 128 * MiB), new NumaCell("1", 128 * MiB)],
                },
                Declared = FieldValues.Empty
                    .With(new FieldPath("spec.cpu.topology.sockets"), "1")
                    .With(new FieldPath("spec.cpu.topology.cores"), "2")
                    .With(new FieldPath("spec.cpu.topology.threads"), "1"),
            }, "qemu"),

            // spec.memoryBacking (huge pages, locked, shared) and spec.numaTune (a declared object).
            ["memory-backing"] = (Base("rt-memory-backing") with
            {
                MemoryBytes = 256 * MiB,
                MemoryBacking = new MemoryBackingSpec(2 * MiB, Locked: true, Shared: true),
                Declared = FieldValues.Empty
                    .With(new FieldPath("spec.numaTune.mode"), "preferred")
                    .With(new FieldPath("spec.numaTune.nodeset"), "0"),
            }, "qemu"),

            // Direct kernel boot (spec.boot: declared fields of <os>) with the console logged (spec.console).
            ["kernel-boot"] = (Base("rt-kernel-boot") with
            {
                Machine = "pc",
                MemoryBytes = 128 * MiB,
                Declared = FieldValues.Empty
                    .With(new FieldPath("spec.boot.kernel"), "/var/lib/libvirt/boot/vmlinuz")
                    .With(new FieldPath("spec.boot.initrd"), "/var/lib/libvirt/boot/initrd.gz")
                    .With(new FieldPath("spec.boot.cmdline"), "console=ttyS0 quiet"),
                Console = new ConsoleSpec("/var/log/libvirt/qemu/rt-kernel-boot.console.log"),
            }, "qemu"),

            // spec.boot.order: several <boot dev>, in the order given; a TPM 1.2 (tis); a console log kept across boots.
            ["boot-order"] = (Base("rt-boot-order") with
            {
                Disks = [Disk("/var/lib/libvirt/images/bo.qcow2"), Cdrom("/var/lib/libvirt/images/bo.iso")],
                Interfaces = [Network("default")],
                BootOrder = ["cdrom", "hd", "network"],
                Tpm = new TpmSpec("tis", "1.2"),
                Console = new ConsoleSpec("/var/log/libvirt/qemu/rt-boot-order.console.log", Append: true),
            }, "qemu"),

            // Trusted boot: UEFI with Secure Boot and a TPM 2.0 (crb).
            ["uefi-tpm"] = (Base("rt-uefi-tpm") with
            {
                MemoryBytes = 1 * GiB,
                Firmware = Firmware.Uefi,
                SecureBoot = true,
                Tpm = new TpmSpec("crb", "2.0"),
                Console = new ConsoleSpec("/var/log/libvirt/qemu/rt-uefi-tpm.console.log"),
            }, "qemu"),

            // Disk tuning on <driver> (cache, io, discard, iothread, detect_zeroes), serial, shareable, and spec.iothreads (declared).
            ["disk-tuning"] = (Base("rt-disk-tuning") with
            {
                Disks =
                [
                    Disk("/var/lib/libvirt/images/db.qcow2", boot: 1) with { Cache = "none", Io = "native", Discard = "unmap", DetectZeroes = "unmap", Serial = "DB-DATA-1", IoThread = 1 },
                    Disk("/var/lib/libvirt/images/shared.raw", format: "raw") with { Cache = "directsync", Io = "io_uring", Shareable = true, IoThread = 2 },
                    Disk("/var/lib/libvirt/images/scratch.qcow2", bus: "sata") with { Cache = "unsafe", Io = "threads", Discard = "ignore", DetectZeroes = "on", Shareable = false },
                ],
                Declared = FieldValues.Empty.With(new FieldPath("spec.iothreads"), "2"),
            }, "qemu"),

            // Network disks of every protocol (none reachable here: libvirt defines them without connecting); hosts without a port get libvirt's default.
            ["network-disks"] = (Base("rt-network-disks") with
            {
                Disks =
                [
                    NetDisk("rbd", "rbd/vm1-root", ["ceph-mon1:6789", "[2001:db8::5]:6789"], new DiskAuth("libvirt", "11111111-2222-3333-4444-555555555555")) with { Cache = "writeback", Discard = "unmap" },
                    NetDisk("iscsi", "iqn.2013-06.com.example:storage/1", ["10.0.0.5"], new DiskAuth("chap-user", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")),
                    NetDisk("nbd", "export1", ["nbd.example:10809"]),
                    NetDisk("gluster", "vol/images/vm1.raw", ["gluster1", "gluster2:24007"]),
                    NetDisk("https", "/images/installer.iso", ["images.example.com"]) with { Device = DiskDevice.Cdrom, ReadOnly = true },
                ],
            }, "qemu"),

            // virtiofs (turns on shared memfd memory), a chosen video model, a watchdog and a sound card.
            ["devices"] = (Base("rt-devices") with
            {
                Graphics = new GraphicsSpec(GraphicsType.Vnc),
                Filesystems = [new FilesystemSpec("/srv/share", "share"), new FilesystemSpec("/srv/other dir", "other.tag")],
                Video = new VideoSpec("vga"),
                Watchdog = new WatchdogSpec("i6300esb", "poweroff"),
                Sound = new SoundSpec("ich9"),
            }, "qemu"),

            // Written as none: no adapter model (libvirt's model none), no watchdog, no sound card, no shares.
            ["devices-none"] = (Base("rt-devices-none") with
            {
                Graphics = new GraphicsSpec(GraphicsType.Vnc),
                Filesystems = [],
                Video = new VideoSpec("none"),
                Watchdog = new WatchdogSpec("none"),
                Sound = new SoundSpec("none"),
            }, "qemu"),

            ["host-passthrough"] = (Base("rt-host-passthrough") with
            {
                Cpu = new CpuSpec("host-passthrough"),
                MemoryBytes = 3 * GiB / 2,
            }, "kvm"),

            ["xml-patches"] = (Base("rt-xml-patches") with
            {
                Disks = [Disk("/var/lib/libvirt/images/p.qcow2")],
                Xml =
                [
                    new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb' action='reset'/><panic model='isa'/>"),
                    new XmlPatch("/domain/clock/@offset", Set: "localtime"),
                    new XmlPatch("/domain/on_crash", Set: "restart"),
                    // Not a device of spec.devices: removing one of those by a patch is a difference (turn it off there instead).
                    new XmlPatch("/domain/features/apic", Remove: true),
                ],
            }, "qemu"),

            // Host devices in every form: PCI (managed and not), USB by vendor/product, a mediated device;
            // none needs to exist to be defined (the node checks refuse missing ones before anything is applied).
            ["hostdevs"] = (Base("rt-hostdevs") with
            {
                Hostdevs =
                [
                    new HostdevSpec { Pci = "0000:03:00.0" },
                    new HostdevSpec { Pci = "0000:03:10.1", Managed = false },
                    new HostdevSpec { Usb = new UsbDeviceId("0x046d", "0xc52b") },
                    new HostdevSpec { Mdev = "4b20d080-1b54-4048-85b3-a6a62d165c01", Model = "vfio-pci" },
                ],
            }, "qemu"),

            ["hostile"] = (Base("rt-hostile <&>\"' x", l => { l["note"] = HostileText; l["a&b"] = "<x y='1'/>"; }) with
            {
                Description = HostileDescription,
                Disks = [Disk("/var/lib/libvirt/images/we'ird & <odd>\".qcow2")],
                Xml =
                [
                    new XmlPatch("/domain", Add: "<title>T &amp; &lt;x&gt; \"q\"</title>"),
                    new XmlPatch("/domain/title", Set: "</title><devices/> & 'x' \"y\""), // hostile text as a value: escaped, not markup
                ],
            }, "qemu"),

            // Every interface form (spec.interfaces): options on a network NIC, Open vSwitch with one tag and with a trunk,
            // macvtap, an SR-IOV VF with MAC and VLAN, user mode. OVS and the VF cannot run here: defined, never started.
            ["nics"] = (Base("rt-nics") with
            {
                Vcpus = 2,
                Interfaces =
                [
                    Cases.Network("default") with { Mtu = 9000, Queues = 2, LinkState = "up", Boot = 2 },
                    Cases.Bridge("ovsbr1") with { Virtualport = "openvswitch", Vlan = new VlanSpec([100]) },
                    Cases.Bridge("ovsbr0") with { Virtualport = "openvswitch", Vlan = new VlanSpec([10, 20], Trunk: true) },
                    new InterfaceSpec(null, null, "virtio", null) { Direct = new DirectSpec("eth0", "bridge") },
                    new InterfaceSpec(null, null, "virtio", "52:54:00:00:00:10") { Hostdev = "0000:03:10.1", Vlan = new VlanSpec([30]) },
                    new InterfaceSpec(null, null, "e1000e", null) { User = true, LinkState = "down" },
                ],
                Disks = [Disk("/var/lib/libvirt/images/nics.qcow2", boot: 1)],
            }, "qemu"),

            // spec.devices: every default device off (balloon and USB as model='none', which libvirt would add otherwise), one spare root port.
            ["devices-off"] = (Base("rt-devices-off") with
            {
                Graphics = new GraphicsSpec(GraphicsType.Vnc),
                Devices = new DevicesSpec(Rng: false, Balloon: false, Tablet: false, Usb: false, AgentChannel: false, Serial: false, SpareRootPorts: 1),
                Interfaces = [new InterfaceSpec(null, null, "virtio", null) { User = true }],
            }, "qemu"),

            ["test-driver"] = (Base("rt-test-driver", l => l["driver"] = "test") with
            {
                Vcpus = 2,
                MemoryBytes = 256 * MiB,
                MaxMemoryBytes = 1 * GiB,
                Firmware = Firmware.Uefi,
                SecureBoot = true,
                Cpu = new CpuSpec("host-model"),
                DomainType = "test",
                Disks = [Disk("/var/lib/libvirt/images/t.qcow2", boot: 1), Volume("t-data", "default"), Cdrom(null)],
                Interfaces = [Network("default"), Bridge("br0")],
                Graphics = new GraphicsSpec(GraphicsType.Vnc),
                Description = "rendered for libvirt's test driver",
            }, "test"),
        };

    /// <summary>A fixed UUID per case, so redefines and lookups by UUID work.</summary>
    public static string UuidFor(string caseName)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(caseName));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    public static RenderOptions Options(string caseName, string domainType) =>
        new(domainType, Owner with { SpecName = caseName }, Uuid: UuidFor(caseName));
}
