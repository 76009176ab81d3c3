using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>
/// The Domain fields bound to members of <see cref="DomainSpec"/>, each declared once (see
/// <see cref="DomainField"/>). <see cref="All"/> is in the order the planner lists them.
/// </summary>
internal static class BoundFields
{
    public const int MaxVcpus = 4096;
    public const ulong MinMemory = 1UL << 20;
    public const ulong MaxMemory = 16UL << 40;
    public static readonly IReadOnlyList<string> DomainTypes = ["kvm", "qemu", "test"];
    public static readonly SizeRange MemorySizes = new(MinMemory, MaxMemory, 1024);

    public static readonly DomainField Vcpus = new(DomainPaths.Vcpus,
        new FieldDef("vcpus", FieldType.Integer, "Virtual CPUs at boot.")
        {
            Default = 1, Minimum = 1, Maximum = MaxVcpus, Example = "2", Libvirt = "<vcpu current='2'>…</vcpu>",
        })
    {
        Value = s => Num(s.Vcpus),
        Elements = ["vcpu"],
        Render = (domain, s) =>
        {
            var vcpu = Vcpu(domain);
            vcpu.SetAttributeValue("current", Num(s.Vcpus));
            if (vcpu.Value.Length == 0) vcpu.Value = Num(s.Vcpus);
        },
        // No <vcpu> is libvirt's default of one; no current attribute means all of the maximum.
        Read = (domain, s) => DomainField.Keep(s, s.Vcpus, domain.Element("vcpu") is not { } vcpu ? 1
            : (string?)vcpu.Attribute("current") is { } current ? Int(current, "<vcpu current>") : Int(vcpu.Value, "<vcpu>"),
            static (s, v) => s with { Vcpus = v }),
        LiveWhen = (diff, config) => int.TryParse(diff.After, out var n) && int.TryParse(diff.Before, out var was)
            && n >= was && n <= (config.MaxVcpus ?? config.Vcpus),
        Live = LiveOperation.SetVcpus,
    };

    public static readonly DomainField MaxVcpusField = new(DomainPaths.MaxVcpus,
        new FieldDef("maxVcpus", FieldType.Integer, "Maximum virtual CPUs (hot-plug headroom); at least vcpus.")
        {
            Minimum = 1, Maximum = MaxVcpus, DefaultText = "= vcpus", Example = "4", Libvirt = "<vcpu>4</vcpu>",
        })
    {
        Value = s => Num(s.MaxVcpus ?? s.Vcpus),
        Elements = ["vcpu"],
        Render = (domain, s) => Vcpu(domain).Value = Num(s.MaxVcpus ?? s.Vcpus),
        Read = (domain, s) => DomainField.Keep(s, s.MaxVcpus,
            domain.Element("vcpu") is { } vcpu && Int(vcpu.Value, "<vcpu>") is var max && max != s.Vcpus ? max : (int?)null,
            static (s, v) => s with { MaxVcpus = v }),
    };

    public static readonly DomainField Memory = new(DomainPaths.Memory,
        new FieldDef("memory", FieldType.Size, "Memory at boot, with a unit (1024 alone is an error). Between 1MiB and 16TiB, a whole number of KiB.")
        {
            Default = 1UL << 30, Sizes = MemorySizes, Example = "2GiB", Libvirt = "<currentMemory unit='KiB'>; also <memory> without maxMemory",
        })
    {
        Value = s => ByteSize.Format(s.MemoryBytes),
        Elements = ["memory", "currentMemory"],
        Render = (domain, s) => SetKib(XmlOrder.Ensure(domain, "currentMemory"), s.MemoryBytes),
        Read = (domain, s) => DomainField.Keep(s, s.MemoryBytes,
            (domain.Element("currentMemory") ?? domain.Element("memory")) is { } m
                ? LibvirtUnits.ReadBytes(m) : throw new LiveXmlException("no <memory> element"),
            static (s, v) => s with { MemoryBytes = v }),
        LiveWhen = (diff, config) => ByteSize.TryParse(diff.After, out var bytes, out _) && bytes <= (config.MaxMemoryBytes ?? config.MemoryBytes),
        Live = LiveOperation.SetMemory,
        RunningValueMoves = true,
    };

