using System.Globalization;
using System.Text.RegularExpressions;

namespace Reconciler.Host.Tests;

/// <summary>
/// libvirt events of domains the controller has nothing to do with (another tool's VMs on a shared
/// node) do not start passes; events of its own domains do. On the real libvirtd.
/// </summary>
public sealed partial class EventFilterTests : IDisposable
{
    private readonly TempDir _dir = new("evf");

    public EventFilterTests() => RealLibvirt.Cleanup();

    public void Dispose()
    {
        RealLibvirt.Cleanup();
        _dir.Dispose();
    }

    [GeneratedRegex(@"^reconciler_libvirt_events_total (\d+)$", RegexOptions.Multiline)]
    private static partial Regex EventsTotal();

    [GeneratedRegex(@"^reconciler_reconcile_total\{result=""\w+""\} (\d+)$", RegexOptions.Multiline)]
    private static partial Regex PassesTotal();

    private static int Passes(Controller c) =>
        PassesTotal().Matches(c.GetAsync("/metrics").GetAwaiter().GetResult().Body).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static async Task<long> Events(Controller c) =>
        long.Parse(EventsTotal().Match((await c.GetAsync("/metrics")).Body).Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Events_of_foreign_domains_start_no_pass_and_events_of_our_own_do()
    {
        var ours = RealLibvirt.Prefix + "evf-ours";
        var foreign = RealLibvirt.Prefix + "evf-foreign";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(ours, state: "stopped"));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));
        await controller.WaitAsync(s => controller.Resource(s, ours) is { State: "Ready" }, "our domain created");
        // Let the echo of our own define (an event of our domain) run its pass.
        var settled = Passes(controller);
        await Eventually.TrueAsync(() =>
        {
            var now = Passes(controller);
            var same = now == settled;
            settled = now;
            return same;
        }, "no pass for a while", 30);
        await Task.Delay(1000);
        settled = Passes(controller);
        var eventsBefore = await Events(controller);

        // Another tool defines and undefines a VM three times: six events arrive, no pass starts.
        var xml = $"<domain type='qemu'><name>{foreign}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";
        using (var conn = RealLibvirt.Connect())
        {
            for (var i = 0; i < 3; i++)
            {
                using var d = conn.DefineDomain(xml);
                d.Undefine();
            }
        }
        await Eventually.TrueAsync(() => Events(controller).GetAwaiter().GetResult() >= eventsBefore + 6, "the foreign domain's events were received", 30);
        await Task.Delay(1000);
        Assert.Equal(settled, Passes(controller));

        // Our domain undefined behind our back: its event starts a pass that defines it again.
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(ours)!)
        {
            d.Undefine();
        }
        await Eventually.TrueAsync(() => RealLibvirt.Domain(ours).Exists, "our domain defined again (no resync is due)");
        Assert.True(Passes(controller) > settled);
    }
}
