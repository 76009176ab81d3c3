using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Tests;

/// <summary>Builders for specs and live state used by the planner tests.</summary>
internal static class Specs
{
    public const string Source = "/specs";

    public static DomainSpec Domain(string name, Func<DomainSpec, DomainSpec>? edit = null)
    {
        var meta = new ResourceMeta(name, new Dictionary<string, string>(),
            new SpecOrigin(new SourceLocation("vms.yaml", 3, 1), new Dictionary<string, SourceLocation>
            {
                ["metadata.name"] = new("vms.yaml", 4, 9),
                ["spec.node"] = new("vms.yaml", 6, 9),
                ["spec.placement"] = new("vms.yaml", 7, 3),
            }));
        var spec = new DomainSpec(meta, null, PowerState.Running, false, 1, null, 64UL << 20, null, "q35", Firmware.Bios, false,
            new CpuSpec(null), [], [], new GraphicsSpec(GraphicsType.None), []);
        return edit is null ? spec : edit(spec);
    }

    public static SpecSet Set(params DomainSpec[] domains) => new(Source, "rev1", [], domains);

    /// <summary>A live domain whose definition is <paramref name="config"/> as libvirt would read it back.</summary>
    public static LiveDomain Live(DomainSpec config, LiveRunState state = LiveRunState.Running, bool autostart = false,
        string? source = Source, bool protect = false, string fingerprint = "fp")
    {
        var readBack = config with
        {
            Machine = config.Machine == "q35" ? "pc-q35-7.2" : config.Machine,
            DomainType = "kvm",
            Interfaces = config.Interfaces.Select((n, i) => n with { Mac = n.Mac ?? $"52:54:00:00:00:{i:x2}" }).ToList(),
        };
        var owner = source is null ? null : new OwnerRecord(config.Name, "sha256:x", source, "rev0", protect);
        return new LiveDomain(config.Name, "uuid-" + config.Name, state, autostart, true, owner, readBack, null, fingerprint);
    }

    public static LiveNode Node(params LiveDomain[] domains) => new("hv1", "qemu:///system", "kvm", domains);
}
