using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Reconciler.Engine;

namespace Reconciler.Benchmarks;

/// <summary>
/// <c>Reconciler.Benchmarks controller</c>: the controller (<c>reconcile run</c>, published
/// ReadyToRun) as a child process over many nodes: <c>--test-nodes</c> test-driver node files
/// served by the system libvirtd (<c>test+unix:///PATH</c>: remote connections, so the controller
/// holds them across passes and gets their events, as for any remote node) holding
/// <c>--test-domains</c> domains in sync, plus the real node qemu:///system holding
/// <c>--real-domains</c> (named <c>--prefix</c>, stopped, defined in sync before the start). Measures
/// start → ready, idle CPU, RSS, file change → applied and out-of-band change → corrected (both on
/// the real node). With <c>--soak MINUTES</c>, then one change every <c>--change-every</c> seconds
/// (file and out-of-band alternately) with RSS sampled every 10 s: the memory curve.
/// </summary>
internal static class ControllerScaleBenchmark
{
    public const string Usage = """
        usage: Reconciler.Benchmarks controller [--test-nodes 49] [--test-domains 9800] [--real-domains 200]
                                                [--soak MINUTES] [--change-every 10] [--warmup-minutes 5]
                                                [--reconcile PATH] [--work DIR] [--out FILE] [--interval 1m]
                                                [--prefix ctl-k-] [--env NAME=VALUE]... [--log FILE]
                                                [--idle-minutes 1]

          --test-nodes, --test-domains  test-driver nodes served by the system libvirtd (test+unix:///PATH), and their domains
          --real-domains  domains on qemu:///system, named PREFIX00000… (removed at the start and the end)
          --prefix        their name prefix (default ctl-k-; give each concurrent run its own)
          --soak          minutes of changes after the measurements (0: none), RSS every 10 s
          --change-every  seconds between two changes of the soak
          --warmup-minutes  the start of the soak not counted in its growth
          --interval      the controller's --interval (the Git poll and shortest resync period; the idle
                          figures wait one interval, then sample the next)
          --env           an environment variable for the controller (GC settings, say;
                          Logging__LogLevel__Default=Debug logs every pass and its trigger)
          --log           write the controller's log (its first 10,000 lines) to FILE at the end
          --idle-minutes  how long the idle CPU is sampled, second by second (at least one --interval),
                          after a warm-up of one --interval
        """;

    private const string RealUri = "qemu:///system";

    private sealed record Options(int TestNodes = 49, int TestDomains = 9800, int RealDomains = 200, double Soak = 0, double ChangeEvery = 10,
        double Warmup = 5, string? Reconcile = null, string? Work = null, string Out = "bench-controller.json", string Interval = "1m",
        IReadOnlyDictionary<string, string> Env = null!, bool Help = false, string Prefix = "ctl-k-", string? Log = null, double IdleMinutes = 1);

    /// <summary>One RSS sample of the soak.</summary>
    private sealed record RssSample(double Minutes, double RssMiB, double LoadAverage);

    private sealed record Result(string Machine, string Started, int Nodes, int Domains, int TestNodes, int TestDomains, int RealDomains,
        IReadOnlyDictionary<string, string> Env, IReadOnlyList<ControllerResult> Figures, IReadOnlyList<RssSample> Curve, double? GrowthPercent,
        IReadOnlyList<double> SoakChangeSeconds, IReadOnlyList<string> Targets);

