using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.Libvirt;
using Reconciler.Rendering;

namespace Reconciler.Benchmarks;

/// <summary>
/// The macro benchmark: every step Reconciler takes, next to the raw libvirt calls the same job
/// cannot avoid, measured alternately in one run, on libvirt's test driver and on a real node.
/// </summary>
internal static class MacroBenchmark
{
    private const string TestUri = "test:///default";
    private static readonly ApplyOptions ApplyOptions = new(TimeSpan.FromSeconds(10), VerifyLive: false);

    public static async Task<int> RunAsync(BenchOptions o, CancellationToken ct)
    {
        SpecGenerator.Root = o.NamePrefix;
        var work = o.Work ?? Path.Combine(Path.GetTempPath(), $"reconciler-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        // The sandbox is chosen only when no URI is in the environment; our own lock directory keeps
        // other people's applies on the shared daemon from making ours wait.
        Environment.SetEnvironmentVariable("LIBVIRT_DEFAULT_URI", null);
        Environment.SetEnvironmentVariable("RECONCILER_LOCK_DIR", Path.Combine(work, "locks"));

        var real = o.RealUri;
        string? realSkipped = null;
        if (real is not null)
        {
            try
            {
                using var probe = LibvirtConnection.Open(real);
            }
            catch (LibvirtException e)
            {
                realSkipped = $"{real} unreachable: {e.Message}";
                Console.Error.WriteLine($"note: {realSkipped}; only the test driver is measured (start it with: bash .ci/setup-libvirt.sh)");
                real = null;
            }
        }

        var results = new RunResults
        {
            Machine = MachineInfo.Read(real),
            Started = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Settings = new Dictionary<string, string>
            {
                ["quick"] = o.Quick ? "yes" : "no",
                ["sizes"] = string.Join(",", o.Sizes),
                ["pureSizes"] = string.Join(",", o.PureSizes),
                ["reps"] = o.Reps.ToString(CultureInfo.InvariantCulture),
                ["realUri"] = real ?? "none",
                ["statistic"] = "median of the timed repetitions, raw and Reconciler alternating, after one warm-up each",
            },
        };
        if (realSkipped is not null) results.Notes.Add(realSkipped);
        Console.WriteLine($"Machine: {results.Machine}");
        Console.WriteLine($"Load average at start: {results.Machine.LoadAverage:0.00}. Work directory: {work}");

        var clock = Stopwatch.StartNew();
        // Partial results survive a crash or a kill: the JSON is rewritten after every section.
        void Checkpoint()
        {
            Evaluate(results, real, realSkipped);
            File.WriteAllText(o.Out, results.ToJson());
        }
        try
        {
            List<(string Label, string Path)>? reconcile = null;
            if (o.Process) reconcile = o.Reconcile is { } given ? [("given", given)] : BuildCli(work);

            Pure(o, work, results, ct);
            Checkpoint();

            // The test driver: in-process state shared by every connection of this process while
            // one stays open (the keeper).
            using (LibvirtConnection.Open(TestUri))
            {
                foreach (var n in o.Sizes) await Guarded($"test N={n}", results, () => LibvirtSteps(o, "test", TestUri, n, work, null, results, ct)).ConfigureAwait(false);
            }
            Checkpoint();
            if (reconcile is not null)
            {
                foreach (var n in o.Sizes) await Guarded($"sandbox N={n}", results, () => SandboxProcess(o, n, work, reconcile, results, ct)).ConfigureAwait(false);
                Checkpoint();
            }
            if (real is not null)
            {
                RawLibvirt.RemoveBenchDomains(real);
                try
                {
                    foreach (var n in o.Sizes)
                    {
                        await Guarded($"qemu N={n}", results, () => LibvirtSteps(o, "qemu", real, n, work, reconcile, results, ct)).ConfigureAwait(false);
                        Checkpoint();
                    }
                    if (o.Starts) await Guarded("qemu starts", results, () => Starts(o, real, work, results, ct)).ConfigureAwait(false);
                    Checkpoint();
                    if (o.Controller && reconcile is not null && HostExists())
                    {
                        var n = o.ControllerN;
                        Progress($"qemu N={n}: controller (reconcile run) as a child process");
                        await Guarded("controller", results, () =>
                        {
                            ControllerBenchmark.Run(o, real, n, work, reconcile[0].Path, results, ct);
                            return Task.CompletedTask;
                        }).ConfigureAwait(false);
                    }
                }
                finally
                {
                    try
                    {
                        var removed = RawLibvirt.RemoveBenchDomains(real);
                        if (removed > 0) Console.WriteLine($"cleanup: removed {removed} bench-* domain(s) from {real}");
                    }
                    catch (LibvirtException e)
                    {
                        Console.Error.WriteLine($"cleanup failed ({e.Message}); remove the bench-* domains by hand");
                    }
                }
            }
            if (reconcile is not null) StartupFloor(o, reconcile, results);
        }
        catch (OperationCanceledException e)
        {
            Console.Error.WriteLine(ct.IsCancellationRequested ? "cancelled; partial results follow" : $"unexpected cancellation: {e}");
            results.Notes.Add(ct.IsCancellationRequested ? "cancelled" : $"unexpected cancellation: {e.Message}");
        }

        Evaluate(results, real, realSkipped);
        results.Notes.Add($"run took {clock.Elapsed.TotalSeconds:0} s; load average at the end {MachineInfo.LoadAverageNow():0.00}");
        Console.WriteLine();
        Console.WriteLine(results.Table());
        foreach (var note in results.Notes) Console.WriteLine("note: " + note);
        await File.WriteAllTextAsync(o.Out, results.ToJson(), CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"JSON: {Path.GetFullPath(o.Out)}");
        if (o.Work is null)
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return 0;
    }

    /// <summary>Runs one section; a failure is reported and recorded, and the run goes on.</summary>
    private static async Task Guarded(string section, RunResults results, Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = $"{section} FAILED: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
            Console.Error.WriteLine(message);
            results.Notes.Add(message);
        }
    }

