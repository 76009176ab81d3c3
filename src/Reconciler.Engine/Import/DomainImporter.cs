using System.Text.RegularExpressions;
using System.Xml.Linq;
using Reconciler.Specs;

namespace Reconciler.Engine.Import;

/// <summary>How one domain is imported.</summary>
/// <param name="NodeDomainType">The domain type the node gives new domains (kvm, qemu, test): a domain of another type says so in its spec.</param>
/// <param name="KeepMacs">Write the interfaces' MAC addresses into the spec (else adoption keeps the live ones, and a new node picks new ones).</param>
/// <param name="Running">The domain runs now (its spec says state: running; stopped otherwise).</param>
/// <param name="Autostart">The domain starts with the node.</param>
public sealed record ImportOptions(string NodeDomainType, bool KeepMacs, bool Running, bool Autostart);

/// <summary>One domain turned into a spec.</summary>
/// <param name="Name">The libvirt name (also the spec's).</param>
/// <param name="Yaml">The spec file's text.</param>
/// <param name="Spec">The spec as the loader reads that text back.</param>
/// <param name="Live">The live definition as parsed (for the round-trip check).</param>
/// <param name="LiveXml">The live definition's text.</param>
/// <param name="Modelled">How many elements of the cleaned live definition the model expressed.</param>
/// <param name="Carried">What went into <c>xml:</c> patches (element paths, one per element).</param>
public sealed record ImportedDomain(string Name, string Yaml, DomainSpec Spec, ParsedDomain Live, string LiveXml, int Modelled, IReadOnlyList<string> Carried)
{
    /// <summary>How many xml: patches the spec carries.</summary>
    public int Patches => Spec.Xml.Count;
}

/// <summary>A domain that cannot be imported, with why and what to do.</summary>
internal sealed class ImportRefusedException(string message) : Exception(message);

/// <summary>
/// Turns a live domain definition into the shortest spec that renders back to it: the live XML is
/// read through the field declarations' parse-back (<see cref="DomainXmlParser"/>), every field
/// equal to its default is left out, and whatever the model does not express is carried as
/// <c>xml:</c> patches (<see cref="PatchDiff"/>), so that the spec renders to the same definition.
/// The spec text is loaded back through <see cref="SpecLoader"/> before it is returned, so it is
/// valid and is exactly what <c>plan</c> will read.
/// </summary>
internal static partial class DomainImporter
{
    /// <summary>The domain types Reconciler manages.</summary>
    public static readonly IReadOnlyList<string> Types = ["kvm", "qemu", "test"];

    /// <exception cref="ImportRefusedException">The domain cannot be imported (its type, its name, unreadable XML).</exception>
    public static ImportedDomain Import(string liveXml, ImportOptions options)
    {
        XElement root;
        try
        {
            root = XDocument.Parse(liveXml).Root ?? throw new ImportRefusedException("the definition is empty");
        }
        catch (System.Xml.XmlException e)
        {
            throw new ImportRefusedException($"the definition is not well-formed XML: {e.Message}");
        }
        var name = root.Element("name")?.Value.Trim() ?? "";
        var type = (string?)root.Attribute("type") ?? "";
        if (!Types.Contains(type))
        {
            throw new ImportRefusedException($"domain '{name}' is of type '{type}'; Reconciler manages {string.Join(", ", Types)} domains only");
        }
        if (!NameRule().IsMatch(name))
        {
            throw new ImportRefusedException($"domain name '{name}' is not a valid spec name ({Patterns.NameHint}); "
                + $"rename it first, e.g. virsh domrename '{name}' {SuggestName(name)} (the domain must be shut off), then import again");
        }
        ParsedDomain parsed;
        try
        {
            parsed = DomainXmlParser.Parse(liveXml);
        }
        catch (DomainParseException e)
        {
            throw new ImportRefusedException(e.Message);
        }

        // The model's view of the domain, then the spec without patches, rendered as adoption would render it.
        var model = Model(parsed.Spec, options);
        // No adapter and no graphics: the renderer adds none for an unset video, so video: none (which renders <model type='none'/>) is not written.
        if (root.Element("devices")?.Element("video") is null && model.Graphics.Type == GraphicsType.None) model = model with { Video = null };
        // Pinning or NUMA cells the loader refuses (a vCPU unpinned between pinned ones, cells that miss a vCPU) are left to the patches; so are host devices it refuses.
        if ((model.Cpu.Pinning is not null || model.Cpu.Numa is { Count: > 0 }) && !Loads(name, model with { Hostdevs = [] }, options))
        {
            model = model with { Cpu = model.Cpu with { Pinning = null, Numa = null } };
        }
        if (model.Hostdevs.Count > 0 && !Loads(name, model, options)) model = model with { Hostdevs = [] };
        model = Interfaces(name, model, options);
        var targets = AssignedTargets(model, options);
        var bare = Load(name, Yaml(model, options, targets, []));
        var rendered = Render(bare, parsed, type);
        if (SpareRootPorts(rendered, root) is { } spare)
        {
            model = model with { Devices = model.Devices with { SpareRootPorts = spare } };
            bare = Load(name, Yaml(model, options, targets, []));
            rendered = Render(bare, parsed, type);
        }
        var diff = PatchDiff.Compute(rendered, root);
        var yaml = Yaml(model, options, targets, diff.Patches);
        var spec = Load(name, yaml);
        var total = LiveXmlCleaner.Clean(root).Descendants().Count(e => e.Name != "name");
        return new ImportedDomain(name, yaml, spec, parsed, liveXml, Math.Max(0, total - diff.Carried.Count), diff.Carried);
    }

