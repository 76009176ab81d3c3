using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reconciler.Benchmarks;

/// <summary>One step measured for Reconciler and its raw baseline.</summary>
internal sealed record StepResult(string Driver, int N, string Step, double ReconcilerSeconds, double? RawSeconds, string Raw,
    IReadOnlyList<double> ReconcilerRuns, IReadOnlyList<double>? RawRuns, string? Note = null)
{
    public double? Ratio => RawSeconds is > 0 ? ReconcilerSeconds / RawSeconds : null;
}

/// <summary>A whole `reconcile` process.</summary>
internal sealed record ProcessResult(string Driver, int N, string Command, string Build, double WallSeconds, double PeakRssMiB, double? CpuSeconds,
    IReadOnlyList<double> Runs, int ExitCode, string? Note = null);

/// <summary>A target of the issue and how this run did against it.</summary>
internal sealed record TargetResult(string Target, string Status, string Measured, string? Why = null);

/// <summary>How one step's cost grows with N.</summary>
internal sealed record ScalingResult(string Driver, string Step, int FromN, int ToN, double FromSeconds, double ToSeconds, double Exponent,
    double? RawExponent, string Verdict);

/// <summary>Everything a run produced.</summary>
internal sealed class RunResults
{
    public required MachineInfo Machine { get; init; }
    public required string Started { get; init; }
    public required IReadOnlyDictionary<string, string> Settings { get; init; }
    public List<StepResult> Steps { get; } = [];
    public List<ProcessResult> Processes { get; } = [];
    public List<ControllerResult> Controller { get; } = [];
    public List<TargetResult> Targets { get; } = [];
    public List<ScalingResult> Scaling { get; } = [];
    public List<string> Notes { get; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string Ms(double seconds) => seconds switch
    {
        < 0.001 => (seconds * 1000).ToString("0.000", CultureInfo.InvariantCulture) + " ms",
        < 0.01 => (seconds * 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        < 10 => (seconds * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        _ => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
    };

    /// <summary>The figures as a Markdown table (also what is printed).</summary>
    public string Table()
    {
        var s = new StringBuilder();
        s.AppendLine("| driver | N | step | Reconciler | raw | ratio | raw baseline |");
        s.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | --- |");
        foreach (var r in Steps)
        {
            var ratio = r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Driver} | {r.N:N0} | {r.Step} | {Ms(r.ReconcilerSeconds)} | {(r.RawSeconds is { } raw ? Ms(raw) : "—")} | {ratio} | {r.Raw}{(r.Note is null ? "" : $" ({r.Note})")} |");
        }
        if (Processes.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("| driver | N | whole process | built with | wall (median) | CPU (median) | peak RSS | exit |");
            s.AppendLine("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |");
            foreach (var p in Processes)
            {
                s.AppendLine(CultureInfo.InvariantCulture,
                    $"| {p.Driver} | {p.N:N0} | `{p.Command}` | {p.Build} | {Ms(p.WallSeconds)} | {(p.CpuSeconds is { } cpu ? Ms(cpu) : "—")} | {p.PeakRssMiB:0} MiB | {p.ExitCode}{(p.Note is null ? "" : $" ({p.Note})")} |");
            }
        }
        if (Controller.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("| driver | managed domains | controller (`reconcile run`, child process) | median | runs |");
            s.AppendLine("| --- | ---: | --- | ---: | --- |");
            foreach (var c in Controller)
            {
                string F(double v) => c.Unit == "s" ? Ms(v) : v.ToString("0.00", CultureInfo.InvariantCulture) + " " + c.Unit;
                s.AppendLine(CultureInfo.InvariantCulture,
                    $"| {c.Driver} | {c.N:N0} | {c.Metric} | {F(c.Value)} | {string.Join(", ", c.Runs.Select(F))}{(c.Note is null ? "" : $" ({c.Note})")} |");
            }
        }
        if (Scaling.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("| driver | step | N → N | time → time | exponent | raw's exponent | scaling |");
            s.AppendLine("| --- | --- | --- | --- | ---: | ---: | --- |");
            foreach (var x in Scaling)
            {
                s.AppendLine(CultureInfo.InvariantCulture,
                    $"| {x.Driver} | {x.Step} | {x.FromN:N0} → {x.ToN:N0} | {Ms(x.FromSeconds)} → {Ms(x.ToSeconds)} | {x.Exponent:0.00} | {(x.RawExponent is { } re ? re.ToString("0.00", CultureInfo.InvariantCulture) : "—")} | {x.Verdict} |");
            }
        }
        s.AppendLine();
        s.AppendLine("| target | result | measured |");
        s.AppendLine("| --- | --- | --- |");
        foreach (var t in Targets)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {t.Target} | {t.Status} | {t.Measured}{(t.Why is null ? "" : $" — {t.Why}")} |");
        }
        return s.ToString();
    }
}