    // ---- pure parts: no libvirt -------------------------------------------------------------

    private static void Pure(BenchOptions o, string work, RunResults results, CancellationToken ct)
    {
        foreach (var n in o.PureSizes)
        {
            var dir = SpecGenerator.Write(Path.Combine(work, $"pure-{n}"), n, "p");
            var reps = n >= 10000 ? Math.Min(o.Reps, 3) : o.Reps;
            Progress($"pure N={n}: load+validate");
            var (rawLoad, recLoad) = Measure.Paired(reps, () => RawLibvirt.ParseYaml(dir), () => Load(dir, TestUri, n, ct), null, ct);
            results.Steps.Add(Step("pure", n, "load+validate", recLoad, rawLoad, "read files + YamlDotNet parse, no mapping or checks"));

            var loaded = Load(dir, TestUri, n, ct);
            var specs = loaded.Specs!;
            Progress($"pure N={n}: render");
            var template = RawLibvirt.TemplateOf(RenderAll(specs, "kvm")[0], specs.Domains[0].Name);
            var (rawRender, recRender) = Measure.Paired(reps,
                () =>
                {
                    foreach (var d in specs.Domains) RawLibvirt.FillTemplate(template, d.Name);
                },
                () => RenderAll(specs, "kvm"), null, ct);
            results.Steps.Add(Step("pure", n, "render", recRender, rawRender, "the same XML from a string template (name substituted)"));

            // The CPU side of a no-op plan: parse each live definition back and diff it. The live
            // XML is what this run renders (libvirt adds devices on define, so real XML is longer).
            var xmls = RenderAll(specs, "kvm");
            Progress($"pure N={n}: parse+plan (no-op, in memory)");
            var (rawParse, recPlan) = Measure.Paired(reps,
                () =>
                {
                    foreach (var x in xmls) XDocument.Parse(x);
                },
                () =>
                {
                    var plan = PlanInMemory(specs, xmls);
                    if (!plan.IsEmpty || plan.HasErrors) throw new InvalidOperationException("in-memory no-op plan is not empty");
                }, null, ct);
            results.Steps.Add(Step("pure", n, "parse+plan, no-op (in memory)", recPlan, rawParse, "XDocument.Parse of each live XML"));
            Directory.Delete(dir, recursive: true);
        }
    }