    /// <summary>A valid spec name for a libvirt name our naming rules refuse: other characters become '-', non-ASCII letters lose their accents, cut to 63.</summary>
    public static string SuggestName(string name)
    {
        // Latin letters lose their accents by table (normalisation needs ICU, which the invariant build lacks).
        var plain = string.Concat(name.Select(c => Accents.IndexOf(c, StringComparison.Ordinal) is var i and >= 0 ? Plain[i].ToString() : c.ToString()));
        var text = Regex.Replace(plain, "[^A-Za-z0-9_.+-]+", "-").Trim('-', '.', '_', '+');
        if (text.Length == 0) text = "domain";
        if (!char.IsAsciiLetterOrDigit(text[0])) text = "d" + text;
        return text.Length > 63 ? text[..63].TrimEnd('-') : text;
    }

    /// <summary>The domain as rendered from <paramref name="spec"/> the way apply --adopt renders it (the live MACs and targets kept).</summary>
    internal static XElement Render(DomainSpec spec, ParsedDomain live, string type)
    {
        var owner = new OwnerRecord(spec.Name, SpecHash.Compute(spec), "import", "", spec.Protect);
        var document = DomainRenderer.RenderDocument(spec, new RenderOptions(type, owner, null, live.Spec));
        return document.Root!;
    }

    private const string RootPort = "pcie-root-port";

    /// <summary>
    /// The spare root ports that give the rendered definition as many PCIe root ports as the live one
    /// (libvirt numbers them, so only how many matters), or null when the counts agree already or
    /// the live domain has fewer than the rendered devices take (a patch removes the rest).
    /// </summary>
    private static int? SpareRootPorts(XElement rendered, XElement live)
    {
        static int Count(XElement domain) => domain.Element("devices")?.Elements("controller").Count(c => (string?)c.Attribute("model") == RootPort) ?? 0;
        var ours = Count(rendered);
        var theirs = Count(live);
        if (ours == 0 || ours == theirs || rendered.Element("devices") is not { } devices) return null;
        var spare = theirs - DeviceToggleFields.PortsTaken(devices);
        return spare is >= 0 and <= 32 ? spare : null;
    }

    /// <summary>The USB controller libvirt writes when none is given (then the spec need not name it).</summary>
    private static bool IsDefaultUsb(FieldValues declared) =>
        declared[UsbPath.Field("model")] is "qemu-xhci" or "piix3-uhci" && declared[UsbPath.Field("ports")] is null;

    private static readonly FieldPath UsbPath = DomainPaths.Spec.Field("usbController");

    private static readonly FieldPath ScsiModel = DomainPaths.Spec.Field("scsiController").Field("model");

