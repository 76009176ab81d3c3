using System.Globalization;
using System.Text;
using System.Text.Json;
using Reconciler.Core.Planning;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.EndToEnd.Tests;

namespace Reconciler.Benchmarks;

/// <summary>
/// <c>Reconciler.Benchmarks latency</c>: nodes far away. A second libvirtd (PrivateLibvirtd: own
/// mount namespace, plain TCP on 127.0.0.1, auth none) serves the many-nodes estate's test-driver
/// node files as <c>test+tcp://127.0.0.1:PORT/PATH/nNN.xml</c>, each node through its own
/// <see cref="DelayProxy"/> port that adds the round trip. Measured, alternately in one run, for
/// each round trip and each daemon <c>max_client_requests</c>: Reconciler's no-op plan (in-process,
/// specs loaded beforehand) against <see cref="RawRemote"/> on every node at once, and the apply of
/// one changed domain per node against the same raw reads plus the same define calls. The proxies
/// count the libvirt calls each side makes.
/// </summary>
internal static class LatencyBenchmark
{
    public const string Usage = """
        usage: Reconciler.Benchmarks latency [--quick] [--nodes 50] [--domains 10000] [--rtt 25,100] [--requests 5,64]
                                             [--concurrency default,4] [--raw-width 0] [--reps 3] [--port 16870]
                                             [--no-apply] [--work DIR] [--out FILE]

          --quick        10 nodes × 200 domains, 25 ms, max_client_requests 5 and 64, 2 repetitions
          --rtt          round trips the proxies add, in ms (half each way)
          --requests     max_client_requests values of the daemon (one daemon after the other)
          --concurrency  readConcurrency values written into the Node specs ('default': unset)
          --raw-width    calls the raw baseline keeps in flight per node (0: all of them)
          --port         the daemon's TCP port (this benchmark uses 16870–16879)
        """;

    private sealed record Options(int Nodes = 50, int Domains = 10_000, IReadOnlyList<int>? Rtts = null, IReadOnlyList<int>? Requests = null,
        IReadOnlyList<int?>? Concurrency = null, int RawWidth = 0, int Reps = 3, int Port = 16870, bool Apply = true, string? Work = null,
        string Out = "bench-latency.json", bool Help = false);

    /// <summary>One measured pair.</summary>
    internal sealed record Row(int RttMs, int MaxClientRequests, string ReadConcurrency, string Step, double ReconcilerSeconds, double RawSeconds,
        IReadOnlyList<double> ReconcilerRuns, IReadOnlyList<double> RawRuns, double ReconcilerCallsPerNode, double RawCallsPerNode,
        double ReconcilerConnectionsPerNode, double ReconcilerPeakInFlight, double RawPeakInFlight, double LoadAverage)
    {
        public double Ratio => ReconcilerSeconds / RawSeconds;
    }

    private sealed record Result(string Machine, string Started, int Nodes, int Domains, int RawWidth, IReadOnlyList<Row> Rows, IReadOnlyList<TargetResult> Targets,
        IReadOnlyList<string> Notes);