    private static LoadedSpecs Load(string dir, string? connect, int n, CancellationToken ct)
    {
        var loaded = Workspace.Load(dir, connect, ct);
        if (loaded.HasErrors || loaded.Specs!.Domains.Count != n)
        {
            throw new InvalidOperationException("generated specs did not load: " + string.Join("; ", loaded.Diagnostics));
        }
        return loaded;
    }

    /// <summary>What the applier does per domain before defining: owner record with the spec hash, then render.</summary>
    private static List<string> RenderAll(SpecSet specs, string type)
    {
        var xmls = new List<string>(specs.Domains.Count);
        foreach (var d in specs.Domains)
        {
            var owner = new OwnerRecord(d.Name, SpecHash.Compute(d), specs.Source, specs.Revision, d.Protect);
            xmls.Add(DomainRenderer.Render(d, new RenderOptions(type, owner)));
        }
        return xmls;
    }

    private static Plan PlanInMemory(SpecSet specs, List<string> xmls)
    {
        var domains = new List<LiveDomain>(xmls.Count);
        foreach (var x in xmls)
        {
            var parsed = DomainXmlParser.Parse(x);
            domains.Add(new LiveDomain(parsed.Name, parsed.Uuid ?? "", LiveRunState.Stopped, false, true, parsed.Owner, parsed.Spec, null, ""));
        }
        return Planner.Compute(specs, [new LiveNode("default", TestUri, "kvm", domains)], new PlanOptions());
    }

    // ---- steps against libvirt --------------------------------------------------------------

