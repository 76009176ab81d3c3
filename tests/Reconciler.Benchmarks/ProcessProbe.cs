using System.Diagnostics;
using System.Globalization;

namespace Reconciler.Benchmarks;

/// <summary>Runs a child process and reports its wall time, peak RSS (VmHWM), exit code and output.</summary>
internal static class ProcessProbe
{
    private const string TimeTool = "/usr/bin/time";

    public sealed record Run(double WallSeconds, double PeakRssMiB, double? CpuSeconds, int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>. Peak RSS comes from GNU time's
    /// <c>%M</c> (the kernel's maxrss of the child) when /usr/bin/time exists, else from polling
    /// VmHWM in /proc/PID/status until the process exits. Wall time is measured here around the child;
    /// CPU time (user + system) comes from GNU time too (null without it).
    /// </summary>
    public static Run Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null, string? workingDirectory = null)
    {
        var useTime = File.Exists(TimeTool);
        var rssFile = useTime ? Path.GetTempFileName() : null;
        var psi = new ProcessStartInfo(useTime ? TimeTool : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (useTime)
        {
            foreach (var a in new[] { "-f", "%M %U %S", "-o", rssFile!, file }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                if (value is null) psi.Environment.Remove(key);
                else psi.Environment[key] = value;
            }
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long hwmKib = 0;
        double? cpu = null;
        if (!useTime)
        {
            while (!process.HasExited)
            {
                hwmKib = Math.Max(hwmKib, ReadHwm(process.Id));
                Thread.Sleep(2);
            }
        }
        process.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        if (useTime)
        {
            var text = File.ReadAllLines(rssFile!).LastOrDefault(l => l.Trim().Length > 0)?.Trim();
            File.Delete(rssFile!);
            var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            hwmKib = parts.Length > 0 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : 0;
            if (parts.Length == 3
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var user)
                && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var system))
            {
                cpu = user + system;
            }
        }
        return new Run(wall, hwmKib / 1024.0, cpu, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static long ReadHwm(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
