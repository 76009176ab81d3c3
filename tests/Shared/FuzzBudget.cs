using System.Globalization;

namespace Reconciler.Tests.Shared;

/// <summary>
/// How long a fuzz test runs. By default a fixed number of inputs chosen so that the test takes
/// well under a minute on a 2-core machine; <c>RECONCILER_FUZZ_ITER=N</c> asks for N inputs and
/// <c>RECONCILER_FUZZ_SECONDS=S</c> for a run of S seconds instead (a long run). CsCheck's own
/// <c>CsCheck_Seed</c> replays a reported failure.
/// </summary>
internal static class FuzzBudget
{
    /// <summary>The <c>iter</c> and <c>time</c> arguments of CsCheck's <c>Sample</c>; time is -1 unless a run of seconds was asked for.</summary>
    public static (long Iter, int Time) For(long ciIterations)
    {
        var seconds = Read("RECONCILER_FUZZ_SECONDS");
        if (seconds > 0) return (-1, (int)seconds);
        var iter = Read("RECONCILER_FUZZ_ITER");
        return (iter > 0 ? iter : ciIterations, -1);
    }

    private static long Read(string variable) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