    private static async Task LibvirtSteps(BenchOptions o, string driver, string uri, int n, string work, List<(string Label, string Path)>? reconcile,
        RunResults results, CancellationToken ct)
    {
        var dir = SpecGenerator.Write(Path.Combine(work, $"{driver}-{n}"), n, driver[..1]);
        var loaded = Load(dir, uri, n, ct);
        var xmls = Operations.Render(loaded, null).Select(r => r.Xml).ToList();
        var names = loaded.Specs!.Domains.Select(d => d.Name).ToList();
        var heavyReps = n >= 1000 && driver != "test" ? Math.Min(o.Reps, 3) : o.Reps;
        RawLibvirt.RemoveBenchDomains(uri);
        var baseline = RawLibvirt.Read(uri);
        string Note() => baseline > 0 ? $"+{baseline} other domain(s) on the node" : "";

        if (o.Steps.Contains("empty"))
        {
            Progress($"{driver} N={n}: plan against an empty node");
            var (rawEmpty, recEmpty) = Measure.Paired(o.Reps, () => RawLibvirt.Read(uri), () =>
            {
                var plan = Plan(loaded, ct);
                if (plan.Changes.Count != n || plan.Changes.Any(c => c.Action != ChangeAction.Create)) Fail(plan, $"{n} creates");
            }, null, ct);
            results.Steps.Add(Step(driver, n, "plan against an empty node", recEmpty, rawEmpty, "open, list all, inactive XML + parse of each", Note()));
        }

        if (o.Steps.Contains("apply"))
        {
            Progress($"{driver} N={n}: apply of {n} creates");
            var (rawDefine, recApply) = Measure.Paired(heavyReps, () => RawLibvirt.Define(uri, xmls), () => Apply(loaded, n, ct),
                () => RawLibvirt.RemoveBenchDomains(uri), ct);
            results.Steps.Add(Step(driver, n, $"apply of {n} creates", recApply, rawDefine, "open, define each (same XML, validate flag)"));
            Apply(loaded, n, ct);
        }
        else
        {
            RawLibvirt.Define(uri, xmls);
        }

        if (o.Steps.Contains("noop"))
        {
            Progress($"{driver} N={n}: no-op plan");
            var (rawRead, recNoop) = Measure.Paired(o.Reps, () => RawLibvirt.Read(uri), () =>
            {
                var plan = Plan(loaded, ct);
                if (!plan.IsEmpty || plan.HasErrors) Fail(plan, "no changes");
            }, null, ct);
            results.Steps.Add(Step(driver, n, "no-op plan", recNoop, rawRead, "open, list all, inactive XML + parse of each", Note()));
        }

        if (reconcile is not null)
        {
            Progress($"{driver} N={n}: whole-process reconcile plan");
            ProcessPlan(o, driver, n, reconcile, [Path.Combine(work, $"{driver}-{n}"), "--connect", uri], results);
        }

        if (o.Steps.Contains("drift"))
        {
            // Drift: one domain's memory changed behind our back.
            DriftOne(uri, names[0]);
            Progress($"{driver} N={n}: one-field-drift plan");
            var (rawRead2, recDrift) = Measure.Paired(o.Reps, () => RawLibvirt.Read(uri), () =>
            {
                var plan = Plan(loaded, ct);
                if (plan.Changes.Count != 1 || plan.Changes[0].Action != ChangeAction.Update) Fail(plan, "one update");
            }, null, ct);
            results.Steps.Add(Step(driver, n, "one-field-drift plan", recDrift, rawRead2, "open, list all, inactive XML + parse of each", Note()));
        }

        RawLibvirt.RemoveBenchDomains(uri);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static Plan Plan(LoadedSpecs loaded, CancellationToken ct) =>
        Operations.PlanAsync(loaded, adopt: false, ct).GetAwaiter().GetResult();

    private static void Apply(LoadedSpecs loaded, int expected, CancellationToken ct)
    {
        var report = Operations.PlanAndApplyAsync(loaded, adopt: false, ApplyOptions, TimeSpan.FromSeconds(60), _ => true, TextWriter.Null, ct)
            .GetAwaiter().GetResult();
        if (report.Result is not { Succeeded: true } || report.Plan.Changes.Count != expected)
        {
            Fail(report.Plan, $"{expected} successful steps; got {string.Join("; ", report.Result?.Steps.Where(s => s.Status != StepStatus.Done).Select(s => s.Message) ?? [])}");
        }
    }

    /// <summary>Redefines <paramref name="name"/> with half the memory (32 MiB), as someone with virsh edit would.</summary>
    internal static void DriftOne(string uri, string name)
    {
        using var connection = LibvirtConnection.Open(uri);
        using var domain = connection.LookupDomainByName(name) ?? throw new InvalidOperationException($"{name} is missing");
        var xml = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive));
        foreach (var element in new[] { "memory", "currentMemory" })
        {
            var e = xml.Root!.Element(element)!;
            e.SetAttributeValue("unit", "KiB");
            e.Value = "32768";
        }
        using var _ = connection.DefineDomain(xml.ToString(), validate: true);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(Plan plan, string expected) =>
        throw new InvalidOperationException($"expected {expected}; the plan has {plan.Changes.Count} change(s): "
            + string.Join("; ", plan.Changes.Take(5).Select(c => $"{c.Action} {c.Name} ({c.Reason})"))
            + (plan.Diagnostics.Count > 0 ? " diagnostics: " + string.Join("; ", plan.Diagnostics.Take(5)) : ""));

    // ---- whole process ----------------------------------------------------------------------

