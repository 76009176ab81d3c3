using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Reconciler.Engine;
using Reconciler.Libvirt;

namespace Reconciler.Benchmarks;

/// <summary>One controller figure against its target.</summary>
internal sealed record ControllerResult(string Driver, int N, string Metric, double Value, string Unit, IReadOnlyList<double> Runs, string? Note = null);

/// <summary>
/// The controller (`reconcile run`) as a child process on the real node with N managed domains:
/// time to ready, idle CPU, RSS, file change → applied, out-of-band change → corrected.
/// </summary>
internal static class ControllerBenchmark
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private static LibvirtConnection? _poll;

    public static void Run(BenchOptions o, string uri, int n, string work, string exe, RunResults results, CancellationToken ct)
    {
        var dir = SpecGenerator.Write(Path.Combine(work, $"controller-{n}"), n, "c");
        var loaded = Workspace.Load(dir, uri, ct);
        var names = loaded.Specs!.Domains.Select(d => d.Name).ToList();
        RawLibvirt.RemoveBenchDomains(uri);
        // In sync before the controller starts: the same XML apply would define.
        RawLibvirt.Define(uri, Operations.Render(loaded, null).Select(r => r.Xml).ToList());

        var port = FreePort();
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", "--source", dir, "--connect", uri, "--listen", $"127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        psi.Environment.Remove("LIBVIRT_DEFAULT_URI");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var ready = WaitUntil(TimeSpan.FromSeconds(180), () => Get($"http://127.0.0.1:{port}/readyz") == HttpStatusCode.OK || process.HasExited);
            if (process.HasExited || ready is null)
            {
                throw new InvalidOperationException("the controller did not become ready: " + string.Join(" | ", log.TakeLast(5)));
            }
            results.Controller.Add(new ControllerResult("qemu", n, "start → ready (first full pass)", clock.Elapsed.TotalSeconds, "s", [clock.Elapsed.TotalSeconds]));

            // Idle: let the first pass's aftermath settle, then count CPU ticks over 10 s.
            Thread.Sleep(3000);
            var (cpu0, t0) = (CpuSeconds(process.Id), Stopwatch.StartNew());
            Thread.Sleep(10_000);
            var idle = (CpuSeconds(process.Id) - cpu0) / t0.Elapsed.TotalSeconds;
            results.Controller.Add(new ControllerResult("qemu", n, "idle CPU (10 s, share of one core)", idle * 100, "%", [idle * 100]));
            var (rss, hwm) = Memory(process.Id);
            results.Controller.Add(new ControllerResult("qemu", n, "RSS when idle", rss, "MiB", [rss], $"peak {hwm:0} MiB"));
            Dashboard(process.Id, port, n, dir, results, ct);

            // A spec file changes: the first domain's memory flips between 96 and 64 MiB.
            var file = Directory.EnumerateFiles(dir, "*.yaml").Order(StringComparer.Ordinal).First();
            var fileRuns = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                ct.ThrowIfCancellationRequested();
                var (from, to, kib) = i % 2 == 0 ? ("64MiB", "96MiB", 98304UL) : ("96MiB", "64MiB", 65536UL);
                var text = File.ReadAllText(file);
                var at = text.IndexOf("memory: " + from, StringComparison.Ordinal);
                var edited = text[..at] + "memory: " + to + text[(at + ("memory: " + from).Length)..];
                var took = WaitForDefinition(uri, names[0], kib, () => File.WriteAllText(file, edited));
                fileRuns.Add(took?.TotalSeconds ?? double.NaN);
                Thread.Sleep(1500);
            }
            results.Controller.Add(new ControllerResult("qemu", n, "file change → applied", new Sample(fileRuns).Median, "s", fileRuns));

            // Someone redefines a domain behind our back: memory 32 MiB instead of 64.
            var driftRuns = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                ct.ThrowIfCancellationRequested();
                // The drift is itself a definition (32 MiB): the wait goes on until one puts 64 MiB back.
                var took = WaitForDefinition(uri, names[1], 65536UL, () => MacroBenchmark.DriftOne(uri, names[1]));
                driftRuns.Add(took?.TotalSeconds ?? double.NaN);
                Thread.Sleep(1500);
            }
            results.Controller.Add(new ControllerResult("qemu", n, "out-of-band change → corrected", new Sample(driftRuns).Median, "s", driftRuns));
            var (rss2, hwm2) = Memory(process.Id);
            results.Controller.Add(new ControllerResult("qemu", n, "RSS after the changes", rss2, "MiB", [rss2], $"peak {hwm2:0} MiB"));
        }
        finally
        {
            if (!process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
                if (!process.WaitForExit(30_000)) process.Kill(entireProcessTree: true);
            }
            ClosePoll();
            RawLibvirt.RemoveBenchDomains(uri);
        }
    }

    /// <summary>
    /// The web dashboard's cost: the HTML of <c>/resources</c> and <c>/</c> (every resource listed)
    /// timed over 5 GETs each; then CPU over two 10 s windows in which a spec file is touched three
    /// times (each touch is a read of the source and a pass): without a dashboard, then with one open
    /// the way the page's script keeps it (one <c>/events</c> stream, the page fetched again on every
    /// <c>changed</c> event). The added share is the difference of the two.
    /// </summary>
    private static void Dashboard(int pid, int port, int n, string dir, RunResults results, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        foreach (var (path, metric) in new[] { ("resources", "dashboard HTML, /resources (all rows)"), ("", "dashboard HTML, / (overview)") })
        {
            client.GetStringAsync(path, ct).GetAwaiter().GetResult(); // warm
            var runs = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                var html = client.GetStringAsync(path, ct).GetAwaiter().GetResult();
                runs.Add(clock.Elapsed.TotalSeconds);
                if (!html.Contains("<table", StringComparison.Ordinal)) throw new InvalidOperationException($"/{path} returned no table");
            }
            results.Controller.Add(new ControllerResult("qemu", n, metric, new Sample(runs).Median, "s", runs));
        }
        var file = Directory.EnumerateFiles(dir, "*.yaml").Order(StringComparer.Ordinal).First();
        double Window()
        {
            var (cpu0, t0) = (CpuSeconds(pid), Stopwatch.StartNew());
            for (var i = 0; i < 3; i++)
            {
                Thread.Sleep(2500);
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
            }
            Thread.Sleep(10_000 - 7500);
            return (CpuSeconds(pid) - cpu0) / t0.Elapsed.TotalSeconds * 100;
        }
        Thread.Sleep(2000);
        var without = Window();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var fetches = 0;
        var page = Task.Run(async () =>
        {
            using var stream = await client.GetStreamAsync("events", stop.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
            {
                if (line != "event: changed") continue;
                await client.GetStringAsync("", stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref fetches);
            }
        }, stop.Token);
        Thread.Sleep(2000);
        var with = Window();
        stop.Cancel();
        try
        {
            page.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        results.Controller.Add(new ControllerResult("qemu", n, "CPU with 3 passes in 10 s, no dashboard", without, "%", [without]));
        results.Controller.Add(new ControllerResult("qemu", n, "CPU with 3 passes in 10 s, a dashboard open", with, "%", [with],
            $"{with - without:0.00} points over the window without; {fetches} page refresh(es)"));
    }

    /// <summary>
    /// Runs <paramref name="act"/> and returns how long until <paramref name="name"/>'s definition
    /// has <paramref name="kib"/> of memory, or null after 60 s. The definition is checked when
    /// libvirt reports it (re)defined (and every 250 ms in case an event is missed), not polled every
    /// few milliseconds: a tight poll loads the daemon whose speed the controller's pass depends on.
    /// </summary>
    internal static TimeSpan? WaitForDefinition(string uri, string name, ulong kib, Action act)
    {
        using var events = LibvirtConnection.Open(uri, new LibvirtConnectOptions { EnableEvents = true });
        using var defined = new SemaphoreSlim(0);
        using var subscription = events.RegisterDomainLifecycleEvents(e =>
        {
            if (e.Type == DomainEventType.Defined && e.DomainName == name) defined.Release();
        });
        var clock = Stopwatch.StartNew();
        act();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (MemoryKib(uri, name) == kib) return clock.Elapsed;
            defined.Wait(TimeSpan.FromMilliseconds(250));
        }
        return null;
    }

    /// <summary>Closes the connection <see cref="WaitForDefinition"/> polls through.</summary>
    internal static void ClosePoll()
    {
        _poll?.Dispose();
        _poll = null;
    }

    /// <summary>How long until <paramref name="condition"/> held (polled every 10 ms), or null on timeout.</summary>
    internal static TimeSpan? WaitUntil(TimeSpan timeout, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return clock.Elapsed;
            Thread.Sleep(10);
        }
        return null;
    }

    /// <summary>The body of a GET, or "" when it fails.</summary>
    internal static string GetBody(string url)
    {
        try
        {
            return Http.GetStringAsync(url).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    internal static HttpStatusCode? Get(string url)
    {
        try
        {
            using var response = Http.GetAsync(url).GetAwaiter().GetResult();
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// The domain's configured memory, read over one connection kept open for the whole run: a new
    /// connection per poll (every 10 ms) would load the daemon the controller is being timed against.
    /// </summary>
    private static ulong? MemoryKib(string uri, string name)
    {
        var connection = _poll ??= LibvirtConnection.Open(uri);
        using var domain = connection.LookupDomainByName(name);
        if (domain is null) return null;
        var value = XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive)).Root?.Element("currentMemory")?.Value;
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }

    /// <summary>utime + stime of a process from /proc/PID/stat, in seconds (clock ticks of 1/100 s).</summary>
    internal static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ", field 3 (state) is index 0: utime is field 14 → index 11, stime 15 → index 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    internal static (double RssMiB, double HwmMiB) Memory(int pid)
    {
        double Read(string key) => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0).FirstOrDefault();
        return (Read("VmRSS:"), Read("VmHWM:"));
    }

    /// <summary>
    /// A free loopback port for the controller's HTTP endpoint: the first free one of
    /// RECONCILER_BENCH_PORTS (FIRST-LAST, default 16880-16899), else any.
    /// </summary>
    internal static int FreePort()
    {
        var range = Environment.GetEnvironmentVariable("RECONCILER_BENCH_PORTS") is { Length: > 0 } r ? r : "16880-16899";
        var bounds = range.Split('-');
        if (bounds.Length == 2 && int.TryParse(bounds[0], CultureInfo.InvariantCulture, out var first) && int.TryParse(bounds[1], CultureInfo.InvariantCulture, out var last))
        {
            for (var port = first; port <= last; port++)
            {
                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, port);
                    probe.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // In use; try the next one.
                }
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
