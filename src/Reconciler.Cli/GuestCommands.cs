using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reconciler.Engine;
using Reconciler.Engine.Guests;
using Reconciler.Engine.Output;

namespace Reconciler.Cli;

/// <summary>
/// The guest commands: <c>status DIR</c> (read the nodes directly), <c>inventory DIR</c> (an
/// Ansible inventory) and the wait of <c>apply --wait ready</c>.
/// </summary>
internal static class GuestCommands
{
    private static readonly JsonSerializerOptions Json = new(PlanJson.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The default of --wait-timeout, in seconds.</summary>
    public const int DefaultWaitTimeout = 300;

    /// <summary><c>reconcile inventory DIR [--output yaml|ini|json]</c>.</summary>
    public static Command Inventory(Io io, Argument<string> dirArg, Option<string?> connect)
    {
        var output = new Option<string>("--output", "-o") { Description = "yaml (default), ini, or json (the form an inventory script prints for --list).", DefaultValueFactory = _ => "yaml" };
        output.AcceptOnlyFromAmong("yaml", "ini", "json");
        var cmd = new Command("inventory", """
            Print an Ansible inventory of the domains under DIR, read from their nodes now: hosts by name, ansible_host = the first
            address (DHCP lease, then guest agent, then ARP), groups from labels (tier=web -> group tier_web), host vars node, vcpus,
            memory (MiB) and addresses. Sorted by name. Chain it after apply:
              reconcile apply ./vms --auto-approve --wait ready && reconcile inventory ./vms > inventory.yaml && ansible-playbook -i inventory.yaml site.yml
            """)
        {
            dirArg, connect, output,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var loaded = Load(io, parse.GetValue(dirArg)!, parse.GetValue(connect), ct);
            if (loaded is null) return CliApp.Error;
            var statuses = await GuestOperations.StatusAsync(loaded, GuestReadOptions.Default, ct).ConfigureAwait(false);
            foreach (var s in statuses.Where(s => s.Primary is null && s.State == "running")) io.Err.WriteLine($"note: {s.Name}: no address yet");
            var hosts = Engine.Guests.Inventory.Hosts(loaded.Specs!.Domains, statuses);
            io.Out.Write(parse.GetValue(output) switch
            {
                "ini" => Engine.Guests.Inventory.Ini(hosts),
                "json" => Engine.Guests.Inventory.Json(hosts),
                _ => Engine.Guests.Inventory.Yaml(hosts),
            });
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary><c>reconcile status DIR</c>: every declared domain's state, guest readiness and addresses, read from the nodes now.</summary>
    public static async Task<int> StatusAsync(Io io, string dir, string? connect, bool json, CancellationToken ct)
    {
        var loaded = Load(io, dir, connect, ct);
        if (loaded is null) return CliApp.Error;
        var statuses = await GuestOperations.StatusAsync(loaded, GuestReadOptions.Default, ct).ConfigureAwait(false);
        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(new
            {
                apiVersion = "reconciler/v1",
                kind = "GuestStatus",
                checkedAt = statuses.Count > 0 ? statuses.Max(s => s.CheckedAt) : DateTimeOffset.UtcNow,
                domains = statuses.Select(StatusJson),
            }, Json));
            return CliApp.Ok;
        }
        io.Out.Write(StatusText(statuses));
        return CliApp.Ok;
    }

    /// <summary>The JSON of one domain's guest, as <c>status DIR --output json</c> and the controller's /status write it.</summary>
    public static object StatusJson(GuestStatus s) => new
    {
        name = s.Name,
        node = s.Node,
        state = s.State,
        readiness = s.Readiness.ToString(),
        guestReady = s.Ready,
        reason = s.Reason,
        address = s.Primary?.Address,
        addresses = s.Addresses.Select(a => new { address = a.Address, prefix = a.Prefix, source = a.Source, mac = a.Mac, @interface = a.Interface }),
        skipped = s.Skipped.Select(k => new { source = k.Source, error = k.Error }),
        checkedAt = s.CheckedAt,
    };

    /// <summary>The text of <c>status DIR</c>: one block per domain.</summary>
    public static string StatusText(IReadOnlyList<GuestStatus> statuses)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        if (statuses.Count == 0)
        {
            w.WriteLine("No domains are declared.");
            return w.ToString();
        }
        w.WriteLine($"Read from the nodes at {statuses.Max(s => s.CheckedAt):yyyy-MM-dd HH:mm:ss}Z.");
        foreach (var s in statuses)
        {
            var ready = s.Ready switch { true => "guest ready", false => "guest not ready", null => "guest readiness unknown" };
            w.WriteLine($"{s.Name}  {(s.Node is null ? "" : "node " + s.Node + "  ")}{s.State}  {ready} ({s.Readiness}): {s.Reason}");
            if (s.State == "running" && s.Addresses.Count == 0) w.WriteLine("    addresses: no address yet");
            foreach (var a in s.Addresses) w.WriteLine($"    address {a.Address}/{a.Prefix}  source {a.Source}  mac {a.Mac ?? "-"}  interface {a.Interface}");
            foreach (var k in s.Skipped) w.WriteLine($"    skipped source {k.Source}: {k.Error}");
        }
        return w.ToString();
    }

    /// <summary>
    /// The wait of <c>apply --wait ready</c>: progress per domain on <paramref name="progress"/>;
    /// 0 when every started guest is ready, 1 naming those that are not, and why.
    /// </summary>
    public static async Task<int> WaitAsync(Io io, LoadedSpecs loaded, TimeSpan timeout, TextWriter progress, CancellationToken ct)
    {
        var statuses = await GuestOperations.WaitReadyAsync(loaded, timeout, GuestReadOptions.Default, progress, ct).ConfigureAwait(false);
        var notReady = statuses.Where(s => s.Ready != true).ToList();
        if (notReady.Count == 0)
        {
            progress.WriteLine($"All {statuses.Count} guest(s) ready.");
            return CliApp.Ok;
        }
        io.Err.WriteLine($"error: {notReady.Count} of {statuses.Count} guest(s) not ready within {timeout.TotalSeconds:0} s: {string.Join(", ", notReady.Select(s => s.Name))}");
        foreach (var s in notReady) io.Err.WriteLine($"    {s.Name}: {s.Reason}");
        io.Err.WriteLine("    hint: `reconcile status DIR` shows what each guest has now; raise --wait-timeout for slow boots");
        return CliApp.Error;
    }

    private static LoadedSpecs? Load(Io io, string dir, string? connect, CancellationToken ct)
    {
        var loaded = Workspace.Load(dir, connect, ct);
        CliApp.Report(io, loaded.Diagnostics);
        if (!loaded.HasErrors) return loaded;
        io.Err.WriteLine("The specs have errors; no node was read.");
        return null;
    }
}