    /// <summary>The sandbox (test driver kept in DIR/.reconcile): apply in-process, then time `reconcile plan DIR`.</summary>
    private static async Task SandboxProcess(BenchOptions o, int n, string work, List<(string Label, string Path)> reconcile, RunResults results, CancellationToken ct)
    {
        var dir = SpecGenerator.Write(Path.Combine(work, $"sandbox-{n}"), n, "s");
        var loaded = Load(dir, null, n, ct);
        Progress($"sandbox N={n}: apply (writes the node file), then whole-process reconcile plan");
        var seconds = Measure.Once(() => Apply(loaded, n, ct));
        results.Steps.Add(new StepResult("sandbox", n, $"apply of {n} creates incl. node-file save", seconds, null, "—", [seconds], null, "one run"));
        ProcessPlan(o, "sandbox", n, reconcile, [dir], results);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static void ProcessPlan(BenchOptions o, string driver, int n, List<(string Label, string Path)> reconcile, string[] args, RunResults results)
    {
        string[] full = ["plan", .. args];
        var env = new Dictionary<string, string?> { ["LIBVIRT_DEFAULT_URI"] = null, ["NO_COLOR"] = "1" };
        foreach (var (label, exe) in reconcile)
        {
            ProcessProbe.Start(exe, full, env); // warm the page cache
            var runs = new List<ProcessProbe.Run>();
            for (var i = 0; i < o.Reps; i++) runs.Add(ProcessProbe.Start(exe, full, env));
            var last = runs[^1];
            var ok = last.ExitCode == 0 && last.Stdout.Contains("No changes.", StringComparison.Ordinal);
            var sample = new Sample(runs.Select(r => r.WallSeconds).ToList());
            results.Processes.Add(new ProcessResult(driver, n, $"reconcile plan{(driver == "sandbox" ? " DIR" : " DIR --connect URI")}", label, sample.Median,
                runs.Max(r => r.PeakRssMiB), Cpu(runs), sample.Seconds, last.ExitCode,
                ok ? null : "NOT a no-op: " + (last.Stderr + last.Stdout).Trim().Split('\n').LastOrDefault()));
        }
    }

    /// <summary>The fixed cost of starting the executable at all.</summary>
    private static void StartupFloor(BenchOptions o, List<(string Label, string Path)> reconcile, RunResults results)
    {
        foreach (var (label, exe) in reconcile)
        {
            ProcessProbe.Start(exe, ["--version"]);
            var runs = Enumerable.Range(0, o.Reps).Select(_ => ProcessProbe.Start(exe, ["--version"])).ToList();
            var sample = new Sample(runs.Select(r => r.WallSeconds).ToList());
            results.Processes.Add(new ProcessResult("—", 0, "reconcile --version", label, sample.Median, runs.Max(r => r.PeakRssMiB), Cpu(runs), sample.Seconds, runs[^1].ExitCode));
        }
    }

    private static double? Cpu(List<ProcessProbe.Run> runs) =>
        runs.All(r => r.CpuSeconds is not null) ? new Sample(runs.Select(r => r.CpuSeconds!.Value).ToList()).Median : null;

    /// <summary>
    /// Builds src/Reconciler.Cli twice: <c>dotnet build -c Release</c> as quickstart.sh does, and
    /// <c>dotnet publish -c Release -p:PublishReadyToRun=true</c> (precompiled, for this machine's RID).
    /// </summary>
    private static List<(string Label, string Path)> BuildCli(string work)
    {
        var root = FindRepoRoot();
        var project = Path.Combine(root, "src", "Reconciler.Cli");
        var build = Path.Combine(work, "reconcile-build");
        var publish = Path.Combine(work, "reconcile-r2r");
        Progress($"building src/Reconciler.Cli: dotnet build -c Release, and dotnet publish -c Release -p:PublishReadyToRun=true");
        Dotnet(["build", project, "-c", "Release", "-o", build, "-nologo", "-v", "quiet"]);
        Dotnet(["publish", project, "-c", "Release", "-p:PublishReadyToRun=true", "-o", publish, "-nologo", "-v", "quiet"]);
        return [("publish, ReadyToRun", Path.Combine(publish, "reconcile")), ("dotnet build", Path.Combine(build, "reconcile"))];
    }

    private static void Dotnet(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dotnet {args[0]} failed: {stdout.Result}{stderr}");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Reconciler.sln"))) return dir.FullName;
        }
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Reconciler.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find Reconciler.sln above the program or the current directory; pass --reconcile PATH");
    }

    // ---- parallel starts --------------------------------------------------------------------

    private static async Task Starts(BenchOptions o, string uri, string work, RunResults results, CancellationToken ct)
    {
        const int n = 10;
        var dir = SpecGenerator.Write(Path.Combine(work, "starts"), n, "start");
        var stopped = Load(dir, uri, n, ct);
        Apply(stopped, n, ct);
        var specs = stopped.Specs!;
        var running = stopped with { Specs = specs with { Domains = [.. specs.Domains.Select(d => d with { State = PowerState.Running })] } };
        var names = specs.Domains.Select(d => d.Name).ToList();
        var reps = Math.Min(o.Reps, 3);
        void Reset() => RawLibvirt.DestroyAll(uri, names);

        // Starting a QEMU process takes seconds here: no warm-up round (nothing to warm that matters
        // next to that), and the ways alternate. The floor apply is judged against: the raw read a
        // plan makes (list + inactive XML of each) and then every start at once, on one connection
        // (the daemon works on max_client_requests of them at a time, as it does for apply's).
        Progress($"qemu: {n} domain starts: raw sequential, reconcile apply, raw read + all at once, raw all at once");
        void AllAtOnce(bool read)
        {
            if (read) RawLibvirt.Read(uri);
            using var connection = LibvirtConnection.Open(uri);
            RawRemote.Concurrently(n, n, i =>
            {
                using var domain = connection.LookupDomainByName(names[i])!;
                domain.Create();
            });
        }
        var ways = new (List<double> Times, Action Run)[]
        {
            ([], () => RawLibvirt.StartSequentially(uri, names)),
            ([], () => Apply(running, n, ct)),
            ([], () => AllAtOnce(read: true)),
            ([], () => AllAtOnce(read: false)),
        };
        for (var rep = 0; rep < reps; rep++)
        {
            for (var k = 0; k < ways.Length; k++)
            {
                ct.ThrowIfCancellationRequested();
                var way = ways[(k + rep) % ways.Length]; // rotate who goes first
                way.Times.Add(Measure.Once(way.Run));
                Reset();
            }
        }
        var (rawSeq, recApply, readAll, all) = (new Sample(ways[0].Times), new Sample(ways[1].Times), new Sample(ways[2].Times), new Sample(ways[3].Times));
        results.Steps.Add(Step("qemu", n, $"apply of {n} starts", recApply, rawSeq, "look up and start each, one after the other"));
        results.Steps.Add(Step("qemu", n, $"{n} raw starts all at once after the raw read", readAll, rawSeq,
            "look up and start each, one after the other"));
        results.Steps.Add(Step("qemu", n, $"{n} raw starts all at once", all, rawSeq,
            "look up and start each, one after the other"));
        RawLibvirt.RemoveBenchDomains(uri);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    // ---- verdicts ---------------------------------------------------------------------------

    private static void Evaluate(RunResults results, string? real, string? realSkipped)
    {
        results.Targets.Clear();
        results.Scaling.Clear();
        StepResult? Find(string driver, int n, string step) =>
            results.Steps.FirstOrDefault(s => s.Driver == driver && s.N == n && s.Step == step);
        string Ratio(StepResult s) => $"{RunResults.Ms(s.ReconcilerSeconds)} vs raw {RunResults.Ms(s.RawSeconds ?? 0)} = {s.Ratio:0.00}×";
        var notReal = realSkipped ?? "not run (--uri none)";

        foreach (var driver in new[] { "test", "qemu" })
        {
            var noop = Find(driver, 1000, "no-op plan");
            results.Targets.Add(noop is null
                ? new TargetResult($"no-op plan of 1,000 domains ≤ 2× raw read ({driver})", "not measured", driver == "qemu" && real is null ? notReal : "N=1,000 not in --sizes")
                : new TargetResult($"no-op plan of 1,000 domains ≤ 2× raw read ({driver})", noop.Ratio <= 2 ? "PASS" : "MISS", Ratio(noop)));
        }
        foreach (var driver in new[] { "test", "qemu" })
        {
            var apply = Find(driver, 100, "apply of 100 creates");
            results.Targets.Add(apply is null
                ? new TargetResult($"apply of 100 creates ≤ 1.3× raw define ({driver})", "not measured", driver == "qemu" && real is null ? notReal : "N=100 not in --sizes")
                : new TargetResult($"apply of 100 creates ≤ 1.3× raw define ({driver})", apply.Ratio <= 1.3 ? "PASS" : "MISS", Ratio(apply)));
        }
        foreach (var driver in new[] { "sandbox", "qemu" })
        {
            var p = results.Processes.FirstOrDefault(x => x.Driver == driver && x.N == 100);
            var others = string.Concat(results.Processes.Where(x => x.Driver == driver && x.N == 100 && x != p)
                .Select(x => $"; {x.Build}: {RunResults.Ms(x.WallSeconds)}"));
            results.Targets.Add(p is null
                ? new TargetResult($"whole-process `reconcile plan` of 100 unchanged domains ≤ 0.5 s ({driver})", "not measured", driver == "qemu" && real is null ? notReal : "not run")
                : new TargetResult($"whole-process `reconcile plan` of 100 unchanged domains ≤ 0.5 s ({driver})",
                    p.WallSeconds <= 0.5 && p.Note is null ? "PASS" : "MISS", $"{p.Build}: {RunResults.Ms(p.WallSeconds)}, peak RSS {p.PeakRssMiB:0} MiB{others}"));
        }
        // Apply's parallel starts against the same calls made all at once in the same run (the
        // machine's own floor); the ratio to sequential raw starts is information only (it measures
        // how many QEMU starts this machine runs side by side, not Reconciler).
        var starts = Find("qemu", 10, "apply of 10 starts");
        var allAtOnce = Find("qemu", 10, "10 raw starts all at once after the raw read");
        const string startsTarget = "apply's 10 parallel starts ≤ 1.1× the raw parallel floor (raw read, then the same starts all at once; same run) (qemu)";
        results.Targets.Add(starts is null || allAtOnce is null
            ? new TargetResult(startsTarget, "not measured", real is null ? notReal : "--no-starts")
            : new TargetResult(startsTarget, starts.ReconcilerSeconds <= 1.1 * allAtOnce.ReconcilerSeconds ? "PASS" : "MISS",
                $"{RunResults.Ms(starts.ReconcilerSeconds)} vs all at once {RunResults.Ms(allAtOnce.ReconcilerSeconds)} = {starts.ReconcilerSeconds / allAtOnce.ReconcilerSeconds:0.00}×"
                + $"; information: {starts.Ratio:0.00}× sequential raw starts ({RunResults.Ms(starts.RawSeconds ?? 0)})"));
        ControllerResult? C(string metric) => results.Controller.FirstOrDefault(c => c.Metric == metric);
        var why = !HostExists() ? "controller not yet built" : real is null ? notReal : "not run (--no-controller, --no-process, or it failed: see the notes)";
        void Controller(string target, ControllerResult? c, Func<ControllerResult, bool> pass, Func<ControllerResult, string> text) =>
            results.Targets.Add(c is null || double.IsNaN(c.Value)
                ? new TargetResult(target, "not measured", c is null ? why : "timed out")
                : new TargetResult(target + $" ({c.Driver}, {c.N:N0} domains)", pass(c) ? "PASS" : "MISS", text(c)));
        Controller("controller: file change → applied ≤ 0.5 s", C("file change → applied"), c => c.Value <= 0.5,
            c => $"{RunResults.Ms(c.Value)} (runs: {string.Join(", ", c.Runs.Select(RunResults.Ms))})");
        Controller("controller: out-of-band change → corrected ≤ 1 s", C("out-of-band change → corrected"), c => c.Value <= 1,
            c => $"{RunResults.Ms(c.Value)} (runs: {string.Join(", ", c.Runs.Select(RunResults.Ms))})");
        Controller("controller: idle CPU ≈ 0", C("idle CPU (10 s, share of one core)"), c => c.Value <= 1,
            c => $"{c.Value:0.00}% of one core over 10 s");
        var without = C("CPU with 3 passes in 10 s, no dashboard");
        Controller("dashboard: an open dashboard adds ≤ 2 % CPU", C("CPU with 3 passes in 10 s, a dashboard open"),
            c => without is not null && c.Value - without.Value <= 2, c => $"{c.Value:0.00}% of one core with it open, {without?.Value:0.00}% without; {c.Note}");
        Controller("dashboard: HTML of every resource ≤ 100 ms", C("dashboard HTML, /resources (all rows)"), c => c.Value <= 0.1,
            c => $"{RunResults.Ms(c.Value)} (runs: {string.Join(", ", c.Runs.Select(RunResults.Ms))})");
        Controller("controller: RSS ≤ 150 MB", C("RSS after the changes") ?? C("RSS when idle"), c => c.Value * 1024 * 1024 <= 150e6,
            c => $"{c.Value:0} MiB ({c.Value * 1024 * 1024 / 1e6:0} MB), {c.Note}");

        foreach (var series in results.Steps.Where(s => s.N > 10).GroupBy(s => (s.Driver, Step: s.Step.Replace(s.N.ToString(CultureInfo.InvariantCulture), "N", StringComparison.Ordinal))))
        {
            var points = series.OrderBy(s => s.N).ToList();
            for (var i = 1; i < points.Count; i++)
            {
                var (a, b) = (points[i - 1], points[i]);
                var exponent = Math.Log(b.ReconcilerSeconds / a.ReconcilerSeconds) / Math.Log((double)b.N / a.N);
                double? raw = a.RawSeconds is > 0 && b.RawSeconds is > 0
                    ? Math.Log(b.RawSeconds.Value / a.RawSeconds.Value) / Math.Log((double)b.N / a.N) : null;
                // Growth is ours only where it outgrows the raw calls' own growth (libvirt's define
                // slows with the number of domains already defined, for example).
                var verdict = exponent <= 1.15 ? "linear or better"
                    : raw is { } r && exponent <= r + 0.1 ? "as raw libvirt (its own growth)"
                    : "SUPER-LINEAR";
                results.Scaling.Add(new ScalingResult(series.Key.Driver, series.Key.Step, a.N, b.N, a.ReconcilerSeconds, b.ReconcilerSeconds, exponent, raw, verdict));
            }
        }
    }

    private static bool HostExists() =>
        FindRepoRootOrNull() is { } root && Directory.Exists(Path.Combine(root, "src", "Reconciler.Host"));

    private static string? FindRepoRootOrNull()
    {
        try
        {
            return FindRepoRoot();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static StepResult Step(string driver, int n, string step, Sample reconciler, Sample raw, string rawText, string? note = null) =>
        new(driver, n, step, reconciler.Median, raw.Median, rawText, reconciler.Seconds, raw.Seconds, string.IsNullOrEmpty(note) ? null : note);

    private static void Progress(string what) =>
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {what}");
}