    public static int Run(string[] args, CancellationToken ct)
    {
        if (SubCommand.Parse(args, Parse, o => o.Help, Usage, out var parsed) is { } exit) return exit;
        var o = parsed!;
        var (work, ownWork) = SubCommand.Work(o.Work, "reconciler-ctl");
        var machine = MachineInfo.Read(RealUri);
        Console.WriteLine($"Machine: {machine}");
        var figures = new List<ControllerResult>();
        var curve = new List<RssSample>();
        var soakChanges = new List<double>();
        var nodes = o.TestNodes + 1;
        var domains = o.TestDomains + o.RealDomains;
        var n = domains;
        try
        {
            var exe = o.Reconcile ?? ScaleBenchmark.Publish(work);
            var dir = WriteSpecs(o, work, ct);
            var loaded = Workspace.Load(dir, null, ct);
            if (loaded.HasErrors) throw new InvalidOperationException("the specs do not load: " + string.Join("; ", loaded.Diagnostics.Select(d => d.Message)));
            var real = Operations.Render(loaded, null).Where(r => r.Node == "real").ToList();
            var names = real.Select(r => r.Name).ToList();
            RawLibvirt.RemoveBenchDomains(RealUri, o.Prefix);
            RawLibvirt.Define(RealUri, real.Select(r => r.Xml).ToList());
            Log($"{nodes} nodes, {domains:N0} domains written and defined; starting `reconcile run`");

            var port = ControllerBenchmark.FreePort();
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "run", "--source", dir, "--listen", $"127.0.0.1:{port}", "--interval", o.Interval }) psi.ArgumentList.Add(a);
            psi.Environment.Remove("LIBVIRT_DEFAULT_URI");
            foreach (var (k, v) in o.Env) psi.Environment[k] = v;
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null && log.Count < 10_000) log.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null && log.Count < 10_000) log.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var ready = ControllerBenchmark.WaitUntil(TimeSpan.FromSeconds(600),
                    () => ControllerBenchmark.Get($"http://127.0.0.1:{port}/readyz") == System.Net.HttpStatusCode.OK || process.HasExited);
                if (process.HasExited || ready is null) throw new InvalidOperationException("the controller did not become ready: " + string.Join(" | ", log.TakeLast(5)));
                figures.Add(new ControllerResult("mixed", n, "start → ready (first full pass)", clock.Elapsed.TotalSeconds, "s", [clock.Elapsed.TotalSeconds],
                    $"load average {MachineInfo.LoadAverageNow():0.00}"));
                Log($"ready after {clock.Elapsed.TotalSeconds:0.0} s");

                // Idle: after a warm-up of one --interval (the guest watch's backoff reaches its cap,
                // tiered compilation settles), CPU second by second over the next --interval. The
                // resync (a full read) is due --resync after the first (auto: 100 × its CPU time),
                // so it is reported apart, from the controller's metrics: its CPU and the period.
                var interval = IntervalSeconds(o.Interval);
                Thread.Sleep(TimeSpan.FromSeconds(interval));
                var wholeBefore = WholePasses(ControllerBenchmark.GetBody($"http://127.0.0.1:{port}/metrics"));
                var seconds = IdleSeconds(process.Id, (int)Math.Max(interval, o.IdleMinutes * 60));
                var idle = new Sample(seconds).Median;
                var average = seconds.Average();
                var load = $"load average {MachineInfo.LoadAverageNow():0.00}";
                var metrics = ControllerBenchmark.GetBody($"http://127.0.0.1:{port}/metrics");
                var fullCpu = Gauge(metrics, "reconciler_full_read_cpu_seconds");
                var period = Gauge(metrics, "reconciler_resync_period_seconds");
                var share = period > 0 ? fullCpu / period * 100 : double.NaN;
                // The long run: the window without its resyncs (the whole passes in it, idle, are the
                // resyncs; each counted at the last one's CPU), plus the resync's share. How many
                // resyncs fall in a window depends on where it starts (the first, cold, full read sets
                // a longer first period), so the window's own average may hold more or fewer than the share.
                var resyncs = WholePasses(metrics) - wholeBefore;
                var longRun = Math.Max(0, (seconds.Sum() - resyncs * fullCpu * 100) / seconds.Count) + share;
                var window = $"{seconds.Count} s from {interval} s after ready, {resyncs:0} resync(s) in it";
                figures.Add(new ControllerResult("mixed", n, "idle CPU, median second of the window (share of one core)", idle, "%", [idle], load));
                figures.Add(new ControllerResult("mixed", n, "idle CPU, average of the window (share of one core)", average, "%", seconds, $"{window}; {load}"));
                figures.Add(new ControllerResult("mixed", n, "CPU of the last full read (resync), with its trim", fullCpu, "s", [fullCpu], $"next due {period:0} s after it"));
                figures.Add(new ControllerResult("mixed", n, "the resync's share of one core (full read CPU ÷ period)", share, "%", [share], $"period {period:0} s"));
                figures.Add(new ControllerResult("mixed", n, "idle CPU in the long run", longRun, "%", [longRun],
                    $"the window's average without its {resyncs:0} resync(s) ({fullCpu:0.00} CPU-s each), + the resync's share"));
                Log($"idle (after {interval} s of warm-up): median second {idle:0.00} %, average {average:0.00} %; full read {fullCpu:0.00} CPU-s, next due {period:0} s after it "
                    + $"({share:0.00} % of a core); seconds above 5 %: " + string.Join(" ", seconds.Select((c, i) => (c, i)).Where(x => x.c > 5).Select(x => $"{x.i}s:{x.c:0}%")));
                var (rss, hwm) = ControllerBenchmark.Memory(process.Id);
                figures.Add(new ControllerResult("mixed", n, "RSS when idle", rss, "MiB", [rss], $"peak {hwm:0} MiB"));
                Log($"idle CPU {idle:0.00} %, RSS {rss:0} MiB (peak {hwm:0})");

                var file = Path.Combine(dir, "real-0000.yaml");
                var flip = 0;
                double FileChange()
                {
                    var (from, to, kib) = flip++ % 2 == 0 ? ("64MiB", "96MiB", 98304UL) : ("96MiB", "64MiB", 65536UL);
                    var text = File.ReadAllText(file);
                    var at = text.IndexOf("memory: " + from, StringComparison.Ordinal);
                    var edited = text[..at] + "memory: " + to + text[(at + ("memory: " + from).Length)..];
                    return ControllerBenchmark.WaitForDefinition(RealUri, names[0], kib, () => File.WriteAllText(file, edited))?.TotalSeconds ?? double.NaN;
                }
                double Drift() =>
                    ControllerBenchmark.WaitForDefinition(RealUri, names[1], 65536UL, () => MacroBenchmark.DriftOne(RealUri, names[1]))?.TotalSeconds ?? double.NaN;

                var fileRuns = new List<double>();
                for (var i = 0; i < 3 && !ct.IsCancellationRequested; i++)
                {
                    fileRuns.Add(FileChange());
                    Thread.Sleep(1500);
                }
                figures.Add(new ControllerResult("mixed", n, "file change → applied", new Sample(fileRuns).Median, "s", fileRuns, $"load average {MachineInfo.LoadAverageNow():0.00}"));
                var driftRuns = new List<double>();
                for (var i = 0; i < 3 && !ct.IsCancellationRequested; i++)
                {
                    driftRuns.Add(Drift());
                    Thread.Sleep(1500);
                }
                figures.Add(new ControllerResult("mixed", n, "out-of-band change → corrected", new Sample(driftRuns).Median, "s", driftRuns, $"load average {MachineInfo.LoadAverageNow():0.00}"));
                var (rss2, hwm2) = ControllerBenchmark.Memory(process.Id);
                figures.Add(new ControllerResult("mixed", n, "RSS after the changes", rss2, "MiB", [rss2], $"peak {hwm2:0} MiB"));
                Log($"file change → applied {string.Join(" / ", fileRuns.Select(s => $"{s * 1000:0} ms"))}; out-of-band → corrected {string.Join(" / ", driftRuns.Select(s => $"{s * 1000:0} ms"))}; RSS {rss2:0} MiB (peak {hwm2:0})");

                if (o.Soak > 0)
                {
                    Log($"soak: {o.Soak:0.#} min, a change every {o.ChangeEvery:0.#} s, RSS every 10 s");
                    var soak = Stopwatch.StartNew();
                    var nextSample = TimeSpan.Zero;
                    var nextChange = TimeSpan.FromSeconds(o.ChangeEvery);
                    var k = 0;
                    while (soak.Elapsed < TimeSpan.FromMinutes(o.Soak) && !ct.IsCancellationRequested && !process.HasExited)
                    {
                        if (soak.Elapsed >= nextSample)
                        {
                            var (r, _) = ControllerBenchmark.Memory(process.Id);
                            curve.Add(new RssSample(soak.Elapsed.TotalMinutes, r, MachineInfo.LoadAverageNow()));
                            nextSample += TimeSpan.FromSeconds(10);
                            if (curve.Count % 30 == 0) Log($"  {soak.Elapsed.TotalMinutes:0.0} min: RSS {r:0} MiB, load {MachineInfo.LoadAverageNow():0.00}");
                        }
                        if (soak.Elapsed >= nextChange)
                        {
                            soakChanges.Add(k++ % 2 == 0 ? FileChange() : Drift());
                            nextChange += TimeSpan.FromSeconds(o.ChangeEvery);
                        }
                        Thread.Sleep(200);
                    }
                    var (rss3, hwm3) = ControllerBenchmark.Memory(process.Id);
                    figures.Add(new ControllerResult("mixed", n, "RSS at the end of the soak", rss3, "MiB", [rss3], $"peak {hwm3:0} MiB"));
                }
            }
            finally
            {
                if (!process.HasExited)
                {
                    using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
                    if (!process.WaitForExit(30_000)) process.Kill(entireProcessTree: true);
                }
                ControllerBenchmark.ClosePoll();
                RawLibvirt.RemoveBenchDomains(RealUri, o.Prefix);
                if (o.Log is not null) File.WriteAllLines(o.Log, log);
            }
        }
        finally
        {
            if (ownWork)
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
        }

        double? growth = null;
        var after = curve.Where(s => s.Minutes >= o.Warmup).ToList();
        if (after.Count >= 12)
        {
            // The first minute after the warm-up against the last minute (medians of 6 samples each).
            var first = new Sample([.. after.Take(6).Select(s => s.RssMiB)]).Median;
            var last = new Sample([.. after.TakeLast(6).Select(s => s.RssMiB)]).Median;
            growth = (last - first) / first * 100;
        }
        var targets = Targets(o, figures, growth, domains);
        var result = new Result(machine.ToString(), DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), nodes, domains,
            o.TestNodes, o.TestDomains, o.RealDomains, o.Env, figures, curve, growth, soakChanges, targets);
        File.WriteAllText(o.Out, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine();
        foreach (var f in figures) Console.WriteLine($"{f.Metric}: {f.Value:0.###} {f.Unit} ({string.Join(", ", f.Runs.Select(r => r.ToString("0.###", CultureInfo.InvariantCulture)))}){(f.Note is null ? "" : "; " + f.Note)}");
        if (curve.Count > 0)
        {
            Console.WriteLine($"soak: {curve.Count} samples, RSS min {curve.Min(s => s.RssMiB):0} / max {curve.Max(s => s.RssMiB):0} MiB, growth after {o.Warmup:0.#} min warm-up {growth:0.0} %; "
                + $"changes {soakChanges.Count}, median {(soakChanges.Count == 0 ? double.NaN : new Sample(soakChanges).Median) * 1000:0} ms, max {soakChanges.DefaultIfEmpty().Max() * 1000:0} ms");
            Console.WriteLine("curve (minute: MiB): " + string.Join(", ", curve.Where((_, i) => i % 6 == 0).Select(s => $"{s.Minutes:0}: {s.RssMiB:0}")));
        }
        foreach (var t in targets) Console.WriteLine(t);
        Console.WriteLine($"load average at the end {MachineInfo.LoadAverageNow():0.00}");
        return 0;
    }

    private static List<string> Targets(Options o, List<ControllerResult> figures, double? growth, int domains)
    {
        ControllerResult? F(string metric) => figures.FirstOrDefault(f => f.Metric == metric);
        var targets = new List<string>();
        void Add(string target, ControllerResult? f, Func<double, bool> pass, string unit)
        {
            if (f is not null && !double.IsNaN(f.Value)) targets.Add($"{(pass(f.Value) ? "PASS" : "MISS")}: {target} — {f.Value:0.###} {unit}");
        }
        var big = domains >= 5000;
        Add($"controller, {domains:N0} domains: file change → applied ≤ {(big ? "1" : "0.5")} s", F("file change → applied"), v => v <= (big ? 1 : 0.5), "s");
        Add($"controller, {domains:N0} domains: out-of-band change → corrected ≤ 1 s", F("out-of-band change → corrected"), v => v <= 1, "s");
        Add($"controller, {domains:N0} domains: idle CPU ≈ 0 (≤ 1 %, median second)", F("idle CPU, median second of the window (share of one core)"), v => v <= 1, "%");
        Add($"controller, {domains:N0} domains: the resync's share of one core ≤ 1 %", F("the resync's share of one core (full read CPU ÷ period)"), v => v <= 1, "%");
        Add($"controller, {domains:N0} domains: idle CPU in the long run ≤ 2 % (the window without its resyncs, + the resync's share)", F("idle CPU in the long run"), v => v <= 2, "%");
        var limit = big ? 400e6 : 150e6;
        Add($"controller, {domains:N0} domains: RSS after the changes ≤ {limit / 1e6:0} MB", F("RSS after the changes"), v => v * 1024 * 1024 <= limit, "MiB");
        Add($"controller, {domains:N0} domains: RSS at the end of the soak ≤ {limit / 1e6:0} MB", F("RSS at the end of the soak"), v => v * 1024 * 1024 <= limit, "MiB");
        if (growth is { } g) targets.Add($"{(g <= 5 ? "PASS" : "MISS")}: RSS growth over the soak after {o.Warmup:0.#} min warm-up ≤ 5 % — {g:0.0} %");
        return targets;
    }

    /// <summary>The value of an unlabelled gauge in Prometheus text; NaN when it is not there.</summary>
    /// <summary>Whole passes so far: every pass (<c>reconciler_reconcile_total</c>, all results) less the targeted ones.</summary>
    private static double WholePasses(string metrics)
    {
        double all = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("reconciler_reconcile_total{", StringComparison.Ordinal) || line.StartsWith("reconciler_reconcile_total ", StringComparison.Ordinal))
            {
                all += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return all - Gauge(metrics, "reconciler_reconcile_targeted_total");
    }

    private static double Gauge(string metrics, string name)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal)) return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return double.NaN;
    }

    /// <summary>CPU of process <paramref name="pid"/> in each of the next <paramref name="count"/> seconds, as a share of one core (%).</summary>
    private static List<double> IdleSeconds(int pid, int count)
    {
        var shares = new List<double>(count);
        var clock = Stopwatch.StartNew();
        var cpu = ControllerBenchmark.CpuSeconds(pid);
        var at = clock.Elapsed;
        for (var i = 0; i < count; i++)
        {
            var next = TimeSpan.FromSeconds(i + 1) - clock.Elapsed;
            if (next > TimeSpan.Zero) Thread.Sleep(next);
            var (cpuNow, now) = (ControllerBenchmark.CpuSeconds(pid), clock.Elapsed);
            shares.Add((cpuNow - cpu) / (now - at).TotalSeconds * 100);
            (cpu, at) = (cpuNow, now);
        }
        return shares;
    }

    /// <summary>A duration such as <c>90s</c>, <c>1m</c> or <c>1h</c>, in whole seconds (at least 10).</summary>
    private static int IntervalSeconds(string text) =>
        Core.Model.MigrationTimeout.TryParseDuration(text, out var value)
            ? Math.Max(10, (int)Math.Ceiling(value.TotalSeconds))
            : throw new ArgumentException($"--interval {text}: not a duration (write 30s, 1m or 1h)");

    /// <summary>The spec directory: the test-driver estate (its nodes as test+unix URIs) and the real node with its domains, ten per file.</summary>
    private static string WriteSpecs(Options o, string work, CancellationToken ct)
    {
        string dir;
        var nodes = new StringBuilder();
        if (o.TestNodes > 0)
        {
            var estate = ScaleEstate.Write(Path.Combine(work, "estate"), o.TestNodes, o.TestDomains, ct);
            dir = estate.Specs;
            var path = Path.Combine(dir, "nodes.yaml");
            nodes.Append(File.ReadAllText(path).Replace("uri: \"test://", "uri: \"test+unix://", StringComparison.Ordinal)).Append("---\n");
        }
        else
        {
            dir = Path.Combine(work, "specs");
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
        }
        nodes.Append(CultureInfo.InvariantCulture, $"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: real}}\nspec: {{uri: \"{RealUri}\"}}\n");
        File.WriteAllText(Path.Combine(dir, "nodes.yaml"), nodes.ToString());
        var text = new StringBuilder();
        for (var i = 0; i < o.RealDomains; i++)
        {
            if (i % 10 != 0) text.Append("---\n");
            text.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: reconciler/v1
                kind: Domain
                metadata:
                  name: {o.Prefix}{i:D5}
                  labels: {"{"}bench: "true", group: g{i % 16}{"}"}
                spec:
                  node: real
                  state: stopped
                  vcpus: 1
                  memory: 64MiB
                  graphics: {"{"}type: none{"}"}
                  description: controller benchmark domain {i}

                """);
            if (i % 10 == 9 || i == o.RealDomains - 1)
            {
                File.WriteAllText(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"real-{i / 10:D4}.yaml")), text.ToString());
                text.Clear();
            }
        }
        return dir;
    }

    private static void Log(string what) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {what}");

    private static Options Parse(string[] args)
    {
        var o = new Options { Env = new Dictionary<string, string>(StringComparer.Ordinal) };
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next().Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "-h" or "--help": o = o with { Help = true }; break;
                case "--test-nodes": o = o with { TestNodes = Math.Max(0, Int()) }; break;
                case "--test-domains": o = o with { TestDomains = Math.Max(0, Int()) }; break;
                case "--real-domains": o = o with { RealDomains = Math.Max(2, Int()) }; break;
                case "--soak": o = o with { Soak = Double() }; break;
                case "--change-every": o = o with { ChangeEvery = Math.Max(1, Double()) }; break;
                case "--warmup-minutes": o = o with { Warmup = Double() }; break;
                case "--reconcile": o = o with { Reconcile = Path.GetFullPath(Next()) }; break;
                case "--work": o = o with { Work = Path.GetFullPath(Next()) }; break;
                case "--out": o = o with { Out = Next() }; break;
                case "--interval": o = o with { Interval = Next() }; break;
                case "--prefix": o = o with { Prefix = Next() }; break;
                case "--log": o = o with { Log = Path.GetFullPath(Next()) }; break;
                case "--idle-minutes": o = o with { IdleMinutes = Math.Max(0, Double()) }; break;
                case "--env":
                    var kv = Next().Split('=', 2);
                    if (kv.Length != 2) throw new ArgumentException("--env needs NAME=VALUE");
                    env[kv[0]] = kv[1];
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (o.TestNodes == 0) o = o with { TestDomains = 0 };
        return o with { Env = env };
    }
}
