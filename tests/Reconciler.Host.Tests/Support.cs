using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reconciler.Cli;
using Reconciler.Host;
using Reconciler.Libvirt;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Reconciler.Host.Tests;

/// <summary>The real libvirtd (qemu:///system unless RECONCILER_E2E_URI says otherwise); tests fail, not skip, without it.</summary>
internal static class RealLibvirt
{
    public const string Prefix = "e2e-ctl-";

    public static string Uri => Environment.GetEnvironmentVariable("RECONCILER_E2E_URI") is { Length: > 0 } u ? u : "qemu:///system";

    public static LibvirtConnection Connect()
    {
        try
        {
            return LibvirtConnection.Open(Uri);
        }
        catch (LibvirtException e)
        {
            throw new InvalidOperationException($"no libvirtd answers on {Uri} ({e.Message}); run ./test.sh or .ci/setup-libvirt.sh, which start it", e);
        }
    }

    /// <summary>Destroys and undefines every domain whose name starts with <paramref name="prefix"/>.</summary>
    public static void Cleanup(string prefix = Prefix)
    {
        using var conn = Connect();
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (!d.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                try { d.Undefine(UndefineFlags.Nvram); } catch (LibvirtException) { }
            }
        }
    }

    public static (bool Exists, bool Running, ulong MemoryKiB, string Xml) Domain(string name)
    {
        using var conn = Connect();
        using var d = conn.LookupDomainByName(name);
        if (d is null) return (false, false, 0, "");
        var xml = d.GetXmlDesc(DomainXmlFlags.Inactive);
        var memory = ulong.Parse(System.Xml.Linq.XDocument.Parse(xml).Root!.Element("memory")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        return (true, d.IsActive, memory, xml);
    }

    public static string NodeYaml => $$"""
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: local}
        spec: {uri: "{{Uri}}"}

        """;

    public static string DomainYaml(string name, string memory = "64MiB", string state = "running", string labels = "{}") =>
        "apiVersion: reconciler/v1\nkind: Domain\n"
        + $"metadata: {{name: {name}, labels: {labels}}}\n"
        + $"spec: {{node: local, state: {state}, autostart: false, vcpus: 1, memory: {memory}, graphics: {{type: none}}}}\n";
}

/// <summary>Bounded polling: outcomes, never wall-clock assertions.</summary>
internal static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        T last = await read();
        while (!done(last))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException($"not within {seconds}s: {what}; last seen: {Describe(last)}");
            await Task.Delay(200);
            last = await read();
        }
        return last;
    }

    public static Task TrueAsync(Func<bool> condition, string what, int seconds = 60) =>
        ValueAsync(() => Task.FromResult(condition()), b => b, what, seconds);

    private static string Describe<T>(T value) => value is StatusDocument s ? s.ToJson() : value?.ToString() ?? "null";
}

/// <summary>A controller running in-process on an ephemeral port; its logs are captured.</summary>
internal sealed class Controller : IAsyncDisposable
{
    private readonly ControllerHost _host;
    private readonly HttpClient _http = new();

    private Controller(ControllerHost host, LogSink logs)
    {
        _host = host;
        Logs = logs;
    }

    public LogSink Logs { get; }

    public static Task<Controller> StartAsync(string source, params (string Key, string Value)[] settings) =>
        StartAsync(source, new LogSink(), settings);

    public static async Task<Controller> StartAsync(string source, LogSink logs, params (string Key, string Value)[] settings)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Reconciler:Source"] = source,
            ["Reconciler:Listen"] = "127.0.0.1:0",
            ["Reconciler:Interval"] = "30s",
            ["Reconciler:ShutdownTimeout"] = "3s",
            ["Reconciler:BackoffBase"] = "500ms",
            ["Reconciler:BackoffMax"] = "3s",
            ["Reconciler:KeepAliveInterval"] = "1s",
            ["Reconciler:Debounce"] = "200ms",
        };
        foreach (var (k, v) in settings) overrides["Reconciler:" + k] = v;
        var host = ControllerHost.Create(overrides, configureLogging: b => b.AddProvider(logs));
        await host.StartAsync(CancellationToken.None);
        var controller = new Controller(host, logs);
        controller._http.BaseAddress = host.BaseAddress;
        return controller;
    }

    public StatusDocument Status => _host.Status;

    public async Task<(HttpStatusCode Code, string Body)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<StatusDocument> WaitAsync(Func<StatusDocument, bool> done, string what, int seconds = 60) =>
        Eventually.ValueAsync(async () => StatusDocument.Parse((await GetAsync("/status")).Body)!, done, what, seconds);

    public ResourceStatus? Resource(StatusDocument s, string name) => s.Resources.FirstOrDefault(r => r.Name == name);

    public Uri BaseAddress => _host.BaseAddress;

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        await _host.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>
/// Collects every log line (to check that secrets never appear), or with <paramref name="keep"/>
/// only the lines it accepts (a long run must not hold every line); lines are counted by level either way.
/// </summary>
internal sealed class LogSink(Func<Microsoft.Extensions.Logging.LogLevel, string, Exception?, bool>? keep = null) : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly Func<Microsoft.Extensions.Logging.LogLevel, string, Exception?, bool>? _keep = keep;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Microsoft.Extensions.Logging.LogLevel, int> _counts = new();

    public IEnumerable<string> Lines => _lines;

    public int Count(Microsoft.Extensions.Logging.LogLevel level) => _counts.GetValueOrDefault(level);

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            sink._counts.AddOrUpdate(logLevel, 1, (_, n) => n + 1);
            var line = $"{logLevel} {category}: {formatter(state, exception)} {exception}";
            if (sink._keep?.Invoke(logLevel, line, exception) ?? true) sink._lines.Enqueue(line);
        }
    }
}

/// <summary>A temporary directory.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "ctl")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"reconciler-{prefix}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full + ".tmp", text);
        File.Move(full + ".tmp", full, overwrite: true);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Runs a program and returns its output; throws when it fails.</summary>
internal static class Shell
{
    public static string Run(string file, string? cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd ?? Environment.CurrentDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_AUTHOR_NAME"] = psi.Environment["GIT_COMMITTER_NAME"] = "test";
        psi.Environment["GIT_AUTHOR_EMAIL"] = psi.Environment["GIT_COMMITTER_EMAIL"] = "test@example.invalid";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)}"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>Runs `reconcile` in-process.</summary>
internal static class Cli
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, new StringReader(""), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