    /// <summary>The parsed definition as the spec will hold it: what the model cannot name yet is left to the patches.</summary>
    private static DomainSpec Model(DomainSpec parsed, ImportOptions options) => parsed with
    {
        // A USB controller the model cannot name (none) or libvirt's own default: not written; nor a SCSI model the spec cannot name.
        Declared = (parsed.Declared[UsbPath.Field("model")] is { } usb && (!GuestPlatformFields.UsbModels.Contains(usb) || IsDefaultUsb(parsed.Declared) || !parsed.Devices.Usb)
            ? parsed.Declared.With(UsbPath.Field("model"), null).With(UsbPath.Field("ports"), null)
            : parsed.Declared) is var declared && declared[ScsiModel] is { } scsi && !GuestPlatformFields.ScsiModels.Contains(scsi)
            ? declared.With(ScsiModel, null)
            : declared,
        // Matched by count after a first rendering (SpareRootPorts).
        Devices = parsed.Devices with { SpareRootPorts = null },
        Graphics = parsed.Graphics with
        {
            Compression = parsed.Graphics.Compression is { } c && GraphicsFields.Compressions.Contains(c) ? c : null,
            UsbRedirection = parsed.Graphics.UsbRedirection is > 0 and <= 16 && parsed.Devices.Usb ? parsed.Graphics.UsbRedirection : null,
        },
        // Interfaces of one attachment the spec can name (Interfaces below drops the options and interfaces the loader refuses); disks of other sources are carried as patches whole.
        // No model: libvirt's default; the spec renders virtio and the diff removes it again.
        Interfaces = [.. parsed.Interfaces.Where(n => Attachments(n) == 1).Select(n => n.Model.Length == 0 ? n with { Model = "virtio" } : n)],
        Disks = [.. parsed.Disks.Where(d => d.Path is not null || d.Volume is not null || d.Network is not null || d.Device == DiskDevice.Cdrom)],
        State = options.Running ? PowerState.Running : PowerState.Stopped,
        Autostart = options.Autostart,
    };

    /// <summary>For each disk, whether its live target is the one rendering assigns anyway (then it is left out).</summary>
    private static bool[] AssignedTargets(DomainSpec model, ImportOptions options)
    {
        var withoutTargets = model with { Disks = [.. model.Disks.Select(d => d with { Target = null })] };
        var probe = Load(model.Name, Yaml(withoutTargets, options, [.. model.Disks.Select(_ => true)], []));
        var owner = new OwnerRecord(model.Name, "", "import", "", false);
        var rendered = DomainRenderer.RenderDocument(probe, new RenderOptions("kvm", owner)).Root!;
        var targets = rendered.Element("devices")?.Elements("disk").Select(d => (string?)d.Element("target")?.Attribute("dev")).ToList() ?? [];
        return [.. model.Disks.Select((d, i) => i < targets.Count && targets[i] == d.Target)];
    }

    /// <summary>How many attachments (network, bridge, direct, hostdev, user) the interface has: the spec names interfaces of exactly one.</summary>
    private static int Attachments(InterfaceSpec n) =>
        (n.Network is null ? 0 : 1) + (n.Bridge is null ? 0 : 1) + (n.Direct is null ? 0 : 1) + (n.Hostdev is null ? 0 : 1) + (n.User ? 1 : 0);

    /// <summary>The interface options the loader can refuse on their own, each dropped alone (the patches carry it).</summary>
    private static readonly IReadOnlyList<(string Field, Func<InterfaceSpec, InterfaceSpec> Drop)> Droppable =
    [
        ("virtualport", n => n with { Virtualport = null }),
        ("vlan", n => n with { Vlan = null }),
        ("mtu", n => n with { Mtu = null }),
        ("queues", n => n with { Queues = null }),
        ("linkState", n => n with { LinkState = null }),
        ("boot", n => n with { Boot = null }),
    ];

