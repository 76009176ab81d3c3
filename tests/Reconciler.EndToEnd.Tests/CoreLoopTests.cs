using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>The core loop on a real libvirtd + QEMU: converge, notice drift, never touch the foreign.</summary>
public sealed class CoreLoopTests : IDisposable
{
    private const string Prefix = "e2e-core-";
    private readonly SpecDir _dir = new();

    public CoreLoopTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    private string Domains(string extra = "") => RealLibvirt.NodeSpec() + $"""

        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {Prefix}run, labels: {"{"}tier: test{"}"}{"}"}
        spec:
          state: running
          vcpus: 1
          maxVcpus: 2
          memory: 64MiB
          maxMemory: 128MiB
          graphics: {"{"}type: vnc{"}"}
          interfaces: []
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {Prefix}off{"}"}
        spec: {"{"}state: stopped, autostart: false, vcpus: 1, memory: 128MiB, machine: pc{"}"}
        {extra}
        """;

    [Fact]
    public async Task Apply_then_plan_is_empty_and_drift_is_put_back()
    {
        _dir.Write("vms.yaml", Domains());
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "3");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());

        using (var conn = RealLibvirt.Connect())
        {
            using var run = conn.LookupDomainByName(Prefix + "run")!;
            Assert.True(run.IsActive);
            run.Destroy();                               // stopped behind our back
            using var off = conn.LookupDomainByName(Prefix + "off")!;
            off.Autostart = true;                        // autostart flipped
            off.SetMaxMemory(256 * 1024, DomainModificationImpact.Config);   // memory changed
            off.SetMemory(256 * 1024, DomainModificationImpact.Config);
        }
        var drift = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(drift.ExitCode == 2, drift.ToString());
        Assert.Contains("spec.autostart: true → false", drift.Out);
        Assert.Contains("spec.memory: 256MiB → 128MiB", drift.Out);
        Assert.Contains($"> domain {Prefix}run", drift.Out);

        var fix = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "3");
        Assert.True(fix.ExitCode == 0, fix.ToString());
        var clean = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(clean.ExitCode == 0, clean.ToString());
    }

    [Fact]
    public async Task A_foreign_domain_is_never_touched_and_an_owned_one_is_pruned()
    {
        using (var conn = RealLibvirt.Connect())
        {
            using var _ = conn.DefineDomain($"<domain type='qemu'><name>{Prefix}foreign</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>");
        }
        string Xml()
        {
            using var conn = RealLibvirt.Connect();
            using var d = conn.LookupDomainByName(Prefix + "foreign")!;
            return d.GetXmlDesc(DomainXmlFlags.Inactive);
        }
        var before = Xml();
        _dir.Write("vms.yaml", Domains($"""
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {Prefix}foreign{"}"}
            spec: {"{"}state: stopped, vcpus: 2, memory: 256MiB{"}"}
            """));
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "3");
        Assert.Equal(1, apply.ExitCode);                 // the conflict is an error…
        Assert.Contains("--adopt", apply.Err);
        Assert.Equal(before, Xml());                     // …and the foreign domain is untouched
        using (var conn = RealLibvirt.Connect())
        {
            using var created = conn.LookupDomainByName(Prefix + "off");
            Assert.NotNull(created);                     // independent changes still happened
        }

        _dir.Write("vms.yaml", RealLibvirt.NodeSpec());  // every spec removed
        var prune = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "3");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        using (var conn = RealLibvirt.Connect())
        {
            Assert.Null(conn.LookupDomainByName(Prefix + "off"));
            Assert.Null(conn.LookupDomainByName(Prefix + "run"));
            using var foreign = conn.LookupDomainByName(Prefix + "foreign");
            Assert.NotNull(foreign);
        }
    }
}
