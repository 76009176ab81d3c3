using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Reconciler.Benchmarks;

/// <summary>
/// <c>Reconciler.Benchmarks scale</c>: the whole-process <c>reconcile plan</c> of the many-nodes
/// estate (<see cref="ScaleEstate"/>: 50 test-driver node files, 10,000 owned domains in sync),
/// timed as a child process with its CPU time and peak RSS, against a ratio to the raw in-process floor of the same run (≤ 1.3×) and a peak RSS (≤ 200 MB). Every run
/// is checked to be a no-op (exit 0 with --detailed-exitcode); a run that is not counts as a failure.
/// </summary>
internal static class ScaleBenchmark
{
    public const string Usage = """
        usage: Reconciler.Benchmarks scale [--nodes 50] [--domains 10000] [--reps 5] [--reconcile PATH]
                                           [--work DIR] [--out FILE] [--target-ratio 1.3] [--target-rss-mb 200]

          --nodes, --domains  the estate: test-driver node files and owned domains spread over them
          --reps              timed runs of `reconcile plan DIR` (median reported, after one untimed warm-up)
          --reconcile         a built `reconcile` executable (default: dotnet publish -c Release
                              -p:PublishReadyToRun=true of src/Reconciler.Cli into the work directory)
          --work              scratch directory (default: a new temp directory, deleted afterwards)
          --out               JSON results (default bench-scale.json)
          --target-ratio      the target: median wall time ≤ this × the raw in-process floor (open + list + inactive XML + parse) of the same run (default 1.3)
          --target-rss-mb     and the peak RSS of every run ≤ this many MB (default 200)
        """;

    private sealed record Options(int Nodes = 50, int Domains = 10_000, int Reps = 5, string? Reconcile = null, string? Work = null,
        string Out = "bench-scale.json", double Target = 1.3, double RssTargetMB = 200, bool Help = false);

    private sealed record Result(string Machine, string Started, int Nodes, int Domains, string Build, double WallSeconds, double? CpuSeconds,
        double PeakRssMiB, IReadOnlyList<double> Runs, double TargetRatio, double RssTargetMB, string Status, double EstateSeconds,
        double RawOpenSeconds, double RawReadSeconds, double RawReadYamlSeconds, double YamlSeconds);

