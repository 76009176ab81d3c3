using Reconciler.Core.Model;

namespace Reconciler.Rendering.Tests;

public sealed class ParserTests
{
    private static ParsedDomain Parse(string body, string type = "kvm", string name = "vm1") =>
        DomainXmlParser.Parse($"<domain type='{type}'><name>{name}</name>{body}</domain>");

    /// <summary>Shaped like a running domain's live XML from libvirt 9 (QEMU driver), trimmed.</summary>
    private const string LiveXml = """
        <domain type='kvm' id='7'>
          <name>web-1</name>
          <uuid>0cd7672b-ea42-4287-81ab-042257ced3fa</uuid>
          <description>Front web server</description>
          <metadata>
            <other:thing xmlns:other="https://example.com/other" name="ignored"/>
            <reconciler:owner xmlns:reconciler="https://reconciler.dev/xmlns/owner/1" name="web-1" specHash="sha256:abc" source="repo@main" revision="r9" protect="true">
              <reconciler:label key="tier" value="web"/>
              <reconciler:patch index="1" xpath="/domain/devices/rng" remove="true"/>
              <reconciler:patch index="0" xpath="/domain/clock/@offset" set="localtime"/>
            </reconciler:owner>
          </metadata>
          <memory unit='GiB'>4</memory>
          <currentMemory unit='MiB'>2048</currentMemory>
          <vcpu placement='static' current='2'>4</vcpu>
          <resource><partition>/machine</partition></resource>
          <os>
            <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
            <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
            <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/web-1_VARS.fd</nvram>
            <boot dev='hd'/>
          </os>
          <features><acpi/><apic/><smm state='on'/></features>
          <cpu mode='host-model' check='partial'>
            <model fallback='forbid'>Skylake-Client-IBRS</model>
            <feature policy='require' name='ss'/>
          </cpu>
          <clock offset='utc'/>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2' discard='unmap'/>
              <source file='/var/lib/libvirt/images/web-1.qcow2' index='2'/>
              <backingStore/>
              <target dev='vda' bus='virtio'/>
              <boot order='1'/>
              <alias name='virtio-disk0'/>
              <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
            </disk>
            <disk type='block' device='disk'>
              <driver name='qemu' type='raw'/>
              <source dev='/dev/vg0/data'/>
              <target dev='vdb' bus='virtio'/>
            </disk>
            <disk type='volume' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source pool='fast' volume='logs.qcow2'/>
              <target dev='vdc' bus='virtio'/>
              <readonly/>
            </disk>
            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <target dev='sda' bus='sata'/>
              <readonly/>
            </disk>
            <controller type='usb' index='0' model='qemu-xhci' ports='15'/>
            <interface type='network'>
              <mac address='52:54:00:AB:CD:EF'/>
              <source network='default' portid='1' bridge='virbr0'/>
              <target dev='vnet16'/>
              <model type='virtio'/>
            </interface>
            <interface type='bridge'>
              <mac address='52:54:00:00:00:02'/>
              <source bridge='br0'/>
              <target dev='vnet17'/>
              <model type='e1000e'/>
            </interface>
            <interface type='user'>
              <mac address='52:54:00:00:00:03'/>
            </interface>
            <graphics type='vnc' port='5900' autoport='yes'>
              <listen type='address' address='0.0.0.0'/>
            </graphics>
            <video><model type='virtio' heads='1' primary='yes'/></video>
          </devices>
          <seclabel type='dynamic' model='dac' relabel='yes'/>
        </domain>
        """;

