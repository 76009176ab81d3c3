using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Rendering.Tests;

public sealed class RendererTests
{
    private static readonly RenderOptions Kvm = new("kvm", Cases.Owner);

    private static XElement Root(DomainSpec spec, RenderOptions? options = null) =>
        XDocument.Parse(DomainRenderer.Render(spec, options ?? Kvm)).Root!;

    [Fact]
    public void A_name_with_markup_is_escaped_not_injected()
    {
        var spec = Cases.Base("a</name><devices>") with { Description = "x</description><on_crash>restart</on_crash>" };
        var text = DomainRenderer.Render(spec, Kvm);

        Assert.Contains("<name>a&lt;/name&gt;&lt;devices&gt;</name>", text);
        var root = XDocument.Parse(text).Root!;
        Assert.Equal("a</name><devices>", Assert.Single(root.Elements("name")).Value);
        Assert.Single(root.Elements("devices"));
        Assert.Equal("destroy", Assert.Single(root.Elements("on_crash")).Value);
        Assert.Equal(spec.Description, root.Element("description")!.Value);
        Assert.Equal("a</name><devices>", DomainXmlParser.Parse(text).Name);
    }

    [Fact]
    public void Hostile_text_survives_exactly_including_cr_tab_and_astral_characters()
    {
        var spec = Cases.Base("h", l => l["k"] = Cases.HostileText) with { Description = Cases.HostileText };
        var parsed = DomainXmlParser.Parse(DomainRenderer.Render(spec, Kvm with { Owner = Cases.Owner with { Source = Cases.HostileText } }));
        Assert.Equal(Cases.HostileText, parsed.Spec.Description);
        Assert.Equal(Cases.HostileText, parsed.Spec.Meta.Labels["k"]);
        Assert.Equal(Cases.HostileText, parsed.Owner!.Source);
    }

    [Fact]
    public void A_character_xml_cannot_carry_is_a_render_error_naming_the_field()
    {
        var spec = Cases.Base("ok") with { Description = "bell\u0007" };
        var e = Assert.Throws<RenderException>(() => DomainRenderer.Render(spec, Kvm));
        Assert.Equal("spec.description", e.FieldPath);
        Assert.Contains("U+0007", e.Message);
    }

    [Fact]
    public void Uuid_is_emitted_only_when_given()
    {
        Assert.Null(Root(Cases.Base("u")).Element("uuid"));
        var uuid = "6f1c1d9e-8f6a-4c1b-9d7e-0a1b2c3d4e5f";
        Assert.Equal(uuid, Root(Cases.Base("u"), Kvm with { Uuid = uuid }).Element("uuid")!.Value);
    }

    [Fact]
    public void Memory_and_vcpus_render_max_and_current_in_kib()
    {
        var root = Root(Cases.Base("m") with { MemoryBytes = 1536 * Cases.MiB, MaxMemoryBytes = 4 * Cases.GiB, Vcpus = 2, MaxVcpus = 6 });
        Assert.Equal("4194304", root.Element("memory")!.Value);
        Assert.Equal("KiB", (string?)root.Element("memory")!.Attribute("unit"));
        Assert.Equal("1572864", root.Element("currentMemory")!.Value);
        Assert.Equal("6", root.Element("vcpu")!.Value);
        Assert.Equal("2", (string?)root.Element("vcpu")!.Attribute("current"));

        var plain = Root(Cases.Base("m"));
        Assert.Equal("524288", plain.Element("memory")!.Value);
        Assert.Equal("524288", plain.Element("currentMemory")!.Value);
        Assert.Equal("1", plain.Element("vcpu")!.Value);
    }