    public static int Run(string[] args, CancellationToken ct)
    {
        if (SubCommand.Parse(args, Parse, o => o.Help, Usage, out var parsed) is { } exit) return exit;
        var o = parsed!;
        var (work, ownWork) = SubCommand.Work(o.Work, "reconciler-scale");
        try
        {
            var machine = MachineInfo.Read(null);
            Console.WriteLine($"Machine: {machine}");
            var (build, exe) = o.Reconcile is { } given ? ("given", given) : ("publish, ReadyToRun", Publish(work));
            Console.WriteLine($"writing the estate: {o.Nodes} test-driver node files, {o.Domains:N0} domains");
            var clock = Stopwatch.StartNew();
            var estate = ScaleEstate.Write(Path.Combine(work, "estate"), o.Nodes, o.Domains, ct);
            var estateSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"  written in {estateSeconds:0.0} s; timing `reconcile plan {estate.Specs} --detailed-exitcode` × {o.Reps}");

            string[] planArgs = ["plan", estate.Specs, "--detailed-exitcode"];
            var env = new Dictionary<string, string?> { ["LIBVIRT_DEFAULT_URI"] = null, ["NO_COLOR"] = "1" };
            Check(ProcessProbe.Start(exe, planArgs, env)); // warm-up: page cache, no JIT cache to warm
            var runs = new List<ProcessProbe.Run>();
            for (var i = 0; i < o.Reps && !ct.IsCancellationRequested; i++)
            {
                var run = Check(ProcessProbe.Start(exe, planArgs, env));
                Console.WriteLine($"  run {i + 1}: {run.WallSeconds * 1000:0} ms wall, {(run.CpuSeconds is { } c ? $"{c * 1000:0} ms CPU" : "CPU ?")}, peak RSS {run.PeakRssMiB:0} MiB");
                runs.Add(run);
            }
            if (runs.Count == 0) return 1;
            // The floor libvirt itself sets, in this (warm) process: every node file opened (the test
            // driver parses it), then listed with each domain's inactive XML fetched and parsed, the
            // nodes side by side on all cores. No process start, no specs, no plan.
            var uris = Enumerable.Range(0, o.Nodes).Select(n => "test://" + estate.NodeFile(n)).ToList();
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };
            double Floor(Action<string> each)
            {
                Measure.Once(() => Parallel.ForEach(uris, parallel, each));
                return new Sample([.. Enumerable.Range(0, o.Reps).Select(_ => Measure.Once(() => Parallel.ForEach(uris, parallel, each)))]).Median;
            }
            var rawOpen = Floor(uri => { using var c = Reconciler.Libvirt.LibvirtConnection.Open(uri); });
            var rawRead = Floor(uri => RawLibvirt.Read(uri));
            Console.WriteLine($"  raw floor in-process: open all {rawOpen * 1000:0} ms, open + list + inactive XML + parse of all {rawRead * 1000:0} ms");
            // Information, not the target: the floor with what any loader on this stack must also do
            // beside it — YamlDotNet's document model of every spec file, on one more thread, as the
            // plan loads its specs while its nodes are read — and that parse alone.
            Measure.Once(() => RawLibvirt.ParseYaml(estate.Specs));
            var yaml = new Sample([.. Enumerable.Range(0, o.Reps).Select(_ => Measure.Once(() => RawLibvirt.ParseYaml(estate.Specs)))]).Median;
            var rawReadYaml = Floor(uri =>
            {
                // One of the node reads carries the YAML beside it, so the parse overlaps the reads as in the plan.
                var beside = uri == uris[0] ? Task.Run(() => RawLibvirt.ParseYaml(estate.Specs), ct) : null;
                RawLibvirt.Read(uri);
                beside?.GetAwaiter().GetResult();
            });
            Console.WriteLine($"  YamlDotNet's parse of the spec files {yaml * 1000:0} ms; the read floor with it beside {rawReadYaml * 1000:0} ms");
            var wall = new Sample(runs.Select(r => r.WallSeconds).ToList());
            double? cpu = runs.All(r => r.CpuSeconds is not null) ? new Sample(runs.Select(r => r.CpuSeconds!.Value).ToList()).Median : null;
            // A ratio to the floor measured in the same run, so that the verdict measures us, not the machine.
            var peak = runs.Max(r => r.PeakRssMiB);
            var status = wall.Median <= o.Target * rawRead && peak * 1024 * 1024 <= o.RssTargetMB * 1e6 ? "PASS" : "MISS";
            var result = new Result(machine.ToString(), DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                o.Nodes, o.Domains, build, wall.Median, cpu, peak, wall.Seconds, o.Target, o.RssTargetMB, status, estateSeconds,
                rawOpen, rawRead, rawReadYaml, yaml);
            File.WriteAllText(o.Out, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            Console.WriteLine();
            Console.WriteLine(Table(result, machine.LoadAverage));
            return 0;
        }
        finally
        {
            if (ownWork)
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
        }
    }

    /// <summary>Throws unless the run was a no-op plan (exit 0 with --detailed-exitcode).</summary>
    private static ProcessProbe.Run Check(ProcessProbe.Run run) =>
        run.ExitCode == 0 ? run
            : throw new InvalidOperationException($"`reconcile plan` of the estate was not a no-op (exit {run.ExitCode}): "
                + string.Join('\n', (run.Stderr + run.Stdout).Split('\n').Take(20)));

    private static string Table(Result r, double loadAverage)
    {
        var s = new StringBuilder();
        s.AppendLine("| nodes | domains | whole process | built with | wall (median) | CPU (median) | peak RSS | runs |");
        s.AppendLine("| ---: | ---: | --- | --- | ---: | ---: | ---: | --- |");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Nodes} | {r.Domains:N0} | `reconcile plan DIR` (no-op) | {r.Build} | {RunResults.Ms(r.WallSeconds)} | {(r.CpuSeconds is { } c ? RunResults.Ms(c) : "—")} | {r.PeakRssMiB:0} MiB | {string.Join(", ", r.Runs.Select(RunResults.Ms))} |");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Nodes} | {r.Domains:N0} | raw floor, in-process: open every node file | — | {RunResults.Ms(r.RawOpenSeconds)} | — | — | {Environment.ProcessorCount} at a time |");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Nodes} | {r.Domains:N0} | raw floor, in-process: open + list + inactive XML + XDocument.Parse | — | {RunResults.Ms(r.RawReadSeconds)} | — | — | {Environment.ProcessorCount} at a time |");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Nodes} | {r.Domains:N0} | information: YamlDotNet's document model of the spec files, in-process | — | {RunResults.Ms(r.YamlSeconds)} | — | — | 1 thread |");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Nodes} | {r.Domains:N0} | information: the raw read floor with that YAML parse beside it | — | {RunResults.Ms(r.RawReadYamlSeconds)} | — | — | {Environment.ProcessorCount} + 1 threads |");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Status}: whole-process no-op `reconcile plan` of {r.Domains:N0} domains on {r.Nodes} nodes ≤ {r.TargetRatio:0.0#}× the raw floor, peak RSS ≤ {r.RssTargetMB:0} MB — {RunResults.Ms(r.WallSeconds)} = {r.WallSeconds / r.RawReadSeconds:0.00}× {RunResults.Ms(r.RawReadSeconds)}, peak RSS {r.PeakRssMiB * 1024 * 1024 / 1e6:0} MB (load average {loadAverage:0.00} at start); information: {r.WallSeconds / r.RawReadYamlSeconds:0.00}× the read floor with the YAML parse beside it");
        return s.ToString();
    }

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next().Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "-h" or "--help" => o with { Help = true },
                "--nodes" => o with { Nodes = Math.Max(1, Int()) },
                "--domains" => o with { Domains = Math.Max(0, Int()) },
                "--reps" => o with { Reps = Math.Max(1, Int()) },
                "--reconcile" => o with { Reconcile = Path.GetFullPath(Next()) },
                "--work" => o with { Work = Path.GetFullPath(Next()) },
                "--out" => o with { Out = Next() },
                "--target-ratio" => o with { Target = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--target-rss-mb" => o with { RssTargetMB = double.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }
        return o;
    }

    /// <summary>Publishes src/Reconciler.Cli ReadyToRun into the work directory; returns the executable.</summary>
    internal static string Publish(string work)
    {
        var root = RepoRoot();
        var output = Path.Combine(work, "reconcile-r2r");
        Console.WriteLine("building src/Reconciler.Cli: dotnet publish -c Release -p:PublishReadyToRun=true");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "publish", Path.Combine(root, "src", "Reconciler.Cli"), "-c", "Release", "-p:PublishReadyToRun=true", "-o", output, "-nologo", "-v", "quiet" })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed: {stdout.Result}{stderr}");
        return Path.Combine(output, "reconcile");
    }

    private static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Reconciler.sln"))) return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find Reconciler.sln above the program or the current directory; pass --reconcile PATH");
    }
}