    /// <summary>
    /// <paramref name="model"/> with what the loader refuses of its interfaces left to the patches: an
    /// option it names an error at is dropped from that interface; an interface it refuses otherwise
    /// (a host interface name, a PCI address it does not accept) is dropped whole.
    /// </summary>
    private static DomainSpec Interfaces(string name, DomainSpec model, ImportOptions options)
    {
        for (var round = 0; round < 3 && model.Interfaces.Count > 0; round++)
        {
            var result = SpecLoader.LoadFiles("import", [(name + ".yaml", Yaml(model, options, [], []))]);
            var errors = result.Diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.FieldPath ?? "").ToList();
            if (errors.Count == 0) break;
            var nics = model.Interfaces.ToList();
            var dropped = new HashSet<int>();
            for (var i = 0; i < nics.Count; i++)
            {
                var prefix = $"spec.interfaces[{i}]";
                var own = errors.Where(p => p == prefix || p.StartsWith(prefix + ".", StringComparison.Ordinal)).ToList();
                if (own.Count == 0) continue;
                foreach (var path in own)
                {
                    var field = path.Length > prefix.Length ? path[(prefix.Length + 1)..].Split('.')[0] : "";
                    if (Droppable.FirstOrDefault(d => d.Field == field) is { Drop: { } drop }) nics[i] = drop(nics[i]);
                    else dropped.Add(i);
                }
            }
            model = model with { Interfaces = [.. nics.Where((_, i) => !dropped.Contains(i))] };
        }
        return model;
    }

    /// <summary>True when the spec written for <paramref name="model"/> (no patches) loads without errors.</summary>
    private static bool Loads(string name, DomainSpec model, ImportOptions options) =>
        !SpecLoader.LoadFiles("import", [(name + ".yaml", Yaml(model, options, [], []))]).HasErrors;

    /// <summary>Loads spec text as <c>plan</c> would; an error here is a bug in the writer, named with the text.</summary>
    private static DomainSpec Load(string name, string yaml)
    {
        var result = SpecLoader.LoadFiles("import", [(name + ".yaml", yaml)]);
        if (result.Specs?.Domains.FirstOrDefault() is { } spec && !result.HasErrors) return spec;
        var errors = string.Join("; ", result.Diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.ToString()));
        throw new ImportRefusedException($"domain '{name}': the written spec does not load ({errors})");
    }

    /// <summary>The spec text: every field that differs from its default, then the patches.</summary>
    internal static string Yaml(DomainSpec s, ImportOptions options, bool[] defaultTargets, IReadOnlyList<XmlPatch> patches)
    {
        var spec = new YamlMap();
        spec.Set("state", s.State == PowerState.Stopped ? "stopped" : null);
        spec.Set("autostart", s.Autostart ? true : null);
        spec.Set("domainType", s.DomainType is { } t && t != options.NodeDomainType ? t : null);
        spec.Set("vcpus", s.Vcpus != 1 ? s.Vcpus : null);
        spec.Set("maxVcpus", s.MaxVcpus is { } mv && mv != s.Vcpus ? mv : null);
        spec.Set("memory", s.MemoryBytes != 1UL << 30 ? ByteSize.Format(s.MemoryBytes) : null);
        spec.Set("maxMemory", s.MaxMemoryBytes is { } mm && mm != s.MemoryBytes ? ByteSize.Format(mm) : null);
        spec.Set("machine", s.Machine is "q35" or "" ? null : s.Machine);
        spec.Set("arch", s.Arch != "x86_64" ? s.Arch : null);
        spec.Set("firmware", s.Firmware == Firmware.Uefi ? "uefi" : null);
        spec.Set("secureBoot", s.SecureBoot ? true : null);
        if (s.Cpu.Mode is { } mode)
        {
            var cpu = spec.Map("cpu");
            cpu.Set("mode", mode).Set("model", s.Cpu.Model).Set("fallback", s.Cpu.Fallback is "allow" ? "allow" : null);
            if (s.Cpu.Features is { Count: > 0 } features)
            {
                cpu.List("features", features.Select(f => (object)new YamlMap().Set("name", f.Name).Set("policy", f.Policy == "require" ? null : f.Policy)));
            }
        }
        if (s.Cpu.Pinning is { } pinning && (pinning.Vcpus is { Count: > 0 } || pinning.Emulator is not null))
        {
            spec.Map("cpu").Set("pinning", new YamlMap().Set("emulator", pinning.Emulator)
                .Set("vcpus", pinning.Vcpus is { Count: > 0 } pins ? pins.Select(p => (object)p).ToList() : null));
        }
        if (s.Cpu.Numa is { Count: > 0 } cells) spec.Map("cpu").List("numa", cells.Select(c => (object)new YamlMap().Set("cpus", c.Cpus).Set("memory", ByteSize.Format(c.MemoryBytes))));
        // Declared fields (cpu topology, numaTune, boot kernel…): written through their rows; a value equal to an optional row's default is left out.
        foreach (var (path, value) in s.Declared.All)
        {
            var field = DeclaredFields.Domain.Find(new FieldPath(path));
            if (field is null) continue;
            if (!field.Def.Required && field.Def.Default is { } d && DeclaredFields.Canonical(d) == value) continue;
            object typed = field.Def.Type == FieldType.Integer && int.TryParse(value, out var n) ? n : value;
            spec.SetPath(path["spec.".Length..], typed);
        }
        if (s.UsbCompanions == true && s.Declared[UsbPath.Field("model")] == "ich9-ehci1") spec.Map("usbController").Set("companions", true);
                // [hd] alone is libvirt's own default: not written.
        if (s.BootOrder is { Count: > 0 } order && !(order is ["hd"] && s.Disks.All(d => d.Boot is null))) spec.Map("boot").List("order", order.Select(o => (object)o));
        // No version written live: the spec's default (2.0) renders, and the diff carries what libvirt had.
        if (s.Tpm is { } tpm) spec.Map("tpm").Set("model", tpm.Model is "crb" or "" ? null : tpm.Model).Set("version", tpm.Version is "2.0" or "" ? null : tpm.Version);
        if (s.Tpm is not null && spec.Map("tpm").IsEmpty) spec.Set("tpm", new YamlMap().Set("model", "crb"));
        var iothreads = int.TryParse(s.Declared[DomainPaths.Spec.Field("iothreads")], out var count) ? count : 0;
        spec.List("disks", s.Disks.Select((d, i) => (object)Disk(d, i < defaultTargets.Length && defaultTargets[i], iothreads)));
        spec.List("interfaces", s.Interfaces.Select(n => (object)Interface(n, options.KeepMacs)));
        spec.List("hostdevs", s.Hostdevs.Select(h => (object)new YamlMap().Set("pci", h.Pci)
            .Set("usb", h.Usb is { } usb ? new YamlMap().Set("vendor", usb.Vendor).Set("product", usb.Product) : null)
            .Set("mdev", h.Mdev).Set("model", h.Model is "vfio-pci" ? null : h.Model)
            .Set("managed", h.Managed || h.Mdev is not null ? null : false)));
        // The renderer's default devices the live domain lacks (read back through DeviceToggleFields): turned off, so adoption adds none.
        // spareRootPorts is left out (not compared); DefaultDevices matches the root ports by count.
        var off = s.Devices;
        spec.Map("devices").Set("rng", off.Rng ? null : false).Set("balloon", off.Balloon ? null : false)
            .Set("tablet", off.Tablet || s.Graphics.Type == GraphicsType.None ? null : false).Set("usb", off.Usb ? null : false)
            .Set("agentChannel", off.AgentChannel ? null : false).Set("serial", off.Serial ? null : false)
            .Set("spareRootPorts", off.SpareRootPorts);
        if (s.Graphics.Type != GraphicsType.Vnc || s.Graphics.Listen != "127.0.0.1")
        {
            var g = spec.Map("graphics").Set("type", s.Graphics.Type.ToString().ToLowerInvariant());
            g.Set("listen", s.Graphics.Type != GraphicsType.None && s.Graphics.Listen != "127.0.0.1" ? s.Graphics.Listen : null);
            var spice = s.Graphics.Type == GraphicsType.Spice;
            g.Set("compression", spice ? s.Graphics.Compression : null).Set("usbRedirection", spice ? s.Graphics.UsbRedirection : null);
        }
        // Modelled devices, when their model is one the spec can name (otherwise the patches carry the device whole).
        if (s.Video is { } video && DeviceFields.VideoModels.Contains(video.Model)) spec.Map("video").Set("model", video.Model);
        // No sound card or watchdog (read back as none) is left out: unset renders none either.
        if (s.Sound is { Model: not "none" } sound && DeviceFields.SoundModels.Contains(sound.Model)) spec.Map("sound").Set("model", sound.Model);
        if (s.Watchdog is { Model: not "none" } dog && DeviceFields.WatchdogModels.Contains(dog.Model) && DeviceFields.WatchdogActions.Contains(dog.Action))
        {
            spec.Map("watchdog").Set("model", dog.Model).Set("action", dog.Action == "reset" ? null : dog.Action);
        }
        if (s.Filesystems is { Count: > 0 } shares && shares.All(f => !f.ReadOnly && f.Source.StartsWith('/') && Regex.IsMatch(f.Target, DeviceFields.TagPattern)))
        {
            spec.List("filesystems", shares.Select(f => (object)new YamlMap().Set("source", f.Source).Set("target", f.Target)));
        }
        // Shared memory is turned on by the shares themselves: written only when something else needs it. A hugepages element without a size is left to the patches.
        if (s.MemoryBacking is { } backing && (backing.HugepageBytes is > 0 || backing.Locked || (backing.Shared && spec.IsEmptyAt("filesystems"))))
        {
            var memory = spec.Map("memoryBacking");
            if (backing.HugepageBytes is > 0 and var bytes) memory.Map("hugepages").Set("size", ByteSize.Format(bytes));
            memory.Set("locked", backing.Locked ? true : null).Set("shared", backing.Shared ? true : null);
        }
        if (s.Console is { } console) spec.Map("console").Set("log", console.Log).Set("append", console.Append ? true : null);
        spec.Set("description", s.Description is { Length: > 0 } text ? text : null);
        spec.List("xml", patches.Select(p => (object)new YamlMap().Set("xpath", p.XPath).Set("add", p.Add).Set("set", p.Set).Set("remove", p.Remove ? true : null)));
        return SpecDocument.Write("Domain", s.Name, spec);
    }

    /// <summary>One interface: its attachment, then every option it has (a VLAN of one access tag as a scalar).</summary>
    private static YamlMap Interface(InterfaceSpec n, bool keepMacs) => new YamlMap()
        .Set("network", n.Network).Set("bridge", n.Bridge)
        .Set("direct", n.Direct is { } d ? new YamlMap().Set("dev", d.Dev).Set("mode", d.Mode == "bridge" ? null : d.Mode) : null)
        .Set("hostdev", n.Hostdev).Set("user", n.User ? true : null)
        .Set("model", n.Model == "virtio" ? null : n.Model)
        .Set("mac", keepMacs ? n.Mac : null)
        .Set("virtualport", n.Virtualport)
        .Set("vlan", n.Vlan is not { } vlan ? null
            : vlan is { Tags: [var tag], Trunk: false } ? tag
            : new YamlMap().Set("tags", vlan.Tags.Select(t => (object)t).ToList()).Set("trunk", vlan.Trunk && vlan.Tags.Count == 1 ? true : null))
        .Set("mtu", n.Mtu).Set("queues", n.Queues).Set("linkState", n.LinkState).Set("boot", n.Boot);

    private static YamlMap Disk(DiskSpec d, bool defaultTarget, int iothreads)
    {
        var disk = new YamlMap();
        if (d.Volume is not null) disk.Set("volume", d.Volume).Set("pool", d.Pool);
        else if (d.Network is { } network)
        {
            disk.Set("network", new YamlMap().Set("protocol", network.Protocol).Set("name", network.Name)
                .Set("hosts", network.Hosts.Count > 0 ? network.Hosts.Select(h => (object)h).ToList() : null)
                .Set("auth", network.Auth is { } auth ? new YamlMap().Set("username", auth.Username).Set("secretUuid", auth.SecretUuid) : null));
        }
        else disk.Set("path", d.Path);
        var cdrom = d.Device == DiskDevice.Cdrom;
        disk.Set("device", cdrom ? "cdrom" : null);
        disk.Set("bus", d.Bus is { } bus && bus != (cdrom ? "sata" : "virtio") ? bus : null);
        var source = d.Path ?? d.Volume ?? "";
        var derived = source.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw";
        disk.Set("format", d.Format is { } f && f != derived && DiskFields.Formats.Contains(f) ? f : null);
        disk.Set("readonly", d.ReadOnly && !cdrom ? true : null);
        disk.Set("target", defaultTarget ? null : d.Target);
        disk.Set("boot", d.Boot);
        Tuning(disk, d, d.Format ?? derived, iothreads);
        return disk;
    }

    /// <summary>
    /// The disk's driver tuning, serial and shareable, each only when the loader accepts it (a value
    /// it refuses, such as io native without cache none, is left to the patches).
    /// </summary>
    private static void Tuning(YamlMap disk, DiskSpec d, string format, int iothreads)
    {
        var cache = d.Cache is { } c && DiskTuningFields.CacheModes.Contains(c) ? c : null;
        var discard = d.Discard is { } dc && DiskTuningFields.DiscardModes.Contains(dc) ? dc : null;
        disk.Set("cache", cache);
        disk.Set("io", d.Io is { } io && DiskTuningFields.IoModes.Contains(io) && (io != "native" || cache is "none" or "directsync") ? io : null);
        disk.Set("discard", discard);
        disk.Set("detectZeroes", d.DetectZeroes is { } z && DiskTuningFields.DetectZeroesModes.Contains(z) && (z != "unmap" || discard == "unmap") ? z : null);
        disk.Set("serial", d.Serial is { } serial && Regex.IsMatch(serial, DiskTuningFields.SerialPattern) ? serial : null);
        disk.Set("iothread", d.IoThread is { } n && n >= 1 && n <= iothreads && d.Bus is null or "virtio" ? n : null);
        disk.Set("shareable", d.Shareable == true && format == "raw" ? true : null);
    }

    private const string Accents = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžĆćČčĐđŁłŃńŚśŹźŻżĄąĘęŐőŰű";
    private const string Plain = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyySsZzCcCcDdLlNnSsZzZzAaEeOoUu";

    [GeneratedRegex(Patterns.Name)]
    private static partial Regex NameRule();
}