    public static readonly DomainField MaxMemoryField = new(DomainPaths.MaxMemory,
        new FieldDef("maxMemory", FieldType.Size, "Maximum memory (balloon headroom); at least memory.")
        {
            DefaultText = "= memory", Sizes = MemorySizes, Example = "4GiB", Libvirt = "<memory unit='KiB'>",
        })
    {
        Value = s => ByteSize.Format(s.MaxMemoryBytes ?? s.MemoryBytes),
        Elements = ["memory"],
        Render = (domain, s) => SetKib(XmlOrder.Ensure(domain, "memory"), s.MaxMemoryBytes ?? s.MemoryBytes),
        Read = (domain, s) => DomainField.Keep(s, s.MaxMemoryBytes,
            domain.Element("memory") is { } m && LibvirtUnits.ReadBytes(m) is var max && max != s.MemoryBytes ? max : (ulong?)null,
            static (s, v) => s with { MaxMemoryBytes = v }),
    };

    public static readonly DomainField Machine = new(DomainPaths.Machine,
        new FieldDef("machine", FieldType.String, "Machine type.")
        {
            Default = "q35", Pattern = Patterns.Token, Example = "pc-q35-8.2", Libvirt = "<os><type machine='q35'>hvm</type></os>",
        })
    {
        Value = s => s.Machine,
        Elements = ["os"],
        Render = (domain, s) => OsType(domain).SetAttributeValue("machine", s.Machine),
        Read = (domain, s) => DomainField.Keep(s, s.Machine, OsTypeAttribute(domain, "machine") ?? "", static (s, v) => s with { Machine = v }),
        Equivalent = MachineMatches,
    };

    public static readonly DomainField Arch = new(DomainPaths.Arch,
        new FieldDef("arch", FieldType.String, "Guest architecture.")
        {
            Default = "x86_64", Pattern = Patterns.Arch, Example = "aarch64", Libvirt = "<os><type arch='x86_64'>hvm</type></os>",
        })
    {
        Read = (domain, s) => DomainField.Keep(s, s.Arch, OsTypeAttribute(domain, "arch") ?? "x86_64", static (s, v) => s with { Arch = v }),
        Render = (domain, s) => OsType(domain).SetAttributeValue("arch", s.Arch),
        Value = s => s.Arch,
        Elements = ["os"],
        Change = Disruption.Replace,
    };

    public static readonly DomainField FirmwareField = new(DomainPaths.Firmware,
        new FieldDef("firmware", FieldType.Enum, "Boot firmware.")
        {
            Allowed = ["bios", "uefi"], Default = "bios", Example = "uefi", Libvirt = "<os firmware='efi'> for uefi",
        })
    {
        Value = s => Lower(s.Firmware),
        Elements = ["os"],
        // Firmware autoselection: libvirt picks an OVMF build from the QEMU firmware descriptors
        // (/usr/share/qemu/firmware) that matches the requested features when the domain starts.
        Render = (domain, s) =>
        {
            if (s.Firmware == Firmware.Uefi) XmlOrder.Ensure(domain, "os").SetAttributeValue("firmware", "efi");
        },
        Read = (domain, s) => DomainField.Keep(s, s.Firmware,
            domain.Element("os") is { } os
                && ((string?)os.Attribute("firmware") == "efi" || (string?)os.Element("loader")?.Attribute("type") == "pflash")
                ? Firmware.Uefi : Firmware.Bios,
            static (s, v) => s with { Firmware = v }),
    };

    public static readonly DomainField SecureBoot = new(DomainPaths.SecureBoot,
        new FieldDef("secureBoot", FieldType.Boolean, "UEFI Secure Boot; only with firmware uefi.")
        {
            Default = false, Example = "true", Libvirt = "<os firmware='efi'><firmware><feature enabled='yes' name='secure-boot'/></firmware><loader secure='yes'/></os>",
        })
    {
        Value = s => s.Firmware == Firmware.Uefi ? Bool(s.SecureBoot) : null,
        Elements = ["os"],
        Render = (domain, s) =>
        {
            if (s.Firmware != Firmware.Uefi) return;
            var os = XmlOrder.Ensure(domain, "os");
            var firmware = XmlOrder.Ensure(os, "firmware");
            if (s.SecureBoot)
            {
                firmware.Add(
                    new XElement("feature", new XAttribute("enabled", "yes"), new XAttribute("name", "enrolled-keys")),
                    new XElement("feature", new XAttribute("enabled", "yes"), new XAttribute("name", "secure-boot")));
                XmlOrder.Ensure(os, "loader").SetAttributeValue("secure", "yes");
                XmlOrder.Ensure(XmlOrder.Ensure(domain, "features"), "smm").SetAttributeValue("state", "on");
            }
            else
            {
                firmware.Add(new XElement("feature", new XAttribute("enabled", "no"), new XAttribute("name", "secure-boot")));
            }
        },
        Read = (domain, s) => DomainField.Keep(s, s.SecureBoot,
            s.Firmware == Firmware.Uefi && domain.Element("os") is { } os
                && ((string?)os.Element("loader")?.Attribute("secure") == "yes"
                    || os.Element("firmware")?.Elements("feature").Any(f =>
                        (string?)f.Attribute("name") == "secure-boot" && (string?)f.Attribute("enabled") == "yes") == true),
            static (s, v) => s with { SecureBoot = v }),
    };

