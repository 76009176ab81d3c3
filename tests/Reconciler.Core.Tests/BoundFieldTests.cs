using System.Xml.Linq;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

/// <summary>Each bound Domain field's declaration agrees with itself: what it renders it reads back, and its rules reach the planner.</summary>
public sealed class BoundFieldTests
{
    public static TheoryData<string> Paths() => [.. BoundFields.All.Select(f => f.Path.Text)];

    /// <summary>A spec where every bound field has a value other than its default (protect lives in the owner record).</summary>
    private static DomainSpec Unusual() => Specs.Domain("bound", d => d with
    {
        Vcpus = 3,
        MaxVcpus = 6,
        MemoryBytes = 768UL << 20,
        MaxMemoryBytes = 3UL << 30,
        Machine = "pc-q35-7.2",
        Arch = "aarch64",
        Firmware = Firmware.Uefi,
        SecureBoot = true,
        Cpu = new CpuSpec("custom", "Skylake-Server")
        {
            Fallback = "allow",
            Features = [new CpuFeature("x2apic", "disable"), new CpuFeature("erms", "force")],
            Pinning = new CpuPinning(["0-1", "2,4", "3"], "0,1"),
            Numa = [new NumaCell("0-2", 1UL << 30), new NumaCell("3-5", 2UL << 30)],
        },
        MemoryBacking = new MemoryBackingSpec(1UL << 30, Locked: true, Shared: true),
        DomainType = "qemu",
        Description = "line one\nline two <&>",
        Meta = d.Meta with { Labels = new Dictionary<string, string> { ["tier"] = "web", ["example.com/team"] = "a b" } },
        Placement = new PlacementSpec(new SortedDictionary<string, string>(StringComparer.Ordinal) { ["rack"] = "r1" }, "web", PlacementSpread.Domains, "hv2"),
        Xml = [new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb'/>"), new XmlPatch("/domain/clock/@offset", Set: "localtime"), new XmlPatch("/domain/devices/rng", Remove: true)],
        BootOrder = ["network", "cdrom"],
        Tpm = new TpmSpec("tis", "1.2"),
        Console = new ConsoleSpec("/var/log/bound.log", Append: true),
        Filesystems = [new FilesystemSpec("/srv/a", "a"), new FilesystemSpec("/srv/b c", "b.c")],
        Video = new VideoSpec("qxl"),
        Watchdog = new WatchdogSpec("ib700", "inject-nmi"),
        Sound = new SoundSpec("ac97"),
        UsbCompanions = true,
        Graphics = new GraphicsSpec(GraphicsType.Vnc),
        Devices = new DevicesSpec(Rng: false, Balloon: false, Tablet: false, Usb: false, AgentChannel: false, Serial: true, SpareRootPorts: 7),
    });

    /// <summary>The devices the renderer makes before the fields render: the pty serial port (with its target) that the console's log goes on.</summary>
    private static XElement Devices() => new("devices", new XElement("serial", new XAttribute("type", "pty"), new XElement("target", new XAttribute("port", "0"))));

    [Theory]
    [MemberData(nameof(Paths))]
    public void What_a_field_renders_it_reads_back(string path)
    {
        var field = BoundFields.Find(new FieldPath(path))!;
        var spec = Unusual();
        var domain = new XElement("domain", new XAttribute("type", spec.DomainType!), new XElement("metadata", new XElement(OwnerMetadata.Owner)), Devices());
        foreach (var f in BoundFields.All) f.Render(domain, spec);
        // The console is read by GraphicsFields, not a bound field; the tablet is compared only with one.
        var read = BoundFields.All.Aggregate(Specs.Domain("bound", d => d with { Protect = spec.Protect, Graphics = spec.Graphics }), (s, f) => f.Read(domain, s));
        Assert.Contains(field.Flatten(spec), v => v.Value is not null);
        if (field.Equivalent is { } same)
        {
            // Compared by the field's own rule: spare root ports read back as "at least" (here no device has a
            // libvirt-assigned address yet, so the filesystems' ports read as free too).
            Assert.Equal(field.Flatten(spec).Select(v => v.Path), field.Flatten(read).Select(v => v.Path));
            Assert.All(field.Flatten(spec).Zip(field.Flatten(read)), p => Assert.True(p.First.Value == p.Second.Value || same(p.First.Value!, p.Second.Value!), $"{p.First} vs {p.Second}"));
        }
        else
        {
            Assert.Equal(field.Flatten(spec), field.Flatten(read));
        }
    }

    [Fact]
    public void Fields_render_in_libvirts_element_and_attribute_order()
    {
        var spec = Unusual();
        var domain = new XElement("domain", new XElement("name", "bound"), new XElement("metadata", new XElement(OwnerMetadata.Owner)), Devices());
        foreach (var f in BoundFields.All) f.Render(domain, spec);
        Assert.Equal(["name", "description", "metadata", "memory", "currentMemory", "memoryBacking", "vcpu", "cputune", "os", "features", "cpu", "devices"],
            domain.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["model", "feature", "feature", "numa"], domain.Element("cpu")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["vcpupin", "vcpupin", "vcpupin", "emulatorpin"], domain.Element("cputune")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["hugepages", "locked", "source", "access"], domain.Element("memoryBacking")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["policy", "name"], domain.Element("cpu")!.Element("feature")!.Attributes().Select(a => a.Name.LocalName));
        Assert.Equal(["arch", "machine"], domain.Element("os")!.Element("type")!.Attributes().Select(a => a.Name.LocalName));
        Assert.Equal(["placement", "current"], domain.Element("vcpu")!.Attributes().Select(a => a.Name.LocalName));
        Assert.Equal("6", domain.Element("vcpu")!.Value);
        Assert.Equal(["label", "label", "placement", "patch", "patch", "patch"], domain.Element("metadata")!.Element(OwnerMetadata.Owner)!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["type", "firmware", "loader", "boot", "boot"], domain.Element("os")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["network", "cdrom"], domain.Element("os")!.Elements("boot").Select(b => (string?)b.Attribute("dev")));
        // spec.devices: the USB controller off with its three companions right after it (the validator refuses that pair; only the order is tested),
        // seven spare root ports beside the two filesystems' ports, the balloon off.
        Assert.Equal([.. Enumerable.Repeat("controller", 13), "filesystem", "filesystem", "serial", "console", "tpm", "sound", "video", "watchdog", "memballoon"],
            domain.Element("devices")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal([.. Enumerable.Repeat("usb", 4), .. Enumerable.Repeat("pci", 9)], domain.Element("devices")!.Elements("controller").Select(c => (string?)c.Attribute("type")));
        Assert.Equal(["log", "target"], domain.Element("devices")!.Element("serial")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["file", "append"], domain.Element("devices")!.Element("serial")!.Element("log")!.Attributes().Select(a => a.Name.LocalName));
    }

    [Fact]
    public void A_missing_value_in_live_xml_is_a_located_read_error_not_a_crash()
    {
        var domain = new XElement("domain", new XElement("memory", new XAttribute("unit", "furlongs"), "12"));
        var e = Assert.Throws<LiveXmlException>(() => BoundFields.Memory.Read(domain, Specs.Domain("x")));
        Assert.Contains("furlongs", e.Message, StringComparison.Ordinal);
        Assert.Throws<LiveXmlException>(() => BoundFields.Memory.Read(new XElement("domain"), Specs.Domain("x")));
    }

    [Theory]
    [InlineData("spec.arch", "x86_64", "aarch64", false, Disruption.Replace)]
    [InlineData("spec.domainType", "kvm", "qemu", false, Disruption.Replace)]
    [InlineData("spec.description", "a", "b", true, Disruption.None)]
    [InlineData("spec.machine", "pc-q35-7.2", "pc", true, Disruption.NextBoot)]
    [InlineData("spec.machine", "pc-q35-7.2", "pc", false, Disruption.None)]
    [InlineData("spec.memory", "64MiB", "32MiB", true, Disruption.Live)]
    [InlineData("spec.memory", "64MiB", "128MiB", true, Disruption.NextBoot)]
    [InlineData("spec.vcpus", "1", "2", true, Disruption.NextBoot)]
    [InlineData("spec.cpu.pinning.vcpus", "[\"0\"]", "[\"1\"]", true, Disruption.Live)]
    [InlineData("spec.cpu.pinning.emulator", "0", "1", true, Disruption.Live)]
    [InlineData("spec.cpu.pinning.emulator", "0", "1", false, Disruption.None)]
    [InlineData("spec.cpu.features", "erms=require", "", true, Disruption.NextBoot)]
    [InlineData("spec.cpu.numa", "0 64MiB", "0 32MiB", true, Disruption.NextBoot)]
    [InlineData("spec.memoryBacking.hugepages.size", "2MiB", "1GiB", true, Disruption.NextBoot)]
    public void A_fields_declared_rule_decides_its_disruption(string path, string before, string after, bool running, Disruption expected)
    {
        var config = Specs.Domain("d");
        var live = Specs.Live(config, running ? LiveRunState.Running : LiveRunState.Stopped);
        var change = Disruptions.Classify([new FieldDiff(path, before, after)], config, live, now: null);
        Assert.Equal(expected, Assert.Single(change).Disruption);
    }

    [Fact]
    public void A_live_change_names_the_operation_that_applies_it()
    {
        Assert.Equal(LiveOperation.SetMemory, BoundFields.Memory.Live);
        Assert.Equal(LiveOperation.SetVcpus, BoundFields.Vcpus.Live);
        Assert.All(BoundFields.All.Where(f => f.LiveWhen is null), f => Assert.Equal(LiveOperation.None, f.Live));
    }

    [Fact]
    public void An_alias_machine_equals_the_versioned_name_libvirt_writes()
    {
        Assert.Empty(DomainFields.Diff(Specs.Domain("m"), Specs.Live(Specs.Domain("m")).Config!));
        Assert.NotEmpty(DomainFields.Diff(Specs.Domain("m", d => d with { Machine = "pc" }), Specs.Live(Specs.Domain("m")).Config!));
    }

    [Theory]
    [InlineData(null, "br0", "e1000e", "52:54:00:ab:cd:ef")]
    [InlineData("default", null, "virtio", null)]
    public void An_interface_reads_back_what_its_fields_render_in_libvirts_order(string? network, string? bridge, string model, string? mac)
    {
        var nic = new InterfaceSpec(network, bridge, model, mac);
        var element = InterfaceFields.Render(nic);
        Assert.Equal(nic, InterfaceFields.Read(element));
        Assert.Equal(network is null ? "bridge" : "network", (string?)element.Attribute("type"));
        Assert.Equal([.. mac is null ? Array.Empty<string>() : ["mac"], "source", "model"], element.Elements().Select(e => e.Name.LocalName));
    }

    public static TheoryData<DiskSpec> Disks() =>
    [
        new DiskSpec("/var/lib/libvirt/images/a.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, "vda", 1) { Shareable = false },
        new DiskSpec("/dev/vg0/data", null, null, DiskDevice.Disk, "scsi", "raw", true, "sdb", null) { Shareable = false },
        new DiskSpec(null, "web-root", "lab", DiskDevice.Disk, "sata", "qcow2", false, "sdc", 2) { Shareable = false },
        new DiskSpec("/srv/iso/debian.iso", null, null, DiskDevice.Cdrom, "sata", "raw", true, "sda", null) { Shareable = false },
        new DiskSpec(null, null, null, DiskDevice.Cdrom, "ide", "raw", true, "hdc", null) { Shareable = false },
        // Every tuning field, and a network source with auth (read back from <source>).
        new DiskSpec("/srv/db.raw", null, null, DiskDevice.Disk, "virtio", "raw", false, "vdd", 3)
        {
            Cache = "none", Io = "native", Discard = "unmap", DetectZeroes = "unmap", Serial = "DB-1", IoThread = 2, Shareable = true,
        },
        new DiskSpec(null, null, null, DiskDevice.Disk, "virtio", "raw", false, "vde", null)
        {
            Shareable = false, Network = new DiskNetworkSource("rbd", "pool/img", ["mon1:6789", "[2001:db8::1]:6789"], new DiskAuth("libvirt", "11111111-2222-3333-4444-555555555555")),
        },
    ];

    [Theory]
    [MemberData(nameof(Disks))]
    public void A_disk_reads_back_what_its_fields_render_in_libvirts_order(DiskSpec disk)
    {
        var element = DiskFields.Render(disk);
        Assert.Equal(disk, DiskFields.Read(element));
        Assert.Equal(["type", "device"], element.Attributes().Select(a => a.Name.LocalName));
        var children = element.Elements().Select(e => e.Name.LocalName).ToList();
        Assert.Equal(children.OrderBy(c => c switch { "driver" => 0, "source" => 1, "target" => 2, "readonly" => 3, _ => 4 }), children);
        Assert.Equal(["dev", "bus"], element.Element("target")!.Attributes().Select(a => a.Name.LocalName));
        if (disk.Volume is not null) Assert.Equal(["pool", "volume"], element.Element("source")!.Attributes().Select(a => a.Name.LocalName));
        Assert.Equal(disk.Network is null ? disk.Volume is null ? disk.Path?.StartsWith("/dev/", StringComparison.Ordinal) == true ? "block" : "file" : "volume" : "network", (string?)element.Attribute("type"));
        if (disk.Cache is not null) Assert.Equal(["name", "type", "cache", "io", "discard", "iothread", "detect_zeroes"], element.Element("driver")!.Attributes().Select(a => a.Name.LocalName));
    }

    [Fact]
    public void A_disk_with_an_unreadable_boot_order_is_a_read_error()
    {
        var element = DiskFields.Render(new DiskSpec("/a.raw", null, null, DiskDevice.Disk, "virtio", "raw", false, "vda", 1));
        element.Element("boot")!.SetAttributeValue("order", "first");
        Assert.Contains("first", Assert.Throws<LiveXmlException>(() => DiskFields.Read(element)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GraphicsType.Vnc, "0.0.0.0", null, null)]
    [InlineData(GraphicsType.Spice, "127.0.0.1", null, null)]
    [InlineData(GraphicsType.Spice, "default", "off", 2)]
    public void A_console_reads_back_what_its_fields_render(GraphicsType type, string listen, string? compression, int? redirection)
    {
        var graphics = new GraphicsSpec(type, listen, compression, redirection);
        var devices = new XElement("devices", new XElement("graphics", new XAttribute("type", "egl-headless")));
        var element = GraphicsFields.Render(devices, graphics);
        // A spice console reads back how many redirection channels it has, none included.
        Assert.Equal(graphics with { UsbRedirection = type == GraphicsType.Spice ? redirection ?? 0 : null }, GraphicsFields.Read(devices));
        Assert.Equal(redirection ?? 0, devices.Elements("redirdev").Count());
        Assert.Equal(type == GraphicsType.Vnc ? ["type", "port", "autoport"] : ["type", "autoport"], element.Attributes().Select(a => a.Name.LocalName));
        Assert.Equal(GraphicsType.None, GraphicsFields.Read(new XElement("devices")).Type);
    }
}