    private static readonly ApplyOptions ApplyOptions = new(TimeSpan.FromSeconds(30), VerifyLive: false);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (SubCommand.Parse(args, Parse, x => x.Help, Usage, out var parsed) is { } exit) return exit;
        var o = parsed!;
        var (work, ownWork) = SubCommand.Work(o.Work, "reconciler-latency");
        Environment.SetEnvironmentVariable("LIBVIRT_DEFAULT_URI", null);
        Environment.SetEnvironmentVariable("RECONCILER_LOCK_DIR", Path.Combine(work, "locks"));
        var rows = new List<Row>();
        var notes = new List<string>();
        var machine = MachineInfo.Read(null);
        var started = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        Console.WriteLine($"Machine: {machine}; load average {machine.LoadAverage:0.00}");
        try
        {
            Progress($"writing the estate: {o.Nodes} test-driver node files, {o.Domains:N0} domains");
            var estate = ScaleEstate.Write(Path.Combine(work, "estate"), o.Nodes, o.Domains, ct);
            var nodesYaml = Path.Combine(estate.Specs, "nodes.yaml");
            var original = File.ReadAllText(nodesYaml);
            // One changed domain per node for apply: a stopped one (index 1) gets a new description, a plain redefine.
            var changed = Enumerable.Range(0, o.Nodes).Where(n => ScaleEstate.PerNode(n, o.Nodes, o.Domains) > 1)
                .Select(n => ScaleEstate.DomainName(n, 1)).ToHashSet(StringComparer.Ordinal);

            foreach (var requests in o.Requests!)
            {
                Progress($"starting a libvirtd on 127.0.0.1:{o.Port} with max_client_requests = {requests}");
                using var daemon = new PrivateLibvirtd($"bench-lat-{requests}", o.Port, extraConf: $"max_client_requests = {requests}");
                foreach (var rtt in o.Rtts!)
                {
                    using var proxies = new ProxyProcess(o.Port, o.Nodes, TimeSpan.FromMilliseconds(rtt));
                    {
                        var uris = Enumerable.Range(0, o.Nodes).Select(n => $"test+tcp://127.0.0.1:{proxies.Ports[n]}{estate.NodeFile(n)}").ToList();
                        foreach (var concurrency in o.Concurrency!)
                        {
                            var label = concurrency?.ToString(CultureInfo.InvariantCulture) ?? "default (32)";
                            File.WriteAllText(nodesYaml, Rewrite(original, estate, uris, concurrency));
                            var loaded = Workspace.Load(estate.Specs, null, ct);
                            if (loaded.HasErrors) throw new InvalidOperationException("specs do not load: " + string.Join("; ", loaded.Diagnostics));
                            var at = $"{rtt} ms, max_client_requests {requests}, readConcurrency {label}";

                            Progress($"{at}: no-op plan vs raw pipelined read");
                            void RawRead() => RawRemote.Concurrently(o.Nodes, o.Nodes, n => RawRemote.Read(uris[n], o.RawWidth));
                            void Plan()
                            {
                                var plan = Operations.PlanAsync(loaded, adopt: false, ct).GetAwaiter().GetResult();
                                if (!plan.IsEmpty || plan.HasErrors) throw new InvalidOperationException($"the plan is not a no-op: {Describe(plan)}");
                            }
                            rows.Add(Pair(o, proxies, rtt, requests, label, "no-op plan", RawRead, Plan, ct));
                            Console.WriteLine("  " + Line(rows[^1]));

                            if (!o.Apply) continue;
                            var specs = loaded.Specs!;
                            var edited = loaded with
                            {
                                Specs = specs with
                                {
                                    Domains = [.. specs.Domains.Select(d => changed.Contains(d.Name) ? d with { Description = d.Description + " (changed)" } : d)],
                                },
                            };
                            var defines = Operations.Render(edited, null, "test").Where(r => changed.Contains(r.Name))
                                .ToLookup(r => r.Node, r => r.Xml, StringComparer.Ordinal);
                            Progress($"{at}: apply of one changed domain per node vs raw read + define");
                            void RawApply() => RawRemote.Concurrently(o.Nodes, o.Nodes,
                                n => RawRemote.Read(uris[n], o.RawWidth, [.. defines[ScaleEstate.NodeName(n)]]));
                            void Apply()
                            {
                                var report = Operations.PlanAndApplyAsync(edited, adopt: false, ApplyOptions, TimeSpan.FromSeconds(60), _ => true, TextWriter.Null, ct)
                                    .GetAwaiter().GetResult();
                                if (report.Result is not { Succeeded: true } || report.Plan.Changes.Count != changed.Count)
                                {
                                    throw new InvalidOperationException($"expected {changed.Count} successful updates: {Describe(report.Plan)}; "
                                        + string.Join("; ", report.Result?.Steps.Where(s => s.Status != StepStatus.Done).Take(3).Select(s => s.Message) ?? []));
                                }
                            }
                            rows.Add(Pair(o, proxies, rtt, requests, label, "apply, one changed domain per node", RawApply, Apply, ct));
                            Console.WriteLine("  " + Line(rows[^1]));
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            notes.Add("cancelled; partial results");
        }
        catch (Exception e) when (e is InvalidOperationException or Reconciler.Libvirt.LibvirtException)
        {
            Console.Error.WriteLine($"FAILED: {e.Message}");
            notes.Add($"FAILED: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            if (ownWork)
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
        }
        notes.Add($"load average at the end {MachineInfo.LoadAverageNow():0.00}");
        var targets = Targets(o, rows);
        var result = new Result(machine.ToString(), started, o.Nodes, o.Domains, o.RawWidth, rows, targets, notes);
        await File.WriteAllTextAsync(o.Out, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }), CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(Table(o, rows, targets, machine));
        foreach (var note in notes) Console.WriteLine("note: " + note);
        Console.WriteLine($"JSON: {Path.GetFullPath(o.Out)}");
        return rows.Count > 0 ? 0 : 1;
    }

    /// <summary>
    /// One warm-up each with the proxies counting calls and connections, then raw and Reconciler
    /// alternately (<see cref="Measure.Paired"/> without further warm-up).
    /// </summary>
    private static Row Pair(Options o, ProxyProcess proxies, int rtt, int requests, string label, string step, Action raw, Action reconciler, CancellationToken ct)
    {
        var load = MachineInfo.LoadAverageNow();
        (double Calls, double Connections, double Peak) Count(Action action)
        {
            proxies.Reset();
            action();
            var (calls, connections, peak) = proxies.Count();
            return (calls.Average(), connections.Average(), peak.Average());
        }
        var (rawCalls, _, rawPeak) = Count(raw);
        var (recCalls, recConnections, recPeak) = Count(reconciler);
        var (rawSample, recSample) = Measure.Paired(o.Reps, raw, reconciler, null, ct, warmups: 0);
        return new Row(rtt, requests, label, step, recSample.Median, rawSample.Median, recSample.Seconds, rawSample.Seconds, recCalls, rawCalls, recConnections, recPeak, rawPeak, load);
    }

    private static string Line(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Step}: Reconciler {RunResults.Ms(r.ReconcilerSeconds)} ({Trips(r.ReconcilerSeconds, r.RttMs)} round trips, {r.ReconcilerCallsPerNode:0} calls/node, peak {r.ReconcilerPeakInFlight:0} in flight), raw {RunResults.Ms(r.RawSeconds)} ({Trips(r.RawSeconds, r.RttMs)} round trips, {r.RawCallsPerNode:0} calls/node, peak {r.RawPeakInFlight:0}) = {r.Ratio:0.00}× (load {r.LoadAverage:0.00})");

    /// <summary>The Node specs with each node's URI through its proxy (and readConcurrency when given).</summary>
    private static string Rewrite(string nodesYaml, ScaleEstate.Estate estate, List<string> uris, int? concurrency)
    {
        var text = nodesYaml;
        for (var n = 0; n < uris.Count; n++)
        {
            // connectTimeout: one daemon opens (parses) all 50 node files at once on a shared 2-core machine.
            text = text.Replace($"uri: \"test://{estate.NodeFile(n)}\"", $"uri: \"{uris[n]}\", connectTimeout: 300" + (concurrency is { } c ? $", readConcurrency: {c}" : ""), StringComparison.Ordinal);
        }
        return text;
    }

    private static List<TargetResult> Targets(Options o, List<Row> rows)
    {
        var targets = new List<TargetResult>();
        foreach (var r in rows.Where(r => r.RttMs > 0 && r.ReadConcurrency.StartsWith("default", StringComparison.Ordinal)))
        {
            var (limit, what) = r.Step == "no-op plan"
                ? (1.5, $"no-op plan, {o.Nodes} nodes × {o.Domains / o.Nodes} domains, {r.RttMs} ms round trip, max_client_requests {r.MaxClientRequests} ≤ 1.5× raw pipelined read")
                : (2.0, $"apply of one changed domain per node, {o.Nodes} nodes, {r.RttMs} ms round trip, max_client_requests {r.MaxClientRequests} ≤ 2× raw read + define");
            targets.Add(new TargetResult(what, r.Ratio <= limit ? "PASS" : "MISS",
                string.Create(CultureInfo.InvariantCulture, $"{RunResults.Ms(r.ReconcilerSeconds)} vs raw {RunResults.Ms(r.RawSeconds)} = {r.Ratio:0.00}×; {r.ReconcilerCallsPerNode:0} calls/node ≈ {Trips(r.ReconcilerSeconds, r.RttMs)} round trips (raw {Trips(r.RawSeconds, r.RttMs)}); load {r.LoadAverage:0.00}")));
        }
        return targets;
    }

    private static string Table(Options o, List<Row> rows, List<TargetResult> targets, MachineInfo machine)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"{o.Nodes} nodes × {o.Domains / Math.Max(1, o.Nodes):N0} domains, one libvirtd, one proxy per node; raw keeps {(o.RawWidth <= 0 ? "every call" : o.RawWidth.ToString(CultureInfo.InvariantCulture))} in flight per node. {machine}");
        s.AppendLine();
        s.AppendLine("| round trip | max_client_requests | readConcurrency | step | Reconciler | raw | ratio | calls/node (Reconciler / raw) | peak in flight/node (Reconciler / raw) | elapsed ÷ round trip (Reconciler / raw) | load |");
        s.AppendLine("| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.RttMs} ms | {r.MaxClientRequests} | {r.ReadConcurrency} | {r.Step} | {RunResults.Ms(r.ReconcilerSeconds)} | {RunResults.Ms(r.RawSeconds)} | {r.Ratio:0.00}× | {r.ReconcilerCallsPerNode:0} / {r.RawCallsPerNode:0} | {r.ReconcilerPeakInFlight:0} / {r.RawPeakInFlight:0} | {Trips(r.ReconcilerSeconds, r.RttMs)} / {Trips(r.RawSeconds, r.RttMs)} | {r.LoadAverage:0.00} |");
        }
        s.AppendLine();
        s.AppendLine("| target | result | measured |");
        s.AppendLine("| --- | --- | --- |");
        foreach (var t in targets) s.AppendLine(CultureInfo.InvariantCulture, $"| {t.Target} | {t.Status} | {t.Measured} |");
        return s.ToString();
    }