    public static readonly DomainField CpuMode = new(DomainPaths.Cpu.Field("mode"), DomainFieldTable.Cpu["mode"])
    {
        Value = s => s.Cpu.Mode,
        Elements = ["cpu"],
        Render = (domain, s) =>
        {
            if (s.Cpu.Mode is { } mode) XmlOrder.Ensure(domain, "cpu").SetAttributeValue("mode", mode);
        },
        // No mode attribute means custom when a model is given (libvirt's default).
        Read = (domain, s) => DomainField.Keep(s, s.Cpu,
            domain.Element("cpu") is not { } cpu ? new CpuSpec(null)
                : new CpuSpec((string?)cpu.Attribute("mode") ?? (string.IsNullOrEmpty(cpu.Element("model")?.Value.Trim()) ? null : "custom")),
            static (s, v) => s with { Cpu = v }),
    };

    public static readonly DomainField CpuModel = new(DomainPaths.Cpu.Field("model"), DomainFieldTable.Cpu["model"])
    {
        Value = s => s.Cpu.Model,
        Elements = ["cpu"],
        Render = (domain, s) =>
        {
            if (s.Cpu is not { Mode: { } mode, Model: { } model }) return;
            var cpu = XmlOrder.Ensure(domain, "cpu");
            if (mode == "custom") cpu.SetAttributeValue("match", "exact");
            var element = XmlOrder.Ensure(cpu, "model");
            element.Value = model;
        },
        // Kept only for custom: libvirt expands host-model into a model of its own.
        Read = (domain, s) => DomainField.Keep(s, s.Cpu.Model,
            s.Cpu.Mode == "custom" && domain.Element("cpu")?.Element("model")?.Value.Trim() is { Length: > 0 } model ? model : null,
            static (s, v) => s with { Cpu = s.Cpu with { Model = v } }),
    };

    public static readonly DomainField DomainType = new(DomainPaths.DomainType,
        new FieldDef("domainType", FieldType.Enum, "Force the domain type instead of the node's choice.")
        {
            Allowed = DomainTypes, DefaultText = "the node's domainType", Example = "qemu", Libvirt = "<domain type='qemu'>",
        })
    {
        Value = s => s.DomainType,
        Elements = [],
        // The root's type attribute is RenderOptions.DomainType, which apply resolves from this field, else the node's.
        Render = (_, _) => { },
        Read = (domain, s) => DomainField.Keep(s, s.DomainType, (string?)domain.Attribute("type"), static (s, v) => s with { DomainType = v }),
        Change = Disruption.Replace,
    };

    public static readonly DomainField Description = new(DomainPaths.Description,
        new FieldDef("description", FieldType.String, "Free text.")
        {
            Multiline = true, DefaultText = "empty", Example = "\"Frontend web server\"", Libvirt = "<description>",
        })
    {
        // Owned even when not written: no description clears the live one.
        Value = s => s.Description ?? "",
        Elements = ["description"],
        Render = (domain, s) =>
        {
            if (s.Description is { } text) XmlOrder.Ensure(domain, "description").Value = text;
        },
        Read = (domain, s) => DomainField.Keep(s, s.Description, domain.Element("description")?.Value, static (s, v) => s with { Description = v }),
        Change = Disruption.None,
    };

    public static readonly DomainField Protect = new(DomainPaths.Protect,
        new FieldDef("protect", FieldType.Boolean, "Never destroyed by a prune: the plan errors instead.")
        {
            Default = false, Example = "true", Libvirt = "Reconciler's owner record in <metadata>",
        })
    {
        Value = s => Bool(s.Protect),
        Elements = [],
        // Part of the owner record, which the renderer writes and the parser reads as a whole.
        Render = (_, _) => { },
        Read = (_, s) => s,
        Change = Disruption.None,
    };

