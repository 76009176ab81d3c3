using System.Text.Json;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// <c>spec.snapshots.quiesce</c> on the real libvirtd: the tiny guest's agent build (qemu-ga
/// answers on the agent channel) is frozen for an internal snapshot and thawed after; a running
/// domain whose agent does not answer (no agent channel) falls back as its spec declares: skip
/// takes nothing and says why, proceed takes it unfrozen and records that.
/// </summary>
public sealed class SnapshotQuiesceTests : IDisposable
{
    private const string P = "e2e-snapq-";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory(P).FullName;

    public SnapshotQuiesceTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static void Cleanup()
    {
        using (var conn = RealLibvirt.Connect())
        {
            foreach (var d in conn.ListAllDomains())
            {
                using (d)
                {
                    if (!d.Name.StartsWith(P, StringComparison.Ordinal)) continue;
                    foreach (var s in d.ListSnapshotNames()) d.DeleteSnapshot(s, SnapshotDeleteFlags.MetadataOnly);
                }
            }
        }
        RealLibvirt.Cleanup(P);
    }

    private string Image(string name)
    {
        var path = Path.Combine(_work, name + ".qcow2");
        Assert.Equal(0, Programs.Run("qemu-img", "create", "-q", "-f", "qcow2", path, "16M").Code);
        return path;
    }

    private string Specs(string onFailure) => RealLibvirt.NodeSpec(domainType: "qemu") + $$"""

        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{P}}agent}
        spec:
          vcpus: 1
          memory: 128MiB
          machine: pc
          graphics: {type: none}
          disks: [{path: {{Path.Combine(_work, "agent.qcow2")}}}]
          snapshots: {quiesce: true}
          xml:
        {{TinyGuest.XmlPatches(Path.Combine(_work, "agent.log"), "    ", agent: true)}}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{P}}silent}
        spec:
          vcpus: 1
          memory: 64MiB
          machine: pc
          graphics: {type: none}
          devices: {agentChannel: false}
          disks: [{path: {{Path.Combine(_work, "silent.qcow2")}}}]
          snapshots: {quiesce: true, onQuiesceFailure: {{onFailure}}}
        """;

    private async Task<JsonElement> ListedAsync(string domain)
    {
        var list = await Cli.RunAsync("snapshots", _dir.Path, "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var doc = JsonDocument.Parse(list.Out);
        return doc.RootElement.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain).Clone();
    }

    [Fact]
    public async Task The_agent_freezes_the_guest_for_the_snapshot_and_a_silent_agent_falls_back_as_declared()
    {
        Image("agent");
        Image("silent");
        var apply = await Cli.ApplyAsync(_dir, Specs("skip"));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var (ready, log) = await TinyGuest.WaitForAsync(Path.Combine(_work, "agent.log"), "TINY-GUEST-READY", TimeSpan.FromSeconds(180));
        Assert.True(ready, "the agent guest did not boot; console:\n" + log);
        // qemu-ga starts just after READY: wait until it answers (virDomainGetTime goes through it).
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(P + "agent")!)
        {
            for (var i = 0; i < 60; i++)
            {
                try { d.GetGuestTime(); break; } catch (LibvirtException) when (i < 59) { await Task.Delay(1000); }
            }
        }

        var frozen = await Cli.RunAsync("snapshot", P + "agent", _dir.Path, "--label", "consistent");

        Assert.True(frozen.ExitCode == 0, frozen.ToString());
        Assert.Contains("(filesystems frozen)", frozen.Out);
        var agent = await ListedAsync(P + "agent");
        var item = Assert.Single(agent.GetProperty("snapshots").EnumerateArray());
        Assert.True(item.GetProperty("quiesced").GetBoolean());
        Assert.Equal("hand", item.GetProperty("origin").GetString());
        Assert.Equal("internal", item.GetProperty("kind").GetString());
        Assert.Equal("consistent", item.GetProperty("label").GetString());
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(P + "agent")!)
        {
            // Thawed after the snapshot: the guest runs and a new freeze/thaw round succeeds.
            Assert.True(d.IsActive);
            d.FreezeFilesystems();
            d.ThawFilesystems();
        }

        // No agent channel: the freeze fails at once; skip takes nothing.
        var skipped = await Cli.RunAsync("snapshot", P + "silent", _dir.Path);

        Assert.Equal(1, skipped.ExitCode);
        Assert.Contains("onQuiesceFailure: skip", skipped.Err);
        Assert.Contains("hint: start qemu-ga in the guest, or set spec.snapshots.onQuiesceFailure: proceed", skipped.Err);
        Assert.Empty((await ListedAsync(P + "silent")).GetProperty("snapshots").EnumerateArray());

        _dir.Write("all.yaml", Specs("proceed")); // disruption class none: nothing to apply
        var proceeded = await Cli.RunAsync("snapshot", P + "silent", _dir.Path);

        Assert.True(proceeded.ExitCode == 0, proceeded.ToString());
        Assert.Contains("without freezing the filesystems", proceeded.Out);
        var silent = Assert.Single((await ListedAsync(P + "silent")).GetProperty("snapshots").EnumerateArray());
        Assert.False(silent.GetProperty("quiesced").GetBoolean());
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, "changing spec.snapshots must plan nothing:\n" + plan);
    }
}
