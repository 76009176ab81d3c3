using System.Xml.Linq;

namespace Reconciler.Engine.Import;

/// <summary>
/// What libvirt assigns or fills in by itself, taken out of a domain definition before it is
/// turned into a spec and before two definitions are compared: the UUID, Reconciler's owner record,
/// device addresses and aliases, the emulator, dynamic security labels, the ps2 input devices and
/// audio backends libvirt adds, controllers it adds on its own, and the default attributes it
/// writes into elements (a video's <c>heads='1' primary='yes'</c>, a topology's one die, a crb TPM's version 2.0, an empty cdrom's raw driver, an Open vSwitch port's interfaceid). libvirt puts each back when the
/// cleaned definition is defined again, so nothing the user chose is lost (the round-trip check proves it).
/// </summary>
internal static class LiveXmlCleaner
{
    /// <summary>Controller types libvirt adds on its own when a device needs one (their index and model are its choice).</summary>
    private static readonly HashSet<string> AutoControllers = new(["pci", "sata", "ide", "virtio-serial", "fdc"], StringComparer.Ordinal);

    /// <summary>A copy of <paramref name="domain"/> without what libvirt assigns; the root ports are kept (they are counted).</summary>
    public static XElement Clean(XElement domain)
    {
        var copy = new XElement(domain);
        copy.Element("uuid")?.Remove();
        copy.Element("genid")?.Remove();
        if (copy.Element("metadata") is { } metadata)
        {
            metadata.Elements(OwnerMetadata.Owner).Remove();
            if (!metadata.HasElements) metadata.Remove();
        }
        copy.Elements("seclabel").Where(s => (string?)s.Attribute("type") == "dynamic").Remove();
        if (copy.Element("resource") is { } resource && resource.Elements().All(e => e.Name == "partition" && e.Value == "/machine")) resource.Remove();
        // Defaults libvirt writes out: vCPUs all online, its CPU check, the boot from the first disk.
        if (copy.Element("vcpu") is { } vcpu && (string?)vcpu.Attribute("current") == vcpu.Value.Trim()) vcpu.Attribute("current")!.Remove();
        if (copy.Element("cpu")?.Attribute("check") is { Value: "none" } check) check.Remove();
        // QEMU's driver writes check='partial' into a host-model or custom CPU that names no check.
        if (copy.Element("cpu") is { } checkedCpu && (string?)checkedCpu.Attribute("mode") is "host-model" or "custom" or null && checkedCpu.Attribute("check") is { Value: "partial" } partial) partial.Remove();
        if (copy.Element("cpu") is { } cpu && (string?)cpu.Attribute("mode") == "host-passthrough" && cpu.Attribute("migratable") is { Value: "on" } migratable) migratable.Remove();
        // libvirt writes the one die per socket a topology without dies has.
        copy.Element("cpu")?.Element("topology")?.Attributes("dies").Where(d => d.Value == "1").Remove();
        // libvirt writes the Hyper-V mode it defaults to.
        if (copy.Element("features")?.Element("hyperv")?.Attribute("mode") is { Value: "custom" } mode) mode.Remove();
        if (copy.Descendants("boot").ToList() is [{ Parent.Name.LocalName: "os" } boot] && (string?)boot.Attribute("dev") == "hd") boot.Remove();
        if (copy.Element("devices") is not { } devices) return copy;

        devices.Element("emulator")?.Remove();
        foreach (var device in devices.Elements())
        {
            device.Elements("address").Remove();
            device.Elements("alias").Remove();
        }
        // The interface's host-side device name (vnetN) and the ps2 inputs exist because libvirt made them.
        foreach (var nic in devices.Elements("interface")) nic.Elements("target").Remove();
        // An Open vSwitch port's id: libvirt generates one when none is written (a random UUID, as the domain's own).
        devices.Elements("interface").Elements("virtualport").Where(v => (string?)v.Attribute("type") == "openvswitch").Elements("parameters")
            .Where(p => p.Attributes().All(a => a.Name == "interfaceid")).Remove();
        devices.Elements("input").Where(i => (string?)i.Attribute("bus") == "ps2").Remove();
        // Audio backends: libvirt 8+ adds one for every sound card or spice console.
        devices.Elements("audio").Where(a => a.Attributes().All(x => x.Name == "id" || x.Name == "type") && !a.HasElements).Remove();
        // Controllers libvirt adds whenever a device needs them; the USB controller only when it is libvirt's own default.
        foreach (var pci in devices.Elements("controller").Where(c => (string?)c.Attribute("type") == "pci")) pci.Elements().Remove();
        devices.Elements("controller").Where(IsAutoController).Remove();
        foreach (var controller in devices.Elements("controller")) controller.Attribute("index")?.Remove();

        foreach (var serial in devices.Elements("serial").Concat(devices.Elements("console")))
        {
            if (serial.Element("target") is { } target)
            {
                if ((string?)target.Attribute("type") == "isa-serial") target.Attribute("type")!.Remove();
                target.Elements("model").Where(m => (string?)m.Attribute("name") == "isa-serial").Remove();
            }
        }
        // A mediated device is never managed and, unless asked, has no display: libvirt writes managed='no' (and QEMU's driver display='off') on it.
        devices.Elements("hostdev").Where(h => (string?)h.Attribute("type") == "mdev").Attributes().Where(a => a.Name == "managed" && a.Value == "no" || a.Name == "display" && a.Value == "off").Remove();
        // libvirt copies the first serial port's log into the console that mirrors it.
        if (devices.Element("serial")?.Element("log") is { } serialLog)
        {
            devices.Elements("console").Where(c => (string?)c.Element("target")?.Attribute("type") is null or "serial").Elements("log")
                .Where(l => XNode.DeepEquals(l, serialLog)).Remove();
        }
        foreach (var model in devices.Elements("video").Elements("model"))
        {
            if ((string?)model.Attribute("heads") == "1") model.Attribute("heads")!.Remove();
            if ((string?)model.Attribute("primary") == "yes") model.Attribute("primary")!.Remove();
            // The video memory libvirt gives a vga or bochs adapter when none is written.
            if ((string?)model.Attribute("type") is "vga" or "bochs" && (string?)model.Attribute("vram") == "16384") model.Attribute("vram")!.Remove();
            // The memory sizes libvirt gives a qxl adapter when none is written.
            if ((string?)model.Attribute("type") != "qxl") continue;
            model.Attributes().Where(a => (a.Name == "ram" || a.Name == "vram") && a.Value == "65536" || a.Name == "vgamem" && a.Value == "16384").Remove();
        }
        // crb is a TPM 2.0 interface only: QEMU's driver writes the version 2.0 it implies.
        foreach (var tpm in devices.Elements("tpm").Where(t => (string?)t.Attribute("model") == "tpm-crb"))
        {
            tpm.Element("backend")?.Attributes("version").Where(v => v.Value == "2.0").Remove();
        }
        // No balloon: libvirt's test driver leaves it out, QEMU's writes model='none'.
        devices.Elements("memballoon").Where(b => (string?)b.Attribute("model") == "none" && !b.HasElements).Remove();
        foreach (var graphics in devices.Elements("graphics"))
        {
            // libvirt copies the first listen address into the attribute.
            var first = graphics.Elements("listen").FirstOrDefault();
            if (graphics.Attribute("listen") is { } listen && first is not null && (string?)first.Attribute("address") == listen.Value) listen.Remove();
            if ((string?)graphics.Attribute("type") == "vnc" && graphics.Attribute("port") is null && graphics.Attribute("autoport") is null) graphics.SetAttributeValue("port", "-1");
        }
        foreach (var channel in devices.Elements("channel").Where(c => (string?)c.Attribute("type") == "unix"))
        {
            channel.Elements("source").Where(s => (string?)s.Attribute("mode") == "bind" && s.Attribute("path") is null && !s.HasElements).Remove();
        }
        foreach (var disk in devices.Elements("disk"))
        {
            // libvirt writes an empty backing chain for images it has probed.
            disk.Elements("backingStore").Where(b => !b.HasAttributes && !b.HasElements).Remove();
            // QEMU's driver gives an empty drive (virt-install writes none) the raw qemu driver.
            if (disk.Element("source") is null && disk.Element("driver") is { } driver && (string?)driver.Attribute("name") == "qemu"
                && (string?)driver.Attribute("type") == "raw" && driver.Attributes().Count() == 2 && !driver.HasElements)
            {
                driver.Remove();
            }
        }
        return copy;
    }

    private static bool IsAutoController(XElement controller)
    {
        var type = (string?)controller.Attribute("type") ?? "";
        var extra = controller.Attributes().Select(a => a.Name.LocalName).Where(n => n is not ("type" or "index" or "model")).Any()
            || controller.Elements().Any(e => e.Name != "address" && e.Name != "alias");
        if (type == "pci") return (string?)controller.Attribute("model") != "pcie-root-port" && !extra;
        if (extra) return false;
        if (AutoControllers.Contains(type)) return true;
        // The USB controller libvirt picks when none is given: qemu-xhci on q35, piix3-uhci on pc.
        return type == "usb" && (string?)controller.Attribute("index") is null or "0" && (string?)controller.Attribute("model") is null or "qemu-xhci" or "piix3-uhci";
    }
}
