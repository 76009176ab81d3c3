using System.Globalization;

namespace Reconciler.Benchmarks;

/// <summary>Command-line options of the macro benchmark.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: Reconciler.Benchmarks [--quick] [--uri URI|none] [--out FILE] [--sizes 100,1000]
                                     [--pure-sizes 100,1000,10000] [--reps N] [--reconcile PATH]
                                     [--work DIR] [--no-process] [--no-starts] [--no-controller] [--steps empty,apply,noop,drift]
               Reconciler.Benchmarks micro [--quick] [BenchmarkDotNet options]

          --quick        small and short: N=100 against libvirt, N=100,1000 for the pure parts, 3 repetitions
          --uri          the real node (default qemu:///system; 'none' to skip it). The test driver is always used.
          --out          JSON results (default bench-results.json)
          --sizes        N for the steps that talk to libvirt (default 100,1000)
          --pure-sizes   N for load+validate, render and the in-memory plan (default 100,1000,10000)
          --reps         timed repetitions per step; the median is reported (default 5)
          --reconcile    a built `reconcile` executable for the whole-process figures (default: build
                         src/Reconciler.Cli in Release into the work directory, as quickstart.sh does)
          --work         scratch directory for generated specs (default: a new temp directory)
          --no-controller  skip `reconcile run` (measured on the real node when src/Reconciler.Host exists)
          --controller-n   domains the controller manages (default 1000)
          --steps        only these libvirt steps (default all); without apply, the domains are defined raw, untimed
          --name-prefix  what every domain name of the run starts with (default bench-; another one keeps
                         two runs on one shared daemon apart)
        Every domain the run creates is named PREFIX* and is removed at the end (and at the start).
        """;

    public bool Help { get; init; }
    public bool Quick { get; init; }
    public string? RealUri { get; init; } = "qemu:///system";
    public string Out { get; init; } = "bench-results.json";
    public IReadOnlyList<int> Sizes { get; init; } = [100, 1000];
    public IReadOnlyList<int> PureSizes { get; init; } = [100, 1000, 10000];
    public int Reps { get; init; } = 5;
    public string? Reconcile { get; init; }
    public string? Work { get; init; }
    public bool Process { get; init; } = true;
    public bool Starts { get; init; } = true;
    public bool Controller { get; init; } = true;
    public int ControllerN { get; init; } = 1000;
    public string NamePrefix { get; init; } = "bench-";
    public IReadOnlySet<string> Steps { get; init; } = new HashSet<string> { "empty", "apply", "noop", "drift" };

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        var quick = args.Contains("--quick");
        if (quick) o = o with { Quick = true, Sizes = [100], PureSizes = [100, 1000], Reps = 3 };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick": break;
                case "-h" or "--help": o = o with { Help = true }; break;
                case "--uri":
                    var uri = Next();
                    o = o with { RealUri = uri is "none" or "" ? null : uri };
                    break;
                case "--out": o = o with { Out = Next() }; break;
                case "--sizes": o = o with { Sizes = Ints(Next()) }; break;
                case "--pure-sizes": o = o with { PureSizes = Ints(Next()) }; break;
                case "--reps": o = o with { Reps = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)) }; break;
                case "--reconcile": o = o with { Reconcile = Path.GetFullPath(Next()) }; break;
                case "--work": o = o with { Work = Path.GetFullPath(Next()) }; break;
                case "--no-process": o = o with { Process = false }; break;
                case "--no-starts": o = o with { Starts = false }; break;
                case "--no-controller": o = o with { Controller = false }; break;
                case "--controller-n": o = o with { ControllerN = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--name-prefix": o = o with { NamePrefix = Next() }; break;
                case "--steps": o = o with { Steps = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() }; break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        return o;
    }

    private static int[] Ints(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture))];
}

/// <summary>What the subcommands (<c>scale</c>, <c>controller</c>) share: parsing with usage and help, and the work directory.</summary>
internal static class SubCommand
{
    /// <summary>
    /// Parses <paramref name="args"/>; prints the usage and returns 1 on bad arguments, or prints it
    /// and returns 0 when help was asked for; null (with <paramref name="options"/>) when the command should run.
    /// </summary>
    public static int? Parse<T>(string[] args, Func<string[], T> parse, Func<T, bool> help, string usage, out T? options)
        where T : class
    {
        options = null;
        try
        {
            options = parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(usage);
            return 1;
        }
        if (!help(options)) return null;
        Console.WriteLine(usage);
        return 0;
    }

    /// <summary>The given work directory, or a new one under the temp directory named <paramref name="name"/>-PID (then owned: the caller deletes it).</summary>
    public static (string Work, bool Owned) Work(string? given, string name)
    {
        var work = given ?? Path.Combine(Path.GetTempPath(), $"{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        return (work, given is null);
    }
}
