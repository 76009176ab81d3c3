using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.GitHub.Tests;

/// <summary>Plans built in code, without a node.</summary>
internal static class Plans
{
    public static readonly PlanNode Hv1 = new("hv1", "qemu:///system", Sandbox: false);

    public static ResourceChange Create(string name, string node = "hv1") =>
        new(node, ResourceKind.Domain, name, ChangeAction.Create, "not on the node", [], null, null, null);

    public static ResourceChange Update(string name, params FieldChange[] fields) =>
        new("hv1", ResourceKind.Domain, name, ChangeAction.Update, "spec changed", fields, null, "uuid", "fp");

    public static ResourceChange Destroy(string name) =>
        new("hv1", ResourceKind.Domain, name, ChangeAction.Destroy, "no longer in the specs", [], null, "uuid", "fp");

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
