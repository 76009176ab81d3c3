using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>
/// The CPU fields bound to <see cref="CpuSpec"/> beyond mode and model, each declared once (see
/// <see cref="DomainField"/>): the model's fallback, the features, vCPU and emulator pinning
/// (<c>&lt;cputune&gt;</c>, changed live on a running domain) and the guest NUMA cells. Lists compare
/// as one value each (a list the spec writes is owned as a whole; one it does not write is not owned);
/// cpusets compare in libvirt's canonical form (<see cref="CpuSet"/>).
/// </summary>
internal static class CpuFields
{
    public static readonly IReadOnlyList<string> Fallbacks = ["forbid", "allow"];
    public static readonly IReadOnlyList<string> FeaturePolicies = ["require", "optional", "disable", "forbid", "force"];

    private static readonly FieldPath PinningPath = DomainPaths.Cpu.Field("pinning");

    // BoundFields' constants (not its static fields: BoundFields reads this class while it initialises).
    private static readonly SizeRange CellSizes = new(1024, BoundFields.MaxMemory, 1024);

    public static readonly DomainField Fallback = new(DomainPaths.Cpu.Field("fallback"),
        new FieldDef("fallback", FieldType.Enum, "Whether libvirt may fall back to a close model the hypervisor can run (allow) or must refuse to start (forbid); only with mode custom.")
        {
            Allowed = Fallbacks, DefaultText = "forbid", Example = "allow", Libvirt = "<cpu><model fallback='forbid'>…</model></cpu>",
        })
    {
        Value = s => s.Cpu is { Mode: "custom", Model: not null } cpu ? cpu.Fallback ?? "forbid" : null,
        Elements = ["cpu"],
        Render = (domain, s) =>
        {
            if (s.Cpu is { Mode: "custom", Model: not null } cpu)
            {
                XmlOrder.Ensure(XmlOrder.Ensure(domain, "cpu"), "model").SetAttributeValue("fallback", cpu.Fallback ?? "forbid");
            }
        },
        // No fallback attribute is libvirt's default, allow.
        Read = (domain, s) => DomainField.Keep(s, s.Cpu.Fallback,
            s.Cpu.Mode == "custom" && domain.Element("cpu")?.Element("model") is { } model ? (string?)model.Attribute("fallback") ?? "allow" : null,
            static (s, v) => s with { Cpu = s.Cpu with { Fallback = v } }),
        // A running domain's CPU is the one libvirt resolved (fallback forbid), not a change waiting for a restart.
        RunningValueMoves = true,
    };

    public static readonly ObjectDef FeatureDef = new("CpuFeature", "A CPU feature the guest must, may or must not have, on top of the model.",
    [
        new FieldDef("name", FieldType.String, "The feature's name as libvirt knows it (virsh cpu-models / domcapabilities).")
        {
            Required = true, Pattern = Patterns.Token, Example = "erms", Libvirt = "<feature name='erms'/>",
        },
        new FieldDef("policy", FieldType.Enum, "require: the guest gets it (the host must have it); optional: if the host has it; disable: not given; forbid: refuse to start where the host has it; force: given even if the host lacks it.")
        {
            Allowed = FeaturePolicies, Default = "require", Example = "disable", Libvirt = "<feature policy='require'/>",
        },
    ]);