    /// <summary>The fields of the definition (before the devices), in the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> Definition =
        [Vcpus, MaxVcpusField, Memory, MaxMemoryField, Machine, Arch, FirmwareField, SecureBoot, CpuMode, CpuModel, DomainType, .. CpuFields.All, .. MemoryFields.All, .. HostdevFields.All, .. DeviceFields.All, .. DeviceToggleFields.All, .. GuestPlatformFields.All, .. BootFields.All];

    /// <summary>The fields listed after the devices: text and Reconciler's records (the owner record's fields: <see cref="OwnerFields"/>).</summary>
    public static readonly IReadOnlyList<DomainField> Records = [Description, Protect, .. OwnerFields.All];

    /// <summary>Every bound field.</summary>
    public static readonly IReadOnlyList<DomainField> All = [.. Definition, .. Records];

    private static readonly Dictionary<string, DomainField> ByPath = All.ToDictionary(f => f.Path.Text, StringComparer.Ordinal);

    /// <summary>The bound field at <paramref name="path"/> or holding it (a label, a patch, a placement field), or null.</summary>
    public static DomainField? Find(FieldPath path) => ByPath.GetValueOrDefault(path.Text) ?? All.FirstOrDefault(f => path.IsWithin(f.Path));

    /// <summary>
    /// A machine alias matches the versioned name libvirt expands it to: <c>q35</c> ≡ <c>pc-q35-7.2</c>,
    /// <c>pc</c> ≡ <c>pc-i440fx-7.2</c>. A versioned desired name must match exactly.
    /// </summary>
    public static bool MachineMatches(string desired, string live) => desired switch
    {
        "q35" => live.StartsWith("pc-q35-", StringComparison.Ordinal),
        "pc" => live.StartsWith("pc-i440fx-", StringComparison.Ordinal),
        _ => false,
    };

    private static XElement Vcpu(XElement domain)
    {
        var vcpu = XmlOrder.Ensure(domain, "vcpu");
        if (vcpu.Attribute("placement") is null) vcpu.SetAttributeValue("placement", "static");
        return vcpu;
    }

    /// <summary><c>&lt;os&gt;&lt;type arch machine&gt;hvm</c>, created with its attributes in libvirt's order.</summary>
    private static XElement OsType(XElement domain)
    {
        var os = XmlOrder.Ensure(domain, "os");
        if (os.Element("type") is { } type) return type;
        type = new XElement("type", new XAttribute("arch", ""), new XAttribute("machine", ""), "hvm");
        os.AddFirst(type);
        return type;
    }

    private static string? OsTypeAttribute(XElement domain, string attribute) => (string?)domain.Element("os")?.Element("type")?.Attribute(attribute);

    private static void SetKib(XElement element, ulong bytes)
    {
        element.SetAttributeValue("unit", "KiB");
        element.Value = Num((bytes + 1023) / 1024);
    }

    private static int Int(string text, string what) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value : throw new LiveXmlException($"{what} '{text}' is not a number");

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Num(ulong value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Bool(bool value) => value ? "true" : "false";
    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>libvirt's scaled integers, as live XML writes them.</summary>
internal static class LibvirtUnits
{
    /// <summary>A libvirt scaled integer (<c>unit</c> attribute, default KiB) in bytes.</summary>
    public static ulong ReadBytes(XElement element)
    {
        var what = element.Name.LocalName;
        var text = element.Value.Trim();
        var unit = (string?)element.Attribute("unit") ?? "KiB";
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new LiveXmlException($"<{what}> '{text}' is not a whole number");
        }
        var factor = UnitFactor(unit) ?? throw new LiveXmlException($"<{what} unit='{unit}'> is not a unit libvirt knows");
        try
        {
            return checked(value * factor);
        }
        catch (OverflowException e)
        {
            throw new LiveXmlException($"<{what}> {text} {unit} is too large", e);
        }
    }

    /// <summary>libvirt's units (virScaleInteger): b/bytes; k, KiB = 1024; KB = 1000; and so on up to E. Case-insensitive.</summary>
    public static ulong? UnitFactor(string unit)
    {
        var u = unit.Trim().ToLowerInvariant();
        if (u is "b" or "bytes") return 1;
        if (u.Length is < 1 or > 3) return null;
        var power = "kmgtpe".IndexOf(u[0], StringComparison.Ordinal) + 1;
        if (power == 0) return null;
        var rest = u[1..];
        ulong @base = rest is "" or "ib" ? 1024UL : rest == "b" ? 1000UL : 0;
        if (@base == 0) return null;
        ulong factor = 1;
        for (var i = 0; i < power; i++) factor *= @base;
        return factor;
    }
}
