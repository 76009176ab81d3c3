using System.Net;
using System.Xml;
using System.Xml.XPath;
using FluentValidation;

namespace Reconciler.Specs.Validation;

/// <summary>
/// Semantic rules of a <see cref="DomainSpec"/> (ranges, cross-field rules, disks, interfaces,
/// graphics, XML patches, node reference). Failures carry manifest paths (<c>spec.disks[0].bus</c>)
/// as property names, diagnostic codes (<see cref="DiagnosticCodes"/>) as error codes and a
/// <see cref="FailureState"/> with a hint.
/// </summary>
public sealed class DomainSpecValidator : AbstractValidator<DomainSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set; when any, <c>spec.node</c> must name one of them.</param>
    public DomainSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        var nodes = nodeNames ?? [];

        RuleFor(d => d).Custom((d, ctx) => Failures.CheckMeta(d.Meta, ctx));

        // The range is the row's (FieldReader enforces it on YAML); this covers models built in code.
        var vcpus = BoundFields.Vcpus.Row;
        RuleFor(d => d.Vcpus)
            .InclusiveBetween(vcpus.Minimum!.Value, vcpus.Maximum!.Value)
            .OverridePropertyName("spec.vcpus")
            .WithErrorCode(OutOfRange)
            .WithMessage(d => $"vcpus must be {FieldReader.RangeText(vcpus)}, got {d.Vcpus}")
            .WithState(_ => new FailureState("e.g. vcpus: 2", []));

        RuleFor(d => d.MaxVcpus)
            .Must((d, max) => max is null || (max >= d.Vcpus && max <= BoundFields.MaxVcpus))
            .OverridePropertyName("spec.maxVcpus")
            .WithErrorCode(OutOfRange)
            .WithMessage(d => $"maxVcpus ({d.MaxVcpus}) must be at least vcpus ({d.Vcpus}) and at most {BoundFields.MaxVcpus}")
            .WithState(_ => new FailureState("raise maxVcpus or lower vcpus (or remove maxVcpus: it defaults to vcpus)", ["spec.vcpus"]));

        var memory = BoundFields.Memory.Row.Sizes!;
        RuleFor(d => d.MemoryBytes)
            .Must(memory.Contains)
            .OverridePropertyName("spec.memory")
            .WithErrorCode(OutOfRange)
            .WithMessage(d => $"memory must be {memory.Text}, got {ByteSize.Format(d.MemoryBytes)}")
            .WithState(_ => new FailureState("e.g. memory: 2GiB", []));

        RuleFor(d => d.MaxMemoryBytes)
            .Must((d, max) => max is null || (memory.Contains(max.Value) && max >= d.MemoryBytes))
            .OverridePropertyName("spec.maxMemory")
            .WithErrorCode(OutOfRange)
            .WithMessage(d => $"maxMemory ({ByteSize.Format(d.MaxMemoryBytes ?? 0)}) must be at least memory ({ByteSize.Format(d.MemoryBytes)}), at most 16TiB and a whole number of KiB")
            .WithState(_ => new FailureState("raise maxMemory or lower memory (or remove maxMemory: it defaults to memory)", ["spec.memory"]));

        RuleFor(d => d.Declared)
            .Must((d, values) => TopologyVcpus(values) is not { } total || total == (d.MaxVcpus ?? d.Vcpus))
            .OverridePropertyName("spec.cpu.topology")
            .WithErrorCode(ConflictingFields)
            .WithMessage(d => $"cpu.topology gives {TopologyVcpus(d.Declared)} vCPUs (sockets × cores × threads), but maxVcpus is {d.MaxVcpus ?? d.Vcpus}")
            .WithState(_ => new FailureState("make sockets × cores × threads equal maxVcpus (or vcpus when maxVcpus is not set)", ["spec.vcpus", "spec.maxVcpus"]));

        RuleFor(d => d.SecureBoot)
            .Must((d, secure) => !secure || d.Firmware == Firmware.Uefi)
            .OverridePropertyName("spec.secureBoot")
            .WithErrorCode(ConflictingFields)
            .WithMessage("secureBoot requires firmware: uefi")
            .WithState(_ => new FailureState("set firmware: uefi, or remove secureBoot", ["spec.firmware"]));

        RuleFor(d => d.Policy)
            .Must(p => p.Restart != RestartPolicy.Window || RestartWindow.TryParse(p.Window, out _, out _))
            .OverridePropertyName("spec.updatePolicy.window")
            .WithErrorCode(InvalidValue)
            .WithMessage(d => d.Policy.Window is null
                ? "restart: window needs a window"
                : $"'{Failures.Printable(d.Policy.Window)}' is not a window: {(RestartWindow.TryParse(d.Policy.Window, out _, out var why) ? "" : why)}")
            .WithState(_ => new FailureState("e.g. window: \"Sat,Sun 02:00-04:00\" (UTC)", ["spec.updatePolicy.restart"]));

        RuleFor(d => d.Machine)
            .Must(m => Regexes.Token.IsMatch(m))
            .OverridePropertyName("spec.machine")
            .WithErrorCode(InvalidValue)
            .WithMessage(d => $"'{Failures.Printable(d.Machine)}' is not a machine type")
            .WithState(_ => new FailureState("e.g. q35, pc, pc-q35-8.2", []));

        RuleFor(d => d.Arch)
            .Must(a => Regexes.Arch.IsMatch(a))
            .OverridePropertyName("spec.arch")
            .WithErrorCode(InvalidValue)
            .WithMessage(d => $"'{Failures.Printable(d.Arch)}' is not an architecture")
            .WithState(_ => new FailureState("e.g. x86_64, aarch64", []));

        RuleFor(d => d.DomainType)
            .Must(t => t is null || NodeKind.DomainTypes.Contains(t))
            .OverridePropertyName("spec.domainType")
            .WithErrorCode(InvalidEnum)
            .WithMessage(d => $"'{d.DomainType}' is not a valid domainType")
            .WithState(_ => new FailureState("allowed values: " + string.Join(", ", NodeKind.DomainTypes), []));

        RuleFor(d => d.Cpu).Custom(CheckCpu);
        RuleFor(d => d).Custom(HardwareChecks.Check);
        RuleFor(d => d.Disks).Custom(CheckDisks);
        RuleFor(d => d.Interfaces).Custom(CheckInterfaces);
        RuleFor(d => d.Graphics).Custom(CheckGraphics);
        RuleFor(d => d.Xml).Custom(CheckXml);
        RuleFor(d => d).Custom((d, ctx) => CheckNode(d.Node, d.Placement is not null, nodes, ctx));
        RuleFor(d => d.Placement).Custom(CheckPlacement);
        RuleFor(d => d).Custom(BootChecks.Check);
        RuleFor(d => d).Custom(PlatformChecks.Check);
        RuleFor(d => d).Custom(HostdevChecks.Check);
        RuleFor(d => d).Custom(DeviceChecks.Check);
        RuleFor(d => d).Custom(NicChecks.Check);
    }

    private static void CheckPlacement(PlacementSpec? placement, ValidationContext<DomainSpec> ctx)
    {
        if (placement is null) return;
        Failures.CheckLabels(placement.NodeSelector, "spec.placement.nodeSelector.", ctx);
        if (placement.AntiAffinity is { } group && !Regexes.Name.IsMatch(group))
        {
            Failures.Add(ctx, InvalidValue, "spec.placement.antiAffinity", $"'{Failures.Printable(group)}' is not a valid group name", Patterns.NameHint);
        }
    }

    private static void CheckCpu(CpuSpec cpu, ValidationContext<DomainSpec> ctx)
    {
        if (cpu.Mode is not null && !DomainKind.CpuModes.Contains(cpu.Mode))
        {
            Failures.Add(ctx, InvalidEnum, "spec.cpu.mode", $"'{cpu.Mode}' is not a valid cpu mode", "allowed values: " + string.Join(", ", DomainKind.CpuModes));
        }
        if (cpu.Mode == "custom" && string.IsNullOrEmpty(cpu.Model))
        {
            Failures.Add(ctx, MissingField, "spec.cpu.model", "cpu mode custom requires a model", "add model:, e.g. cpu: {mode: custom, model: Skylake-Server}", "spec.cpu.mode");
        }
        else if (cpu.Mode != "custom" && cpu.Model is not null)
        {
            Failures.Add(ctx, ConflictingFields, "spec.cpu.model", "cpu model is only used with mode custom", "set mode: custom, or remove model", "spec.cpu.mode");
        }
        if (cpu.Model is { Length: > 0 } model && !Regexes.Token.IsMatch(model))
        {
            Failures.Add(ctx, InvalidValue, "spec.cpu.model", $"'{Failures.Printable(model)}' is not a CPU model name", "e.g. Skylake-Server, EPYC, qemu64");
        }
    }

    private static void CheckDisks(IReadOnlyList<DiskSpec> disks, ValidationContext<DomainSpec> ctx)
    {
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        var targets = new Dictionary<string, int>(StringComparer.Ordinal);
        var boots = new Dictionary<int, int>();
        for (var i = 0; i < disks.Count; i++)
        {
            var d = disks[i];
            var p = $"spec.disks[{i}]";
            if (d.Path is not null && d.Volume is not null)
            {
                Failures.Add(ctx, ConflictingFields, p, "a disk has either a path or a volume, not both", "remove path or volume");
            }
            else if (d.Path is null && d.Volume is null && d.Network is null && d.Device == DiskDevice.Disk)
            {
                Failures.Add(ctx, MissingField, p, "a disk needs a path or a volume", "add path: /var/lib/libvirt/images/NAME.qcow2 (only a cdrom may be empty)");
            }
            if (d.Path is not null)
            {
                if (!d.Path.StartsWith('/'))
                {
                    Failures.Add(ctx, InvalidPath, p + ".path", $"'{Failures.Printable(d.Path)}' is not an absolute path", "disk paths are absolute paths on the node, e.g. /var/lib/libvirt/images/web-1.qcow2");
                }
                else if (paths.TryGetValue(d.Path, out var first))
                {
                    Failures.Add(ctx, DuplicateDisk, p + ".path", $"disks[{first}] already uses '{d.Path}'", "each disk needs its own image");
                }
                else
                {
                    paths[d.Path] = i;
                }
            }
            if (d.Pool is not null && d.Volume is null)
            {
                Failures.Add(ctx, ConflictingFields, p + ".pool", "pool is only used with volume", "add volume:, or remove pool");
            }
            foreach (var (name, value) in new[] { ("volume", d.Volume), ("pool", d.Pool) })
            {
                if (value is not null && !Regexes.Token.IsMatch(value))
                {
                    Failures.Add(ctx, InvalidValue, $"{p}.{name}", $"'{Failures.Printable(value)}' is not a valid {name} name", "letters, digits and _ . - only");
                }
            }
            if (d.Bus is not null && !DomainKind.DiskBuses.Contains(d.Bus))
            {
                Failures.Add(ctx, InvalidEnum, p + ".bus", $"'{d.Bus}' is not a valid bus", "allowed values: " + string.Join(", ", DomainKind.DiskBuses));
            }
            else if (d.Device == DiskDevice.Cdrom && d.Bus is not null && !DomainKind.CdromBuses.Contains(d.Bus))
            {
                Failures.Add(ctx, ConflictingFields, p + ".bus", $"a cdrom cannot be on the {d.Bus} bus", "use bus: " + string.Join(", ", DomainKind.CdromBuses) + " (default sata)", p + ".device");
            }
            if (d.Format is not null && !DomainKind.DiskFormats.Contains(d.Format))
            {
                Failures.Add(ctx, InvalidEnum, p + ".format", $"'{d.Format}' is not a valid format", "allowed values: " + string.Join(", ", DomainKind.DiskFormats));
            }
            if (d.Target is not null)
            {
                if (!Regexes.Target.IsMatch(d.Target))
                {
                    Failures.Add(ctx, InvalidTarget, p + ".target", $"'{Failures.Printable(d.Target)}' is not a disk target", "a target is vd, sd, hd or xvd followed by one or two letters, e.g. vda, sdb");
                }
                else if (targets.TryGetValue(d.Target, out var first))
                {
                    Failures.Add(ctx, DuplicateDisk, p + ".target", $"disks[{first}] already uses target '{d.Target}'", "give each disk its own target, or leave target out to assign them in order");
                }
                else
                {
                    targets[d.Target] = i;
                }
            }
            if (d.Boot is { } boot)
            {
                if (boot < 1)
                {
                    Failures.Add(ctx, OutOfRange, p + ".boot", $"boot order must be 1 or more, got {boot}", "1 boots first");
                }
                else if (boots.TryGetValue(boot, out var first))
                {
                    Failures.Add(ctx, InvalidValue, p + ".boot", $"disks[{first}] already has boot order {boot}", "boot orders must differ");
                }
                else
                {
                    boots[boot] = i;
                }
            }
        }
    }

    private static void CheckInterfaces(IReadOnlyList<InterfaceSpec> interfaces, ValidationContext<DomainSpec> ctx)
    {
        var macs = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < interfaces.Count; i++)
        {
            var n = interfaces[i];
            var p = $"spec.interfaces[{i}]";
            if (n.Network is not null && !Regexes.Token.IsMatch(n.Network))
            {
                Failures.Add(ctx, InvalidValue, p + ".network", $"'{Failures.Printable(n.Network)}' is not a network name", "letters, digits and _ . - only");
            }
            if (n.Bridge is not null && !Regexes.Bridge.IsMatch(n.Bridge))
            {
                Failures.Add(ctx, InvalidValue, p + ".bridge", $"'{Failures.Printable(n.Bridge)}' is not a bridge name", "an interface name of up to 15 letters, digits and _ . : -");
            }
            if (!Regexes.Token.IsMatch(n.Model))
            {
                Failures.Add(ctx, InvalidValue, p + ".model", $"'{Failures.Printable(n.Model)}' is not a NIC model", "e.g. virtio, e1000e, rtl8139");
            }
            if (n.Mac is not null)
            {
                if (Failures.CheckMac(ctx, p + ".mac", n.Mac, "six hex pairs separated by ':', e.g. \"52:54:00:12:34:56\" (quote it in YAML)", "the first byte must be even (unicast), e.g. 52:54:00:…"))
                {
                    if (macs.TryGetValue(n.Mac, out var first))
                    {
                        Failures.Add(ctx, DuplicateMac, p + ".mac", $"interfaces[{first}] already uses MAC {n.Mac.ToLowerInvariant()}", "each interface needs its own MAC (or leave mac out)");
                    }
                    else
                    {
                        macs[n.Mac] = i;
                    }
                }
            }
        }
    }

    private static void CheckGraphics(GraphicsSpec graphics, ValidationContext<DomainSpec> ctx)
    {
        if (graphics.Type != GraphicsType.None && graphics.Listen != GraphicsFields.NodeDefault && !IsIpAddress(graphics.Listen))
        {
            Failures.Add(ctx, InvalidAddress, "spec.graphics.listen", $"'{Failures.Printable(graphics.Listen)}' is not an IP address",
                "use an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1 (host names are not accepted), or default for the node's configured address");
        }
    }

    /// <summary>A dotted-quad IPv4 address or an IPv6 address (never the short forms IPAddress also accepts, like "1").</summary>
    internal static bool IsIpAddress(string text) =>
        (Regexes.Ipv4.IsMatch(text) || text.Contains(':', StringComparison.Ordinal)) && IPAddress.TryParse(text, out _);

    private static void CheckXml(IReadOnlyList<Core.Model.XmlPatch> patches, ValidationContext<DomainSpec> ctx)
    {
        for (var i = 0; i < patches.Count; i++)
        {
            var x = patches[i];
            var p = $"spec.xml[{i}]";
            var actions = (x.Add is not null ? 1 : 0) + (x.Set is not null ? 1 : 0) + (x.Remove ? 1 : 0);
            if (actions == 0)
            {
                Failures.Add(ctx, MissingField, p, "an xml patch needs one of add, set or remove: true", "e.g. {xpath: /domain/devices, add: \"<watchdog model='i6300esb'/>\"}");
            }
            else if (actions > 1)
            {
                Failures.Add(ctx, ConflictingFields, p, "an xml patch has exactly one of add, set or remove: true", "split it into one patch per action");
            }
            CheckXPath(x.XPath, p + ".xpath", ctx);
            if (x.Add is not null) CheckFragment(x.Add, p + ".add", ctx);
        }
    }

    private static void CheckXPath(string xpath, string path, ValidationContext<DomainSpec> ctx)
    {
        try
        {
            XPathExpression.Compile(xpath);
        }
        catch (XPathException ex)
        {
            Failures.Add(ctx, InvalidXPath, path, $"the XPath does not compile: {ex.Message}", "e.g. /domain/devices or /domain/os/type/@machine");
            return;
        }
        var text = xpath.Trim();
        var rest = text.StartsWith("/domain", StringComparison.Ordinal) ? text["/domain".Length..] : null;
        if (rest is null || (rest.Length > 0 && rest[0] is not ('/' or '[' or ' ')))
        {
            Failures.Add(ctx, InvalidXPath, path, $"the XPath '{Failures.Printable(xpath)}' does not start at /domain", "patches are absolute paths inside the domain, e.g. /domain/devices");
        }
    }

    private static void CheckFragment(string fragment, string path, ValidationContext<DomainSpec> ctx)
    {
        if (fragment.Trim().Length == 0)
        {
            Failures.Add(ctx, InvalidXml, path, "add is empty", "write the XML to append, e.g. \"<watchdog model='i6300esb'/>\"");
            return;
        }
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, ConformanceLevel = ConformanceLevel.Document };
        try
        {
            using var reader = XmlReader.Create(new StringReader("<fragment>" + fragment + "</fragment>"), settings);
            while (reader.Read()) { }
        }
        catch (XmlException ex)
        {
            Failures.Add(ctx, InvalidXml, path, $"add is not well-formed XML: {ex.Message.Replace("fragment", "(root)", StringComparison.Ordinal)}",
                "write one or more complete elements, e.g. \"<watchdog model='i6300esb' action='reset'/>\"");
        }
    }

    private static void CheckNode(string? node, bool placed, IReadOnlyCollection<string> nodes, ValidationContext<DomainSpec> ctx)
    {
        if (node is not null && !Regexes.Name.IsMatch(node))
        {
            Failures.Add(ctx, InvalidName, "spec.node", $"'{Failures.Printable(node)}' is not a valid node name", Patterns.NameHint);
            return;
        }
        if (nodes.Count == 0) return;
        if (node is null)
        {
            if (nodes.Count > 1 && !placed)
            {
                Failures.Add(ctx, NodeRequired, "spec.node", $"the set defines {nodes.Count} nodes, so spec.node (or spec.placement) is required",
                    "add node: with one of " + string.Join(", ", nodes.Order(StringComparer.Ordinal)) + ", or placement: {} to let Reconciler choose");
            }
            return;
        }
        if (!nodes.Contains(node))
        {
            var hint = Suggest.DidYouMean(node, nodes) ?? "defined nodes: " + string.Join(", ", nodes.Order(StringComparer.Ordinal));
            Failures.Add(ctx, UnknownNode, "spec.node", $"no Node named '{Failures.Printable(node)}' is defined", hint);
        }
    }

    /// <summary>sockets × cores × threads of spec.cpu.topology, or null when it is not (fully) given.</summary>
    private static long? TopologyVcpus(FieldValues values)
    {
        var topology = DomainPaths.Cpu.Field("topology");
        return values.Int(topology.Field("sockets")) is { } s && values.Int(topology.Field("cores")) is { } c && values.Int(topology.Field("threads")) is { } t
            ? (long)s * c * t
            : null;
    }
}