    public static readonly DomainField Features = new(DomainPaths.Cpu.Field("features"),
        new FieldDef("features", FieldType.ObjectList, "CPU features added to or removed from the model (the -cpu Model,+erms,-x2apic of a qemu command line); needs a mode. Owned as a whole when written.")
        {
            Item = FeatureDef, DefaultText = "the model's own", Example = "[{name: erms}, {name: x2apic, policy: disable}]", Libvirt = "<cpu><feature policy='require' name='erms'/></cpu>",
        })
    {
        Value = s => s.Cpu.Features is { } features
            ? string.Join(", ", features.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => f.Name + "=" + f.Policy))
            : null,
        Elements = ["cpu"],
        Render = (domain, s) =>
        {
            if (s.Cpu.Features is not { Count: > 0 } features) return;
            var cpu = XmlOrder.Ensure(domain, "cpu");
            foreach (var feature in features)
            {
                XmlOrder.Append(cpu, new XElement("feature", new XAttribute("policy", feature.Policy), new XAttribute("name", feature.Name)));
            }
        },
        // No policy attribute is libvirt's default, require.
        Read = (domain, s) => s with
        {
            Cpu = s.Cpu with
            {
                Features = domain.Element("cpu")?.Elements("feature")
                    .Select(f => new CpuFeature((string?)f.Attribute("name") ?? "", (string?)f.Attribute("policy") ?? "require")).ToList() ?? [],
            },
        },
        // A running domain's features are those libvirt resolved (optional ones decided, implied ones such as
        // hypervisor added), not a change waiting for a restart.
        RunningValueMoves = true,
    };

    public static readonly DomainField PinVcpus = new(PinningPath.Field("vcpus"),
        new FieldDef("vcpus", FieldType.StringList, "The host CPUs each vCPU may run on, as a cpuset; item i is vCPU i (at most maxVcpus items). Changed live on a running domain.")
        {
            Pattern = CpuSet.Pattern, DefaultText = "unpinned", Example = "[\"2\", \"3\"]", Libvirt = "<cputune><vcpupin vcpu='0' cpuset='2'/></cputune> (virDomainPinVcpuFlags)",
        })
    {
        Value = s => s.Cpu.Pinning?.Vcpus is { } vcpus ? ListText(vcpus.Select(CpuSet.Canonical)) : null,
        Elements = ["cputune"],
        Render = (domain, s) =>
        {
            if (s.Cpu.Pinning?.Vcpus is not { Count: > 0 } vcpus) return;
            var cputune = XmlOrder.Ensure(domain, "cputune");
            for (var i = 0; i < vcpus.Count; i++)
            {
                XmlOrder.Append(cputune, new XElement("vcpupin", new XAttribute("vcpu", Num(i)), new XAttribute("cpuset", CpuSet.Canonical(vcpus[i]))));
            }
        },
        // A vCPU between pinned ones that has no pin reads as "" (the spec cannot say so: a difference).
        Read = (domain, s) =>
        {
            var pins = new SortedDictionary<int, string>();
            foreach (var pin in domain.Element("cputune")?.Elements("vcpupin") ?? [])
            {
                var vcpu = (string?)pin.Attribute("vcpu");
                if (!int.TryParse(vcpu, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= BoundFields.MaxVcpus)
                {
                    throw new LiveXmlException($"<vcpupin vcpu='{vcpu}'> is not a vCPU number");
                }
                pins[index] = CpuSet.Canonical((string?)pin.Attribute("cpuset") ?? "");
            }
            var list = pins.Count == 0 ? [] : Enumerable.Range(0, pins.Keys.Max() + 1).Select(i => pins.GetValueOrDefault(i, "")).ToList();
            return s with { Cpu = s.Cpu with { Pinning = (s.Cpu.Pinning ?? new CpuPinning(null, null)) with { Vcpus = list } } };
        },
        LiveWhen = (_, _) => true,
        Live = LiveOperation.PinVcpus,
    };

    public static readonly DomainField PinEmulator = new(PinningPath.Field("emulator"),
        new FieldDef("emulator", FieldType.String, "The host CPUs the emulator threads may run on, as a cpuset. Changed live on a running domain.")
        {
            Pattern = CpuSet.Pattern, DefaultText = "unpinned", Example = "\"0-1\"", Libvirt = "<cputune><emulatorpin cpuset='0-1'/></cputune> (virDomainPinEmulator)",
        })
    {
        Value = s => s.Cpu.Pinning?.Emulator is { } emulator ? CpuSet.Canonical(emulator) : null,
        Elements = ["cputune"],
        Render = (domain, s) =>
        {
            if (s.Cpu.Pinning?.Emulator is { } emulator)
            {
                XmlOrder.Ensure(XmlOrder.Ensure(domain, "cputune"), "emulatorpin").SetAttributeValue("cpuset", CpuSet.Canonical(emulator));
            }
        },
        Read = (domain, s) => s with
        {
            Cpu = s.Cpu with
            {
                Pinning = (s.Cpu.Pinning ?? new CpuPinning(null, null)) with
                {
                    Emulator = (string?)domain.Element("cputune")?.Element("emulatorpin")?.Attribute("cpuset") is { } set ? CpuSet.Canonical(set) : null,
                },
            },
        },
        LiveWhen = (_, _) => true,
        Live = LiveOperation.PinEmulator,
    };

    public static readonly ObjectDef PinningDef = new("CpuPinning",
        "Which host CPUs the vCPUs and the emulator threads may run on. A change applies live to a running domain (and to its definition).",
        [PinVcpus.Row, PinEmulator.Row]);

    public static readonly FieldDef PinningField = new("pinning", FieldType.Object, "vCPU and emulator pinning; changed live on a running domain.")
    {
        Item = PinningDef, DefaultText = "unpinned", Example = "{vcpus: [\"2\", \"3\"], emulator: \"0-1\"}", Libvirt = "<cputune>",
    };

    public static readonly ObjectDef NumaCellDef = new("NumaCell", "One guest NUMA cell; cell i gets id i.",
    [
        new FieldDef("cpus", FieldType.String, "The cell's vCPUs, as a cpuset; the cells' cpus together are every vCPU (0 to maxVcpus-1) exactly once.")
        {
            Required = true, Pattern = CpuSet.Pattern, Example = "\"0-1\"", Libvirt = "<cell cpus='0-1'/>",
        },
        new FieldDef("memory", FieldType.Size, "The cell's memory; the cells' memory adds up to maxMemory (memory when maxMemory is not set).")
        {
            Required = true, Sizes = CellSizes, Example = "1GiB", Libvirt = "<cell memory='1048576' unit='KiB'/>",
        },
    ]);

    public static readonly DomainField Numa = new(DomainPaths.Cpu.Field("numa"),
        new FieldDef("numa", FieldType.ObjectList, "Guest NUMA cells; changing them takes effect at the next boot. Owned as a whole when written.")
        {
            Item = NumaCellDef, DefaultText = "none (one node)", Example = "[{cpus: \"0-1\", memory: 1GiB}, {cpus: \"2-3\", memory: 1GiB}]", Libvirt = "<cpu><numa><cell id='0' cpus='0-1' memory='1048576' unit='KiB'/></numa></cpu>",
        })
    {
        Value = s => s.Cpu.Numa is { } cells ? string.Join("; ", cells.Select(c => CpuSet.Canonical(c.Cpus) + " " + ByteSize.Format(c.MemoryBytes))) : null,
        Elements = ["cpu"],
        Render = (domain, s) =>
        {
            if (s.Cpu.Numa is not { Count: > 0 } cells) return;
            var numa = XmlOrder.Ensure(XmlOrder.Ensure(domain, "cpu"), "numa");
            for (var i = 0; i < cells.Count; i++)
            {
                numa.Add(new XElement("cell", new XAttribute("id", Num(i)), new XAttribute("cpus", CpuSet.Canonical(cells[i].Cpus)),
                    new XAttribute("memory", Num((cells[i].MemoryBytes + 1023) / 1024)), new XAttribute("unit", "KiB")));
            }
        },
        // libvirt numbers the cells; they are read in id order.
        Read = (domain, s) => s with
        {
            Cpu = s.Cpu with
            {
                Numa = domain.Element("cpu")?.Element("numa")?.Elements("cell")
                    .OrderBy(c => int.TryParse((string?)c.Attribute("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : int.MaxValue)
                    .Select(c => new NumaCell(CpuSet.Canonical((string?)c.Attribute("cpus") ?? ""), MemoryFields.AttributeBytes(c, "memory"))).ToList() ?? [],
            },
        },
    };

    /// <summary>In the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Fallback, Features, PinVcpus, PinEmulator, Numa];

    /// <summary>A list's compared text: each item quoted (<c>["0-1", "3"]</c>), so that a cpuset's commas stay readable.</summary>
    private static string ListText(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => "\"" + i + "\"")) + "]";

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Num(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