    [Fact]
    public void Defaults_match_virt_install()
    {
        var root = Root(Cases.Base("d") with { Graphics = new GraphicsSpec(GraphicsType.Vnc) });
        Assert.Equal("kvm", (string?)root.Attribute("type"));
        var type = root.Element("os")!.Element("type")!;
        Assert.Equal(("x86_64", "q35", "hvm"), ((string?)type.Attribute("arch"), (string?)type.Attribute("machine"), type.Value));
        Assert.Null(root.Element("os")!.Attribute("firmware"));
        Assert.NotNull(root.Element("features")!.Element("acpi"));
        Assert.NotNull(root.Element("features")!.Element("apic"));
        Assert.Null(root.Element("cpu"));
        Assert.Equal("utc", (string?)root.Element("clock")!.Attribute("offset"));
        Assert.Equal(["destroy", "restart", "destroy"], new[] { "on_poweroff", "on_reboot", "on_crash" }.Select(n => root.Element(n)!.Value));
        var devices = root.Element("devices")!;
        Assert.Equal("pty", (string?)devices.Element("serial")!.Attribute("type"));
        Assert.Equal("pty", (string?)devices.Element("console")!.Attribute("type"));
        Assert.Contains(devices.Elements("channel"), c => (string?)c.Element("target")!.Attribute("name") == "org.qemu.guest_agent.0");
        Assert.Equal("/dev/urandom", devices.Element("rng")!.Element("backend")!.Value);
        Assert.Equal("virtio", (string?)devices.Element("memballoon")!.Attribute("model"));
        Assert.Equal("tablet", (string?)devices.Element("input")!.Attribute("type"));
        Assert.NotNull(devices.Element("video"));
        var graphics = devices.Element("graphics")!;
        Assert.Equal("vnc", (string?)graphics.Attribute("type"));
        Assert.Equal("127.0.0.1", (string?)graphics.Element("listen")!.Attribute("address"));
        // 4 used by default devices (usb, virtio-serial, balloon, rng) + 4 spare.
        var ports = devices.Elements("controller").Where(c => (string?)c.Attribute("model") == "pcie-root-port").ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString()), ports.Select(p => (string?)p.Attribute("index")));
    }

    [Fact]
    public void No_graphics_means_no_tablet_video_or_graphics_and_pc_has_no_root_ports()
    {
        var devices = Root(Cases.Base("n") with { Machine = "pc" }).Element("devices")!;
        Assert.Null(devices.Element("graphics"));
        Assert.Null(devices.Element("video"));
        Assert.Null(devices.Element("input"));
        Assert.Empty(devices.Elements("controller"));
    }

    [Fact]
    public void Root_ports_grow_with_devices_so_four_stay_spare()
    {
        var spec = Cases.Base("p") with { Disks = [Cases.Disk("/a.qcow2"), Cases.Disk("/b.raw"), Cases.Cdrom(null)], Interfaces = [Cases.Network("default")] };
        var ports = Root(spec).Element("devices")!.Elements("controller").Count(c => (string?)c.Attribute("model") == "pcie-root-port");
        Assert.Equal(4 + 2 + 1 + DomainRenderer.SparePcieRootPorts, ports);
    }

    [Fact]
    public void Uefi_secure_boot_and_plain_uefi()
    {
        var secure = Root(Cases.Base("s") with { Firmware = Firmware.Uefi, SecureBoot = true });
        var os = secure.Element("os")!;
        Assert.Equal("efi", (string?)os.Attribute("firmware"));
        Assert.Equal("yes", (string?)os.Element("loader")!.Attribute("secure"));
        Assert.Contains(os.Element("firmware")!.Elements("feature"), f => (string?)f.Attribute("name") == "secure-boot" && (string?)f.Attribute("enabled") == "yes");
        Assert.Equal("on", (string?)secure.Element("features")!.Element("smm")!.Attribute("state"));

        var plain = Root(Cases.Base("u") with { Firmware = Firmware.Uefi });
        Assert.Equal("efi", (string?)plain.Element("os")!.Attribute("firmware"));
        Assert.Null(plain.Element("os")!.Element("loader"));
        Assert.Equal("no", (string?)plain.Element("os")!.Element("firmware")!.Element("feature")!.Attribute("enabled"));
        Assert.Null(plain.Element("features")!.Element("smm"));
    }

    [Fact]
    public void Cpu_is_rendered_only_when_a_mode_is_set()
    {
        var custom = Root(Cases.Base("c") with { Cpu = new CpuSpec("custom", "EPYC") }).Element("cpu")!;
        Assert.Equal(("custom", "exact", "EPYC"), ((string?)custom.Attribute("mode"), (string?)custom.Attribute("match"), custom.Element("model")!.Value));
        var passthrough = Root(Cases.Base("c") with { Cpu = new CpuSpec("host-passthrough") }).Element("cpu")!;
        Assert.Equal("host-passthrough", (string?)passthrough.Attribute("mode"));
        Assert.False(passthrough.HasElements);
    }

    [Fact]
    public void Disk_targets_are_assigned_in_order_skipping_explicit_ones_and_formats_detected()
    {
        var spec = Cases.Base("t") with
        {
            Disks =
            [
                Cases.Disk("/a.qcow2"), Cases.Disk("/b.img", target: "vda"), Cases.Cdrom("/c.iso"),
                Cases.Disk("/dev/sdz", bus: "sata"), Cases.Disk("/e.qcow2", format: "raw"), Cases.Disk("/f", bus: "ide"),
            ],
        };
        var disks = Root(spec).Element("devices")!.Elements("disk").ToList();
        Assert.Equal(["vdb", "vda", "sda", "sdb", "vdc", "hda"], disks.Select(d => (string?)d.Element("target")!.Attribute("dev")));
        Assert.Equal(["virtio", "virtio", "sata", "sata", "virtio", "ide"], disks.Select(d => (string?)d.Element("target")!.Attribute("bus")));
        Assert.Equal(["qcow2", "raw", "raw", "raw", "raw", "raw"], disks.Select(d => (string?)d.Element("driver")!.Attribute("type")));
        Assert.Equal(["file", "file", "file", "block", "file", "file"], disks.Select(d => (string?)d.Attribute("type")));
        Assert.Equal("/dev/sdz", (string?)disks[3].Element("source")!.Attribute("dev"));
        Assert.NotNull(disks[2].Element("readonly"));
        Assert.Null(disks[0].Element("readonly"));
    }

    [Theory]
    [InlineData(0, "a")]
    [InlineData(25, "z")]
    [InlineData(26, "aa")]
    [InlineData(27, "ab")]
    [InlineData(701, "zz")]
    [InlineData(702, "aaa")]
    public void Disk_suffixes_follow_libvirt(int index, string suffix) => Assert.Equal(suffix, DiskTargets.Suffix(index));

    [Fact]
    public void A_volume_disk_needs_a_pool()
    {
        var spec = Cases.Base("v") with { Disks = [Cases.Disk("/a.qcow2"), Cases.Volume("data", null)] };
        var e = Assert.Throws<RenderException>(() => DomainRenderer.Render(spec, Kvm));
        Assert.Equal("spec.disks[1].pool", e.FieldPath);
        Assert.Contains("data", e.Message);

        var ok = Root(spec with { Disks = [Cases.Volume("data", "fast")] }).Element("devices")!.Element("disk")!;
        Assert.Equal("volume", (string?)ok.Attribute("type"));
        Assert.Equal(("fast", "data"), ((string?)ok.Element("source")!.Attribute("pool"), (string?)ok.Element("source")!.Attribute("volume")));
    }

    [Fact]
    public void Interfaces_render_network_bridge_model_and_known_mac()
    {
        var spec = Cases.Base("i") with { Interfaces = [Cases.Network("default"), new InterfaceSpec(null, "br0", "e1000e", "52:54:00:00:00:01")] };
        var nics = Root(spec).Element("devices")!.Elements("interface").ToList();
        Assert.Equal(("network", "default"), ((string?)nics[0].Attribute("type"), (string?)nics[0].Element("source")!.Attribute("network")));
        Assert.Null(nics[0].Element("mac"));
        Assert.Equal(("bridge", "br0"), ((string?)nics[1].Attribute("type"), (string?)nics[1].Element("source")!.Attribute("bridge")));
        Assert.Equal("e1000e", (string?)nics[1].Element("model")!.Attribute("type"));
        Assert.Equal("52:54:00:00:00:01", (string?)nics[1].Element("mac")!.Attribute("address"));

        var bad = spec with { Interfaces = [new InterfaceSpec(null, null, "virtio", null)] };
        Assert.Equal("spec.interfaces[0]", Assert.Throws<RenderException>(() => DomainRenderer.Render(bad, Kvm)).FieldPath);
    }

    [Fact]
    public void Live_macs_are_carried_over_by_position_then_by_network_and_explicit_macs_win()
    {
        var live = Cases.Base("l") with
        {
            Interfaces = [Cases.Network("default", "52:54:00:00:00:0a"), Cases.Bridge("br0", "52:54:00:00:00:0b"), Cases.Network("default", "52:54:00:00:00:0c")],
        };
        // A NIC inserted in front, one removed, one with an explicit MAC that equals a live one.
        var spec = Cases.Base("l") with
        {
            Interfaces = [Cases.Network("other"), Cases.Network("default"), Cases.Bridge("br0"), Cases.Network("default", "52:54:00:00:00:0A")],
        };
        var macs = DomainRenderer.ResolveMacs(spec, live);
        // #1 cannot take live #0's MAC (the spec gives it to #3 explicitly): it gets the next one on 'default'.
        Assert.Equal([null, "52:54:00:00:00:0c", "52:54:00:00:00:0b", "52:54:00:00:00:0A"], macs);

        var rendered = Root(spec, Kvm with { Live = live }).Element("devices")!.Elements("interface")
            .Select(n => (string?)n.Element("mac")?.Attribute("address")).ToList();
        Assert.Equal(macs, rendered);
        Assert.Equal([null, null, null, "52:54:00:00:00:0A"], Root(spec).Element("devices")!.Elements("interface")
            .Select(n => (string?)n.Element("mac")?.Attribute("address")));
    }

    [Fact]
    public void Live_disk_targets_are_kept_when_a_disk_is_inserted_in_front()
    {
        var live = Cases.Base("l") with { Disks = [Cases.Disk("/a.qcow2", "vda", bus: "virtio"), Cases.Disk("/b.qcow2", "vdb", bus: "virtio")] };
        var spec = Cases.Base("l") with { Disks = [Cases.Disk("/new.qcow2"), Cases.Disk("/a.qcow2"), Cases.Disk("/b.qcow2")] };
        Assert.Equal(["vdc", "vda", "vdb"], DomainRenderer.ResolveDisks(spec, live).Select(d => d.Target));
        Assert.Equal(["vda", "vdb", "vdc"], DomainRenderer.ResolveDisks(spec, null).Select(d => d.Target));
        // A live target on another bus is not carried over.
        var moved = spec with { Disks = [Cases.Disk("/a.qcow2", bus: "sata")] };
        Assert.Equal(["sda"], DomainRenderer.ResolveDisks(moved, live).Select(d => d.Target));
    }

    [Fact]
    public void Metadata_carries_owner_labels_and_patches_in_our_namespace()
    {
        var spec = Cases.Base("md", l => { l["b"] = "2"; l["a"] = "1"; }) with
        {
            Protect = true,
            Xml = [new XmlPatch("/domain/clock/@offset", Set: "localtime"), new XmlPatch("/domain/devices/rng", Remove: true)],
        };
        var text = DomainRenderer.Render(spec, Kvm);
        Assert.Contains("<reconciler:owner xmlns:reconciler=\"https://reconciler.dev/xmlns/owner/1\" name=\"web-1\"", text);
        var owner = XDocument.Parse(text).Root!.Element("metadata")!.Element(XName.Get("owner", OwnerRecord.Namespace))!;
        Assert.Equal("true", (string?)owner.Attribute("protect"));
        Assert.Equal(Cases.Owner.SpecHash, (string?)owner.Attribute("specHash"));
        Assert.Equal(["a", "b"], owner.Elements(XName.Get("label", OwnerRecord.Namespace)).Select(l => (string?)l.Attribute("key")));
        Assert.Equal(2, owner.Elements(XName.Get("patch", OwnerRecord.Namespace)).Count());
    }

    [Fact]
    public void The_desired_power_state_is_recorded_in_the_owner_and_can_be_rewritten_alone()
    {
        var spec = Cases.Base("pw", l => l["a"] = "1") with { State = PowerState.Stopped, Autostart = false };
        var parsed = DomainXmlParser.Parse(DomainRenderer.Render(spec, Kvm));
        Assert.Equal((PowerState?)PowerState.Stopped, parsed.Owner!.State);
        Assert.Equal((bool?)false, parsed.Owner.Autostart);

        // What a start step does to the metadata libvirt hands back: only state and autostart change.
        var element = XDocument.Parse(DomainRenderer.Render(spec, Kvm)).Root!.Element("metadata")!.Element(XName.Get("owner", OwnerRecord.Namespace))!;
        var rewritten = XElement.Parse(OwnerPower.With(element.ToString(), PowerState.Running, autostart: true));
        Assert.Equal("running", (string?)rewritten.Attribute("state"));
        Assert.Equal("true", (string?)rewritten.Attribute("autostart"));
        Assert.Equal(Cases.Owner.SpecHash, (string?)rewritten.Attribute("specHash"));
        Assert.Equal(Cases.Owner.Revision, (string?)rewritten.Attribute("revision"));
        Assert.Single(rewritten.Elements(XName.Get("label", OwnerRecord.Namespace)));
    }

    [Fact]
    public void Description_is_rendered_only_when_set()
    {
        Assert.Null(Root(Cases.Base("x")).Element("description"));
        Assert.Equal("hello", Root(Cases.Base("x") with { Description = "hello" }).Element("description")!.Value);
    }
}
