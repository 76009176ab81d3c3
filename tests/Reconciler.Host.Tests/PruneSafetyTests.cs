using System.Net;
using System.Net.Http.Headers;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// Issue 16: nothing is lost to a half-written spec file (the settle time) or to a mass removal
/// (held until a person approves it), on the real libvirtd. Domains are stopped (defined only)
/// and named with this class's own prefix.
/// </summary>
public sealed class PruneSafetyTests : IDisposable
{
    private const string Prefix = "h16a-prune-";
    private readonly TempDir _dir = new("prune");

    public PruneSafetyTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_file_truncated_for_a_moment_prunes_nothing_and_a_real_removal_goes_through_after_the_settle_time()
    {
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        WriteInPlace(20);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));
        await controller.WaitAsync(s => Enumerable.Range(0, 20).All(i => controller.Resource(s, Name(i)) is { State: "Ready" }), "20 domains defined");
        var before = Uuids();
        Assert.Equal(20, before.Count);

        // A slow writer: the file holds 18 documents for a moment, then all 20 again. Written in
        // place (not renamed), so the watcher may well read the short file: the settle time protects.
        WriteInPlace(18);
        var pending = await controller.WaitAsync(s => s.Resources.Count(r => r.Reason == "PrunePending") == 2, "the 2 missing domains are PrunePending", 5);
        var first = pending.Resources.Where(r => r.Reason == "PrunePending").ToList();
        Assert.All(first, r => Assert.Equal("Reconciling", r.State));
        Assert.All(first, r => Assert.NotNull(r.PruneAt));
        Assert.All(first, r => Assert.Contains("prune pending until", r.Message, StringComparison.Ordinal));
        Assert.Equal([Name(18), Name(19)], first.Select(r => r.Name).Order(StringComparer.Ordinal));
        var due = first.Max(r => r.PruneAt!.Value);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        WriteInPlace(20);

        // The pass that the due time starts (a fresh read) finds nothing to remove.
        var after = await controller.WaitAsync(s => s.LastPass is { } p && p.At > due && s.Resources.Count(r => r.State == "Ready") == 20,
            "a pass after the removals were due, with all 20 Ready", 30);
        Assert.DoesNotContain(after.Resources, r => r.Reason == "PrunePending");
        Assert.Equal(before, Uuids());
        Assert.DoesNotContain(controller.Logs.Lines, l => l.Contains("destroying", StringComparison.OrdinalIgnoreCase) || l.Contains("undefin", StringComparison.OrdinalIgnoreCase));

        // A real removal of 3 of 20 (under the mass limit) goes through once the directory has settled.
        WriteInPlace(17);
        await controller.WaitAsync(s => s.Resources.Count(r => r.Reason == "PrunePending") == 3, "the 3 removed domains are PrunePending first", 10);
        Assert.Equal(20, Uuids().Count);
        await Eventually.TrueAsync(() => Uuids().Count == 17, "3 of 20 removed after the settle time", 30);
        var kept = Uuids();
        Assert.All(kept, kv => Assert.Equal(before[kv.Key], kv.Value));
        Assert.DoesNotContain(Name(17), kept.Keys);
        var settled = await controller.WaitAsync(s => s.Resources.Count == 17, "status forgets the removed domains");
        Assert.All(settled.Resources, r => Assert.Equal("Ready", r.State));
    }

    [Fact]
    public async Task A_mass_removal_is_held_until_approved_with_the_token_and_refused_without_it()
    {
        var token = Path.Combine(_dir.Path, ".token");
        File.WriteAllText(token, "s3cret-" + Guid.NewGuid().ToString("N") + "\n");
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        WriteInPlace(20);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("ApiTokenFile", token));
        await controller.WaitAsync(s => s.Resources.Count(r => r.State == "Ready") == 20, "20 domains defined");
        var before = Uuids();

        // 15 of 20 leave the specs: once the directory has settled, they are held, not removed.
        WriteInPlace(5);
        var held = await controller.WaitAsync(s => s.Resources.Count(r => r.Reason == "MassPruneHeld") == 15, "15 removals held", 30);
        var revision = held.Source.AppliedRevision!;
        var heldPrune = Assert.Single(held.HeldPrunes);
        Assert.Equal(("local", revision, 15, 20), (heldPrune.Node, heldPrune.Revision, heldPrune.Count, heldPrune.Owned));
        var r = controller.Resource(held, Name(5))!;
        Assert.Equal("Stalled", r.State);
        Assert.Contains("15 of the 20", r.Message, StringComparison.Ordinal);
        Assert.Contains(revision, r.Message, StringComparison.Ordinal);
        Assert.Contains(r.Conditions, c => c is { Type: "Stalled", Status: "True", Reason: "MassPruneHeld" });
        // The five kept domains are as they were; nothing was removed.
        Assert.Equal(before, Uuids());
        var table = await Cli.RunAsync("status", "--endpoint", controller.BaseAddress.ToString());
        Assert.Contains($"reconcile approve-prune {revision}", table.Out, StringComparison.Ordinal);

        // Without the token, or with a wrong one, the action is refused and nothing changes.
        using var http = new HttpClient { BaseAddress = controller.BaseAddress };
        using (var bare = await http.PostAsync($"/actions/approve-prune/{revision}", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, $"/actions/approve-prune/{revision}"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            using var response = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        var noToken = await Cli.RunAsync("approve-prune", revision, "--endpoint", controller.BaseAddress.ToString(), "--api-token-file", Path.Combine(_dir.Path, "missing"));
        Assert.NotEqual(0, noToken.Code);
        // Approving a revision that holds nothing is refused and says what is held.
        var other = await Cli.RunAsync("approve-prune", "0000000000000000", "--endpoint", controller.BaseAddress.ToString(), "--api-token-file", token);
        Assert.Equal(1, other.Code);
        Assert.Contains("409", other.Err, StringComparison.Ordinal);
        Assert.Contains(revision, other.Err, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(20, Uuids().Count);

        // Approved with the token (by a prefix of the revision, as the status table shows it): the 15 go.
        var approved = await Cli.RunAsync("approve-prune", revision[..12], "--endpoint", controller.BaseAddress.ToString(), "--api-token-file", token);
        Assert.True(approved.Code == 0, approved.Err);
        Assert.Contains("15 held removal(s)", approved.Out, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => Uuids().Count == 5, "the 15 approved removals applied", 30);
        Assert.All(Uuids(), kv => Assert.Equal(before[kv.Key], kv.Value));
        var done = await controller.WaitAsync(s => s.Resources.Count == 5 && s.HeldPrunes.Count == 0, "nothing held any more");
        Assert.All(done.Resources, x => Assert.Equal("Ready", x.State));
    }

    [Fact]
    public async Task Without_an_api_token_file_action_endpoints_are_refused_and_read_only_ones_stay_open()
    {
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));
        await controller.WaitAsync(s => s.Ready, "first sync");
        using var http = new HttpClient { BaseAddress = controller.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/actions/approve-prune/abcdef0123");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("--api-token-file", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await controller.GetAsync("/status")).Code);
        Assert.Equal(HttpStatusCode.OK, (await controller.GetAsync("/metrics")).Code);
    }

    [Fact]
    public void A_settle_time_shorter_than_the_debounce_burst_is_refused_with_the_minimum()
    {
        var e = Assert.Throws<InvalidSettingsException>(() => ControllerHost.Create(new Dictionary<string, string?>
        {
            ["Reconciler:Source"] = _dir.Path,
            ["Reconciler:Listen"] = "127.0.0.1:0",
            ["Reconciler:Debounce"] = "300ms",
            ["Reconciler:PruneSettle"] = "2s",
        }));
        var error = Assert.Single(e.Errors);
        Assert.Contains("PruneSettle", error, StringComparison.Ordinal);
        Assert.Contains("--prune-settle 3s", error, StringComparison.Ordinal);
    }

    private static string Name(int i) => $"{Prefix}{i:D2}";

    /// <summary>Rewrites many.yaml in place with the first <paramref name="count"/> of the 20 domains (a non-atomic write, as a slow writer does).</summary>
    private void WriteInPlace(int count)
    {
        var text = string.Join("---\n", Enumerable.Range(0, count).Select(i => RealLibvirt.DomainYaml(Name(i), state: "stopped")));
        using var file = new FileStream(Path.Combine(_dir.Path, "many.yaml"), FileMode.Create, FileAccess.Write);
        using var writer = new StreamWriter(file);
        writer.Write(text);
    }

    /// <summary>This test's domains on the node, name → UUID.</summary>
    private static Dictionary<string, string> Uuids()
    {
        using var conn = RealLibvirt.Connect();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (d.Name.StartsWith(Prefix, StringComparison.Ordinal)) result[d.Name] = d.Uuid;
            }
        }
        return result;
    }

    private static void Cleanup()
    {
        using var conn = RealLibvirt.Connect();
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (!d.Name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
                try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                try { d.Undefine(UndefineFlags.Nvram); } catch (LibvirtException) { }
            }
        }
    }
}
