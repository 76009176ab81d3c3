using System.Runtime.InteropServices;
using System.Text;
using CsCheck;
using Reconciler.Core.Diagnostics;
using Reconciler.Specs.Kinds;
using Reconciler.Tests.Shared;
using Xunit.Abstractions;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>
/// Random mutations of the example specs (examples/*, every kind's reference example, the
/// robustness tests' file) given to <see cref="SpecLoader.LoadFiles"/>: never an exception, always
/// a valid load or located diagnostics (file and line; a hint; the field for the errors about a
/// field), and each input loaded within 1 s of CPU time (a hang detector: a runaway loop or an
/// alias bomb fails the test; a load that blocks fails it after 30 s of wall-clock time).
/// </summary>
public sealed class SpecLoaderFuzzTests(ITestOutputHelper output)
{
    /// <summary>Inputs per CI run: about 2 ms of CPU each, so 10–15 s on an idle 2-core machine (RECONCILER_FUZZ_ITER / _SECONDS change it).</summary>
    private const long CiIterations = 10_000;

    private static readonly TimeSpan CpuLimit = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    /// <summary>A spec source: its files (relative path, text), as a Git tree would give them.</summary>
    private sealed record Source(string Origin, IReadOnlyList<(string Path, string Text)> Files);

    private static readonly Lazy<IReadOnlyList<Source>> Seeds = new(() =>
    {
        var seeds = new List<Source>();
        var examples = Path.Combine(T.RepoRoot(), "examples");
        foreach (var dir in Directory.GetDirectories(examples).Order(StringComparer.Ordinal))
        {
            var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)
                .Select(f => (Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllText(f)))
                .ToList();
            // Only spec directories (examples/github-actions holds a workflow file).
            if (!files.Any(f => SpecLoader.IsSpecFile(f.Item1) && f.Item2.Contains("apiVersion: reconciler/v1", StringComparison.Ordinal))) continue;
            // A base image the example names but does not ship (the user downloads it) is replaced by the absolute
            // path of a file that exists (the spec file itself): a base image is read where Reconciler runs.
            foreach (var d in SpecLoader.LoadFiles("seed", files).Diagnostics.Where(d => d.Code == InvalidPath))
            {
                if (System.Text.RegularExpressions.Regex.Match(d.Message, "base image '([^']+)' does not exist") is { Success: true } m)
                {
                    var i = files.FindIndex(f => f.Item1 == d.Location?.File);
                    files[i] = (files[i].Item1, files[i].Item2.Replace(m.Groups[1].Value, Path.Combine(dir, files[i].Item1), StringComparison.Ordinal));
                }
            }
            seeds.Add(new Source("examples/" + Path.GetFileName(dir), files));
        }
        foreach (var kind in KindRegistry.All.Where(k => k.Example is not null))
        {
            seeds.Add(new Source($"the {kind.Kind} reference example", [("example.yaml", kind.Example!)]));
        }
        var all = string.Join("\n---\n", KindRegistry.All.Select(k => k.Example).OfType<string>());
        seeds.Add(new Source("every reference example in one file", [("all.yaml", all)]));
        return seeds;
    });

    /// <summary>YAML-significant fragments and values at the edges of the fields' ranges.</summary>
    private static readonly string[] Fragments =
    [
        ":", ": ", "-", "- ", "\n", "\n  ", "\n- ", "  ", "\t", "#", " #", "&a ", "*a", "&a", "<<: *a\n", "<<: [*a, *a]", "!!str ", "!!int ", "!!binary ",
        "!!map ", "!!seq ", "!custom ", "!<tag:x> ", "? ", "{", "}", "[", "]", ",", "|", ">", "|-", ">+", "|2", "'", "\"", "\\", "\"\\x\"", "\"\\u00\"",
        "---\n", "--- ", "...\n", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "~", "null", "true", "yes", "1e999", "-0", "0x1F", "0o17", ".inf", ".nan",
        "99999999999999999999999", "-1", "1.5", "0", "\u0000", "\uFEFF", "é", "😀", "\u2028", "\u0085", "\r", "\r\n", "{a: 1}", "[1, 2]", "{}", "[]",
        "name: x", "kind: Domain", "kind: Node", "kind: Volume", "kind: Network", "kind: StoragePool", "apiVersion: reconciler/v1", "metadata: {name: x}",
        "spec: {}", "spec:\n  ", "memory: 1EiB", "memory: 99999999PiB", "memory: -5MiB", "vcpus: -1", "vcpus: 0", "mac: ", "mac: \"zz:00\"",
        "labels: {", "  - ", "*undefined", "&r [*r]", "node: ", "userDataFile: /etc/shadow", "userDataFile: ../../x", "xpath: \"//[\"", "add: \"<x\"",
    ];

    internal enum MutationKind
    {
        ReplaceChar,
        Insert,
        Delete,
        Truncate,
        DuplicateLines,
        DeleteLine,
        Indent,
        Dedent,
        SwapLines,
        Splice,
    }

    internal readonly record struct Mutation(MutationKind Kind, uint Position, int Argument);

    private static readonly Gen<MutationKind> Kinds = Gen.Frequency(
        (3, MutationKind.ReplaceChar), (8, MutationKind.Insert), (2, MutationKind.Delete), (1, MutationKind.Truncate), (2, MutationKind.DuplicateLines),
        (2, MutationKind.DeleteLine), (2, MutationKind.Indent), (2, MutationKind.Dedent), (2, MutationKind.SwapLines), (2, MutationKind.Splice));

    /// <summary>A seed, which of its files to damage, and one to three mutations.</summary>
    private static Gen<(int Seed, uint File, Mutation[] Mutations)> Inputs(int seeds) =>
        Gen.Select(Gen.Int[0, seeds - 1], Gen.UInt,
            Gen.Select(Kinds, Gen.UInt, Gen.Int[0, 1 << 20], (k, p, a) => new Mutation(k, p, a)).Array[1, 3]);

    /// <summary>The seed's files with one spec file mutated.</summary>
    private static List<(string Path, string Text)> Apply(IReadOnlyList<Source> seeds, (int Seed, uint File, Mutation[] Mutations) input)
    {
        var files = seeds[input.Seed].Files.ToList();
        var specFiles = Enumerable.Range(0, files.Count).Where(i => SpecLoader.IsSpecFile(files[i].Path)).ToList();
        var target = specFiles[(int)(input.File % (uint)specFiles.Count)];
        var text = new StringBuilder(files[target].Text);
        foreach (var m in input.Mutations)
        {
            if (text.Length == 0) break;
            var at = (int)(m.Position % (uint)text.Length);
            var lines = text.ToString().Split('\n').ToList();
            var line = (int)(m.Position % (uint)lines.Count);
            switch (m.Kind)
            {
                case MutationKind.ReplaceChar:
                    text[at] = Fragments[m.Argument % Fragments.Length][0];
                    continue;
                case MutationKind.Insert:
                    text.Insert(at, Fragments[m.Argument % Fragments.Length]);
                    continue;
                case MutationKind.Delete:
                    text.Remove(at, Math.Min(1 + m.Argument % 12, text.Length - at));
                    continue;
                case MutationKind.Truncate:
                    text.Length = at;
                    continue;
                case MutationKind.DuplicateLines:
                    lines.InsertRange(line, lines.GetRange(line, Math.Min(1 + m.Argument % 6, lines.Count - line)));
                    break;
                case MutationKind.DeleteLine:
                    lines.RemoveAt(line);
                    break;
                case MutationKind.Indent:
                    lines[line] = new string(' ', 1 + m.Argument % 4) + lines[line];
                    break;
                case MutationKind.Dedent:
                    lines[line] = lines[line].TrimStart(' ') is var trimmed && trimmed.Length < lines[line].Length ? lines[line][Math.Min(1 + m.Argument % 4, lines[line].Length - trimmed.Length)..] : lines[line];
                    break;
                case MutationKind.SwapLines:
                    var other = m.Argument % lines.Count;
                    (lines[line], lines[other]) = (lines[other], lines[line]);
                    break;
                case MutationKind.Splice:
                    var donor = seeds[m.Argument % seeds.Count].Files.Where(f => SpecLoader.IsSpecFile(f.Path)).First().Text.Split('\n');
                    var from = m.Argument / 7 % donor.Length;
                    lines.InsertRange(line, donor.Skip(from).Take(1 + m.Argument % 5));
                    break;
            }
            text.Clear().AppendJoin('\n', lines);
        }
        files[target] = (files[target].Path, text.ToString());
        return files;
    }

    /// <summary>Diagnostics that name a whole file or the source rather than a line.</summary>
    private static readonly HashSet<string> FileLevel = [NoManifests, FileTooLarge, FileUnreadable];

    /// <summary>Asserts that loading <paramref name="files"/> never throws and reports only located diagnostics, within the CPU limit.</summary>
    private static (LoadResult Result, TimeSpan Cpu) AssertLoadsWithLocatedDiagnostics(List<(string Path, string Text)> files)
    {
        var load = Task.Run(() =>
        {
            var before = ThreadCpuTime();
            var result = SpecLoader.LoadFiles("fuzz", files);
            return (Result: result, Cpu: ThreadCpuTime() - before);
        });
        if (!load.Wait(HangLimit)) Assert.Fail($"the load did not finish within {HangLimit.TotalSeconds} s");
        var (result, cpu) = load.Result; // an exception from the loader fails the test here, with its stack trace
        if (cpu > CpuLimit) Assert.Fail($"the load took {cpu.TotalMilliseconds:F0} ms of CPU time (limit {CpuLimit.TotalMilliseconds} ms)");
        Assert.Equal(result.Specs is null, result.HasErrors);
        var paths = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var d in result.Diagnostics)
        {
            Assert.True(d.Location is not null, $"no location: {d}");
            Assert.False(string.IsNullOrWhiteSpace(d.Message), $"no message: {d}");
            Assert.False(string.IsNullOrWhiteSpace(d.Hint) && d.Code != NoManifests, $"no hint: {d}");
            Assert.DoesNotContain("   at ", d.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", d.Message, StringComparison.Ordinal);
            if (d.Code == NoManifests) continue;
            Assert.True(paths.Contains(d.Location!.File), $"not located in an input file: {d}");
            // (A line inside an inline block scalar has no column of its own: the message gives it.)
            if (!FileLevel.Contains(d.Code)) Assert.True(d.Location.Line >= 1 && d.Location.Column >= 0, $"no line: {d}");
        }
        return (result, cpu);
    }

    private static string Print((int Seed, uint File, Mutation[] Mutations) input)
    {
        var seeds = Seeds.Value;
        var files = Apply(seeds, input);
        var changed = files.Where((f, i) => f.Text != seeds[input.Seed].Files[i].Text).Select(f => $"--- {f.Path}\n{f.Text}");
        return $"seed {input.Seed} ({seeds[input.Seed].Origin}), file {input.File}, mutations [{string.Join(", ", input.Mutations)}]:\n{string.Join("\n", changed)}";
    }

    [Fact]
    public void Every_seed_loads_with_located_diagnostics_only()
    {
        foreach (var seed in Seeds.Value)
        {
            // Unmutated, each seed is a valid source: the mutations start from specs that load.
            var (result, _) = AssertLoadsWithLocatedDiagnostics([.. seed.Files]);
            Assert.True(result.Specs is not null, $"{seed.Origin}:\n{string.Join("\n", result.Diagnostics)}");
        }
        Assert.Contains(Seeds.Value, s => s.Origin.StartsWith("examples/", StringComparison.Ordinal));
        Assert.True(Seeds.Value.Count >= 6);
    }

    [Fact]
    public void Random_mutations_of_the_example_specs_load_or_fail_with_located_diagnostics_within_a_second()
    {
        var seeds = Seeds.Value;
        // Warm up (JIT) outside the measured loads.
        foreach (var seed in seeds) SpecLoader.LoadFiles("warm-up", seed.Files);
        long inputs = 0, valid = 0, errors = 0, syntax = 0, fieldErrors = 0;
        var slowest = 0L;
        var (iter, time) = FuzzBudget.For(CiIterations);
        Inputs(seeds.Count).Sample(input =>
        {
            var (result, cpu) = AssertLoadsWithLocatedDiagnostics(Apply(seeds, input));
            Interlocked.Increment(ref inputs);
            long seen;
            while (cpu.Ticks > (seen = Interlocked.Read(ref slowest)) && Interlocked.CompareExchange(ref slowest, cpu.Ticks, seen) != seen) { }
            if (result.Specs is not null) Interlocked.Increment(ref valid);
            else Interlocked.Increment(ref errors);
            if (result.Diagnostics.Any(d => d.Code == YamlSyntax)) Interlocked.Increment(ref syntax);
            if (result.Diagnostics.Any(d => d.FieldPath is not null && d.Severity == Severity.Error)) Interlocked.Increment(ref fieldErrors);
        }, writeLine: output.WriteLine, iter: iter, time: time, print: Print);
        output.WriteLine($"{seeds.Count} seeds; {inputs} inputs: {valid} valid loads, {errors} with errors ({syntax} YAML syntax, {fieldErrors} naming a field); "
            + $"most CPU time for one input {TimeSpan.FromTicks(slowest).TotalMilliseconds:F1} ms");
        // Both outcomes, and errors at both levels, occurred often.
        var minimum = Math.Min(inputs / 50, 100);
        Assert.True(valid > minimum && errors > minimum && syntax > minimum && fieldErrors > minimum,
            $"{inputs} inputs: {valid} valid, {errors} errors, {syntax} syntax, {fieldErrors} field errors");
    }

    /// <summary>CPU time consumed by the calling thread (CLOCK_THREAD_CPUTIME_ID): unaffected by other load on the machine.</summary>
    private static TimeSpan ThreadCpuTime()
    {
        if (ClockGetTime(3, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);
}