    [Fact]
    public void Live_xml_is_read_into_the_model()
    {
        var parsed = DomainXmlParser.Parse(LiveXml);
        var spec = parsed.Spec;
        Assert.Equal(("web-1", "0cd7672b-ea42-4287-81ab-042257ced3fa", "kvm"), (parsed.Name, parsed.Uuid, parsed.DomainType));
        Assert.Equal(new OwnerRecord("web-1", "sha256:abc", "repo@main", "r9", true), parsed.Owner);
        Assert.True(spec.Protect);
        Assert.Equal("live:web-1", spec.Meta.Origin.Location.File);
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "web" }, spec.Meta.Labels);
        Assert.Equal([new XmlPatch("/domain/clock/@offset", Set: "localtime"), new XmlPatch("/domain/devices/rng", Remove: true)], spec.Xml);
        Assert.Equal("Front web server", spec.Description);

        Assert.Equal(2 * Cases.GiB, spec.MemoryBytes);
        Assert.Equal(4 * Cases.GiB, spec.MaxMemoryBytes);
        Assert.Equal(2, spec.Vcpus);
        Assert.Equal(4, spec.MaxVcpus);
        Assert.Equal("pc-q35-7.2", spec.Machine);
        Assert.Equal("x86_64", spec.Arch);
        Assert.Equal(Firmware.Uefi, spec.Firmware);
        Assert.True(spec.SecureBoot);
        Assert.Equal(("host-model", (string?)null), (spec.Cpu.Mode, spec.Cpu.Model)); // expanded model not kept
        Assert.Equal("kvm", spec.DomainType);

        Assert.Equal(
        [
            // The tuning libvirt's XML carries is read too (discard='unmap'); shareable reads as false when absent.
            new DiskSpec("/var/lib/libvirt/images/web-1.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, "vda", 1) { Discard = "unmap", Shareable = false },
            new DiskSpec("/dev/vg0/data", null, null, DiskDevice.Disk, "virtio", "raw", false, "vdb") { Shareable = false },
            new DiskSpec(null, "logs.qcow2", "fast", DiskDevice.Disk, "virtio", "qcow2", true, "vdc") { Shareable = false },
            new DiskSpec(null, null, null, DiskDevice.Cdrom, "sata", "raw", true, "sda") { Shareable = false },
        ], spec.Disks);
        Assert.Equal(
        [
            new InterfaceSpec("default", null, "virtio", "52:54:00:ab:cd:ef"),
            new InterfaceSpec(null, "br0", "e1000e", "52:54:00:00:00:02"),
            new InterfaceSpec(null, null, "", "52:54:00:00:00:03") { User = true },
        ], spec.Interfaces);
        Assert.Equal(new GraphicsSpec(GraphicsType.Vnc, "0.0.0.0"), spec.Graphics);
    }

    [Theory]
    [InlineData("<memory unit='KiB'>1048576</memory>", 1UL << 30)]
    [InlineData("<memory>1048576</memory>", 1UL << 30)] // KiB by default
    [InlineData("<memory unit='k'>1024</memory>", 1UL << 20)]
    [InlineData("<memory unit='MiB'>512</memory>", 512UL << 20)]
    [InlineData("<memory unit='M'>3</memory>", 3UL << 20)]
    [InlineData("<memory unit='GiB'>2</memory>", 2UL << 30)]
    [InlineData("<memory unit='G'>1</memory>", 1UL << 30)]
    [InlineData("<memory unit='TiB'>1</memory>", 1UL << 40)]
    [InlineData("<memory unit='b'>4096</memory>", 4096UL)]
    [InlineData("<memory unit='bytes'>4096</memory>", 4096UL)]
    [InlineData("<memory unit='KB'>1000</memory>", 1_000_000UL)]
    [InlineData("<memory unit='MB'>2</memory>", 2_000_000UL)]
    [InlineData("<memory unit='GB'>1</memory>", 1_000_000_000UL)]
    [InlineData("<memory unit='gib'>1</memory>", 1UL << 30)]
    public void Memory_units_are_normalised_to_bytes(string element, ulong bytes)
    {
        var spec = Parse(element).Spec;
        Assert.Equal(bytes, spec.MemoryBytes);
        Assert.Null(spec.MaxMemoryBytes);
    }

    [Fact]
    public void Memory_is_the_maximum_and_current_memory_the_boot_memory()
    {
        var spec = Parse("<memory unit='GiB'>8</memory><currentMemory unit='KiB'>2097152</currentMemory>").Spec;
        Assert.Equal(2 * Cases.GiB, spec.MemoryBytes);
        Assert.Equal(8 * Cases.GiB, spec.MaxMemoryBytes);

        var same = Parse("<memory unit='MiB'>1024</memory><currentMemory unit='GiB'>1</currentMemory>").Spec;
        Assert.Equal(Cases.GiB, same.MemoryBytes);
        Assert.Null(same.MaxMemoryBytes);
    }

    [Theory]
    [InlineData("<memory unit='parsecs'>1</memory>", "parsecs")]
    [InlineData("<memory unit='KiB'>lots</memory>", "lots")]
    [InlineData("<memory unit='EiB'>100</memory>", "too large")]
    [InlineData("<memory>1</memory><vcpu>two</vcpu>", "two")]
    public void Bad_values_are_parse_errors_naming_the_domain(string body, string expected)
    {
        var e = Assert.Throws<DomainParseException>(() => Parse(body));
        Assert.Contains(expected, e.Message);
        Assert.Contains("vm1", e.Message);
    }

    [Fact]
    public void Vcpu_current_and_maximum()
    {
        var spec = Parse("<memory>1024</memory><vcpu placement='static' current='3'>8</vcpu>").Spec;
        Assert.Equal((3, (int?)8), (spec.Vcpus, spec.MaxVcpus));
        var plain = Parse("<memory>1024</memory><vcpu>4</vcpu>").Spec;
        Assert.Equal((4, (int?)null), (plain.Vcpus, plain.MaxVcpus));
    }

    [Fact]
    public void Missing_optional_parts_give_defaults()
    {
        var parsed = Parse("<memory>65536</memory>", type: "qemu");
        var spec = parsed.Spec;
        Assert.Null(parsed.Uuid);
        Assert.Null(parsed.Owner);
        Assert.Empty(spec.Meta.Labels);
        Assert.Empty(spec.Xml);
        Assert.False(spec.Protect);
        Assert.Null(spec.Description);
        Assert.Equal(1, spec.Vcpus);
        Assert.Equal(64 * Cases.MiB, spec.MemoryBytes);
        Assert.Equal(Firmware.Bios, spec.Firmware);
        Assert.Equal(((string?)null, (string?)null), (spec.Cpu.Mode, spec.Cpu.Model));
        Assert.Empty(spec.Disks);
        Assert.Empty(spec.Interfaces);
        Assert.Equal(GraphicsType.None, spec.Graphics.Type);
        Assert.Equal("x86_64", spec.Arch);
        Assert.Equal("qemu", spec.DomainType);
    }

    [Theory]
    [InlineData("<os firmware='efi'><type>hvm</type></os>", Firmware.Uefi, false)]
    [InlineData("<os firmware='efi'><type>hvm</type><firmware><feature enabled='yes' name='secure-boot'/></firmware></os>", Firmware.Uefi, true)]
    [InlineData("<os firmware='efi'><type>hvm</type><firmware><feature enabled='no' name='secure-boot'/></firmware></os>", Firmware.Uefi, false)]
    [InlineData("<os><type>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader></os>", Firmware.Uefi, false)]
    [InlineData("<os><type>hvm</type><loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader></os>", Firmware.Uefi, true)]
    [InlineData("<os><type>hvm</type><loader type='rom'>/usr/share/seabios/bios.bin</loader></os>", Firmware.Bios, false)]
    [InlineData("<os><type>hvm</type><boot dev='hd'/></os>", Firmware.Bios, false)]
    public void Firmware_and_secure_boot(string os, Firmware firmware, bool secure)
    {
        var spec = Parse("<memory>1024</memory>" + os).Spec;
        Assert.Equal((firmware, secure), (spec.Firmware, spec.SecureBoot));
    }

    [Theory]
    [InlineData("<cpu mode='host-passthrough' check='none' migratable='on'/>", "host-passthrough", null)]
    [InlineData("<cpu mode='host-model' check='partial'><model fallback='allow'>EPYC-Rome</model></cpu>", "host-model", null)]
    [InlineData("<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>", "custom", "qemu64")]
    [InlineData("<cpu match='exact'><model>Haswell</model></cpu>", "custom", "Haswell")]
    [InlineData("<cpu mode='maximum' check='none'/>", "maximum", null)]
    [InlineData("<cpu><topology sockets='1' cores='2' threads='1'/></cpu>", null, null)]
    public void Cpu_mode_is_kept_as_written(string cpu, string? mode, string? model)
    {
        var read = Parse("<memory>1024</memory>" + cpu).Spec.Cpu;
        Assert.Equal((mode, model), (read.Mode, read.Model));
    }

    [Theory]
    [InlineData("<graphics type='vnc' port='-1' autoport='yes' listen='10.0.0.5'><listen type='address' address='10.0.0.5'/></graphics>", GraphicsType.Vnc, "10.0.0.5")]
    [InlineData("<graphics type='spice' autoport='yes'><listen type='address' address='::1'/></graphics>", GraphicsType.Spice, "::1")]
    [InlineData("<graphics type='vnc' listen='192.0.2.1'/>", GraphicsType.Vnc, "192.0.2.1")]
    [InlineData("<graphics type='spice' autoport='yes'><listen type='none'/></graphics>", GraphicsType.Spice, "127.0.0.1")]
    [InlineData("<graphics type='sdl' display=':0'/><graphics type='vnc' port='-1'><listen type='address' address='0.0.0.0'/></graphics>", GraphicsType.Vnc, "0.0.0.0")]
    [InlineData("<video><model type='vga'/></video>", GraphicsType.None, "127.0.0.1")]
    public void Graphics_type_and_listen(string devices, GraphicsType type, string listen)
    {
        var read = Parse($"<memory>1024</memory><devices>{devices}</devices>").Spec.Graphics;
        Assert.Equal((type, listen), (read.Type, read.Listen));
    }

    [Theory]
    [InlineData("<graphics type='spice' autoport='yes'><listen type='address'/><image compression='off'/></graphics><redirdev bus='usb' type='spicevmc'/><redirdev bus='usb' type='spicevmc'/>", "default", "off", 2)]
    [InlineData("<graphics type='spice' autoport='yes'><listen type='address' address='::1'/></graphics><redirdev bus='usb' type='tcp'/>", "::1", null, 0)]
    [InlineData("<graphics type='vnc' port='-1'><listen type='address'/></graphics><redirdev bus='usb' type='spicevmc'/>", "default", null, null)]
    public void Spice_compression_redirection_and_the_nodes_listen_address_are_read(string devices, string listen, string? compression, int? redirection)
    {
        var read = Parse($"<memory>1024</memory><devices>{devices}</devices>").Spec.Graphics;
        Assert.Equal((listen, compression, redirection), (read.Listen, read.Compression, read.UsbRedirection));
    }

    [Theory]
    [InlineData("<domain type='kvm'><name>x</name>", "malformed")]
    [InlineData("not xml at all", "malformed")]
    [InlineData("", "malformed")]
    [InlineData("<network><name>default</name></network>", "<network>")]
    [InlineData("<domain type='kvm'><memory>1</memory></domain>", "no <name>")]
    [InlineData("<domain><name>x</name><memory>1</memory></domain>", "no type")]
    [InlineData("<!DOCTYPE d [<!ENTITY x 'y'>]><domain type='kvm'><name>&x;</name></domain>", "malformed")]
    public void Malformed_or_foreign_xml_is_a_clear_parse_error(string xml, string expected)
    {
        var e = Assert.Throws<DomainParseException>(() => DomainXmlParser.Parse(xml));
        Assert.Contains(expected, e.Message);
        Assert.IsAssignableFrom<RenderException>(e); // the engine catches RenderException for both directions
    }

    [Fact]
    public void Metadata_of_another_namespace_is_not_ours()
    {
        var parsed = Parse("<metadata><owner name='x' protect='true'/><x:owner xmlns:x='https://elsewhere/1' protect='true'/></metadata><memory>1</memory>");
        Assert.Null(parsed.Owner);
        Assert.False(parsed.Spec.Protect);
    }
}
