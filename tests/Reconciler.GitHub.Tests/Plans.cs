using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.GitHub.Tests;

/// <summary>Plans built in code, without a node.</summary>
internal static class Plans
{
    public static readonly PlanNode Hv1 = new("hv1", "qemu:///system", Sandbox: false);

    public static DomainCreate Create(string name, string node = "hv1") => new(node, name, "not on the node", Domain(name, node));

    public static DomainUpdate Update(string name, params FieldChange[] fields) =>
        new("hv1", name, "spec changed", fields, Domain(name, "hv1"), "uuid", "fp");

    public static DomainDestroy Destroy(string name) => new("hv1", name, "no longer in the specs", "uuid", "fp");

    /// <summary>A minimal running domain spec (1 vCPU, 64 MiB, no disks).</summary>
    private static DomainSpec Domain(string name, string node) =>
        new(new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory("vms.yaml")), node, PowerState.Running, false, 1, null, 64UL << 20, null,
            "q35", Firmware.Bios, false, new CpuSpec(null), [], [], new GraphicsSpec(GraphicsType.None), []);

    public static Plan Of(IEnumerable<ResourceChange> changes, IEnumerable<Diagnostic>? diagnostics = null, IEnumerable<PlanNode>? nodes = null) =>
        new("/work/specs", "3f2a9c1d0e4b5a6c", (nodes ?? [Hv1]).ToList(), changes.ToList(), (diagnostics ?? []).ToList(), []);

    /// <summary>3 to create, 1 to update (memory next-boot, vCPUs restart).</summary>
    public static Plan ThreeCreatesOneUpdate() => Of([
        Create("web-1"), Create("web-2"), Create("web-3"),
        Update("db-1",
            new FieldChange("spec.memory", "1GiB", "2GiB", Disruption.NextBoot),
            new FieldChange("spec.vcpus", "1", "2", Disruption.Restart)),
    ]);

    public static Plan Empty() => Of([]);

    public static Plan WithError() => Of([Create("web-1")], [
        Diagnostic.Error("not-owned", "domain 'legacy' already exists on node 'hv1' and is not managed by Reconciler",
            new SourceLocation("vms/legacy.yaml", 3, 9), "metadata.name", "run again with --adopt"),
    ]);
}
