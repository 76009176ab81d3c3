using System.Globalization;
using System.Text.RegularExpressions;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// The controller's targeted passes (docs/controller.md, "Targeted passes"), on the real libvirtd:
/// a file change is applied by a pass about that domain alone while every other resource keeps its
/// status; a redefinition behind the controller's back names its domain in an event, and a pass
/// about it puts it back; a removed file makes a pass over everything, which prunes.
/// </summary>
public sealed partial class TargetedPassControllerTests : IDisposable
{
    private const string Prefix = RealLibvirt.Prefix + "tgt-";
    private readonly TempDir _dir = new("tgt");

    public TargetedPassControllerTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    [GeneratedRegex(@"^reconciler_reconcile_targeted_total (\d+)$", RegexOptions.Multiline)]
    private static partial Regex TargetedTotal();

    private static async Task<int> Targeted(Controller c) =>
        int.Parse(TargetedTotal().Match((await c.GetAsync("/metrics")).Body).Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task File_changes_and_evented_drift_are_handled_by_targeted_passes_and_a_removal_by_a_whole_one()
    {
        string[] names = [Prefix + "a", Prefix + "b", Prefix + "c"];
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        foreach (var n in names) _dir.Write(n + ".yaml", RealLibvirt.DomainYaml(n, state: "stopped"));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("PruneSettle", "2s"));
        await controller.WaitAsync(s => names.All(n => controller.Resource(s, n) is { State: "Ready" }), "all three created");
        var targetedBefore = await Targeted(controller);

        // A file change: applied by a pass about a alone; b and c keep their status.
        _dir.Write(names[0] + ".yaml", RealLibvirt.DomainYaml(names[0], memory: "96MiB", state: "stopped"));
        await Eventually.TrueAsync(() => RealLibvirt.Domain(names[0]).MemoryKiB == 98304, "the file change applied");
        // The pass is counted when it ends, after its apply: the domain can show the change first.
        await Eventually.TrueAsync(() => Targeted(controller).GetAwaiter().GetResult() > targetedBefore, "the file change counted as targeted");
        var afterFile = await Targeted(controller);
        var status = await controller.WaitAsync(s => controller.Resource(s, names[0]) is { State: "Ready" }, "a ready again");
        Assert.All(names, n => Assert.Equal("Ready", controller.Resource(status, n)?.State));

        // Drift through a redefinition (libvirt sends an event naming b): put back by a targeted pass.
        using (var conn = RealLibvirt.Connect())
        {
            var xml = RealLibvirt.Domain(names[1]).Xml.Replace("<memory unit='KiB'>65536</memory>", "<memory unit='KiB'>49152</memory>", StringComparison.Ordinal)
                .Replace("<currentMemory unit='KiB'>65536</currentMemory>", "<currentMemory unit='KiB'>49152</currentMemory>", StringComparison.Ordinal);
            Assert.Contains("49152", xml, StringComparison.Ordinal);
            conn.DefineDomain(xml).Dispose();
        }
        await Eventually.TrueAsync(() => RealLibvirt.Domain(names[1]).MemoryKiB == 65536, "the drift put back");
        await Eventually.TrueAsync(() => Targeted(controller).GetAwaiter().GetResult() > afterFile, "the correction counted as targeted");

        // A removed file: a pass over everything prunes c; a and b stay.
        File.Delete(Path.Combine(_dir.Path, names[2] + ".yaml"));
        await Eventually.TrueAsync(() => !RealLibvirt.Domain(names[2]).Exists, "c pruned");
        status = await controller.WaitAsync(s => controller.Resource(s, names[2]) is null, "c gone from the status");
        Assert.Equal("Ready", controller.Resource(status, names[0])?.State);
        Assert.Equal("Ready", controller.Resource(status, names[1])?.State);
        Assert.True(RealLibvirt.Domain(names[0]).Exists && RealLibvirt.Domain(names[1]).Exists);
    }
}
