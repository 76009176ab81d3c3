using System.Diagnostics;

namespace Reconciler.Benchmarks;

/// <summary>Timed repetitions of one thing; the median is what is reported.</summary>
/// <param name="Seconds">Every timed repetition, in order.</param>
internal sealed record Sample(IReadOnlyList<double> Seconds)
{
    public double Median
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public double Min => Seconds.Min();
}

/// <summary>
/// Pairs Reconciler with its raw baseline: both warm up, then they alternate (raw, Reconciler,
/// raw, …) so that a neighbour's build on these shared 2 cores slows both alike.
/// </summary>
internal static class Measure
{
    public static int WarmupRounds { get; set; } = 2;

    public static double Once(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <param name="reps">Timed repetitions of each side.</param>
    /// <param name="raw">The raw baseline.</param>
    /// <param name="reconciler">Reconciler's way.</param>
    /// <param name="reset">Untimed, after every run of either side (e.g. remove what an apply created).</param>
    /// <param name="ct">Stops between repetitions.</param>
    /// <param name="warmups">Untimed rounds first (default <see cref="WarmupRounds"/>).</param>
    public static (Sample Raw, Sample Reconciler) Paired(int reps, Action raw, Action reconciler, Action? reset, CancellationToken ct, int? warmups = null)
    {
        // Warm-up: JIT, libvirt's caches, the page cache; then a pause so that methods queued for
        // tier-1 compilation get it (this measures steady state, not start-up: the whole-process
        // figures measure start-up).
        for (var w = 0; w < (warmups ?? WarmupRounds); w++)
        {
            ct.ThrowIfCancellationRequested();
            raw();
            reset?.Invoke();
            reconciler();
            reset?.Invoke();
        }
        if ((warmups ?? WarmupRounds) > 0) Thread.Sleep(300);
        var r = new List<double>(reps);
        var c = new List<double>(reps);
        for (var i = 0; i < reps; i++)
        {
            ct.ThrowIfCancellationRequested();
            // Alternate which side goes first, so neither always follows the other's reset.
            if (i % 2 == 0)
            {
                r.Add(Once(raw));
                reset?.Invoke();
                c.Add(Once(reconciler));
                reset?.Invoke();
            }
            else
            {
                c.Add(Once(reconciler));
                reset?.Invoke();
                r.Add(Once(raw));
                reset?.Invoke();
            }
        }
        return (new Sample(r), new Sample(c));
    }
}