    private static string Trips(double seconds, int rttMs) => rttMs <= 0 ? "—" : (seconds * 1000 / rttMs).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Describe(Plan plan) =>
        $"{plan.Changes.Count} change(s): " + string.Join("; ", plan.Changes.Take(3).Select(c => $"{c.Action} {c.Name} ({c.Reason})"))
        + (plan.Diagnostics.Count > 0 ? " diagnostics: " + string.Join("; ", plan.Diagnostics.Take(3)) : "");

    private static void Progress(string what) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {what}");

    private static Options Parse(string[] args)
    {
        var o = new Options();
        if (args.Contains("--quick")) o = o with { Nodes = 10, Domains = 2000, Rtts = [25], Requests = [5, 64], Reps = 2 };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next().Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
            int[] Ints() => [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture))];
            o = args[i] switch
            {
                "--quick" => o,
                "-h" or "--help" => o with { Help = true },
                "--nodes" => o with { Nodes = Math.Max(1, Int()) },
                "--domains" => o with { Domains = Math.Max(0, Int()) },
                "--rtt" => o with { Rtts = Ints() },
                "--requests" => o with { Requests = Ints() },
                "--concurrency" => o with
                {
                    Concurrency = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(x => x == "default" ? (int?)null : int.Parse(x, CultureInfo.InvariantCulture))],
                },
                "--raw-width" => o with { RawWidth = Int() },
                "--reps" => o with { Reps = Math.Max(1, Int()) },
                "--port" => o with { Port = Int() },
                "--no-apply" => o with { Apply = false },
                "--work" => o with { Work = Path.GetFullPath(Next()) },
                "--out" => o with { Out = Next() },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }
        return o with { Rtts = o.Rtts ?? [25, 100], Requests = o.Requests ?? [5, 64], Concurrency = o.Concurrency ?? [null] };
    }
}
