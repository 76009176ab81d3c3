using System.Globalization;
using System.Net;
using Reconciler.Core.Planning;
using Reconciler.Engine.Reconcile;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// The controller's settings, bound from the <c>Reconciler</c> configuration section: an
/// appsettings file (<c>--config FILE</c>), environment variables (<c>Reconciler__Source=…</c>) and
/// the command line, in that order of precedence. Durations are written <c>500ms</c>, <c>30s</c>,
/// <c>1m</c>, <c>2h</c>. Everything is checked at start-up by <see cref="ControllerSettings.From"/>.
/// </summary>
public sealed class ControllerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Reconciler";

    /// <summary>A spec directory, or a Git repository URL.</summary>
    public string? Source { get; set; }

    /// <summary>Git: branch, tag or full commit sha.</summary>
    public string Ref { get; set; } = "main";

    /// <summary>Git: sub-directory that holds the specs.</summary>
    public string Path { get; set; } = "";

    /// <summary>Git poll interval and, for both kinds, the shortest full resync period.</summary>
    public string Interval { get; set; } = "1m";

    /// <summary>
    /// The full resync period: <c>auto</c> (the default) or a duration. Auto: <see cref="Interval"/>,
    /// stretched to <see cref="ControllerSettings.ResyncBudget"/> times the CPU time the last full read
    /// took (at most an hour), so that full reads cost at most 1 % of one core.
    /// </summary>
    public string Resync { get; set; } = "auto";

    /// <summary>Address of the HTTP endpoint (<c>/healthz</c>, <c>/readyz</c>, <c>/status</c>, <c>/metrics</c>): <c>IP:PORT</c>; port 0 picks a free one.</summary>
    public string Listen { get; set; } = "127.0.0.1:" + DefaultPort.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>correct</c> (default) or <c>report</c>; a domain's <c>reconciler.dev/drift</c> label overrides it.</summary>
    public string Drift { get; set; } = "correct";

    /// <summary>Plan and report only; change nothing.</summary>
    public bool Suspend { get; set; }

    /// <summary>The disruption gate, as <c>apply --max-disruption</c>: none, live, next-boot (default), restart or replace.</summary>
    public string MaxDisruption { get; set; } = "next-boot";

    /// <summary>libvirt URI for specs that define no Node.</summary>
    public string? Connect { get; set; }

    /// <summary>Take over unmanaged domains that have a spec's name.</summary>
    public bool Adopt { get; set; }

    /// <summary>How long a graceful guest shutdown may take before a hard stop.</summary>
    public string ShutdownTimeout { get; set; } = "60s";

    /// <summary>
    /// How long a pass waits for a node locked by another apply before leaving that node's changes
    /// for a later pass (retried after BackoffBase). Nodes are waited for side by side, so this also
    /// bounds how long the other nodes wait. Default 0s: try once, never hold up the other nodes.
    /// </summary>
    public string LockTimeout { get; set; } = "0s";

    /// <summary>Directory source: how long file events must be quiet before a reload (a burst that never pauses is read after 10 times this, at least 1 s).</summary>
    public string Debounce { get; set; } = "50ms";

    /// <summary>
    /// Directory source: how long the directory must have been unchanged before a resource that left
    /// the specs is removed (and a fresh read must still lack it). Default 5s, or the debounce burst
    /// (10 × <see cref="Debounce"/>, at least 1 s) when that is longer; never less than that burst.
    /// A Git revision is atomic and needs no settle time.
    /// </summary>
    public string? PruneSettle { get; set; }

    /// <summary>
    /// When a node's domain removals count as a mass removal and are held until a person approves
    /// them (<c>reconcile approve-prune REVISION</c>): <c>COUNT,PERCENT%,MAX</c>, or <c>off</c>.
    /// </summary>
    public string MassPruneLimit { get; set; } = PruneLimits.Default.ToString();

    /// <summary>
    /// A file holding the bearer token that every action endpoint (<c>POST /actions/…</c>, e.g.
    /// approve-prune) requires. Without it, action endpoints are refused; the read-only ones stay open.
    /// </summary>
    public string? ApiTokenFile { get; set; }

    /// <summary>First retry delay after a failure (doubles per failure, with jitter).</summary>
    public string BackoffBase { get; set; } = "2s";

    /// <summary>Longest retry delay.</summary>
    public string BackoffMax { get; set; } = "5m";

    /// <summary>libvirt keep-alive probe interval for event connections.</summary>
    public string KeepAliveInterval { get; set; } = "5s";

    /// <summary>Unanswered keep-alive probes before a connection counts as lost.</summary>
    public int KeepAliveCount { get; set; } = 3;

    /// <summary>Git: fetch depth (1 = shallow); 0 for full history.</summary>
    public int GitDepth { get; set; } = 1;

    /// <summary>Git: local cache directory (default under ~/.cache/reconciler).</summary>
    public string? GitCacheDirectory { get; set; }

    /// <summary>Git over HTTPS: user name (default <c>git</c>).</summary>
    public string? GitUsername { get; set; }

    /// <summary>Git over HTTPS: a file holding the token or password (else the RECONCILER_GIT_TOKEN environment variable is used).</summary>
    public string? GitTokenFile { get; set; }

    /// <summary>Git over SSH: private key file.</summary>
    public string? GitSshKeyFile { get; set; }

    /// <summary>Git over SSH: known_hosts file (strict checking when given).</summary>
    public string? GitKnownHostsFile { get; set; }

    /// <summary>The default HTTP port.</summary>
    public const int DefaultPort = 9479;
}

/// <summary>Settings that failed validation; every problem is listed.</summary>
/// <param name="errors">One line per problem.</param>
public sealed class InvalidSettingsException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    /// <summary>The problems.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Validated, typed settings.</summary>
internal sealed record ControllerSettings(
    string Source,
    bool IsGit,
    string Ref,
    string Path,
    TimeSpan Interval,
    IPEndPoint Listen,
    DriftMode Drift,
    bool Suspend,
    Disruption MaxDisruption,
    string? Connect,
    bool Adopt,
    TimeSpan ShutdownTimeout,
    TimeSpan LockTimeout,
    TimeSpan Debounce,
    TimeSpan BackoffBase,
    TimeSpan BackoffMax,
    TimeSpan KeepAliveInterval,
    int KeepAliveCount,
    int GitDepth,
    string GitCacheDirectory,
    GitCredentials? GitCredentials)
{
    /// <summary>How long a directory must be unchanged before removals (zero for Git: a revision is atomic).</summary>
    public TimeSpan PruneSettle { get; init; }

    /// <summary>The mass-removal guard.</summary>
    public PruneLimits MassPrune { get; init; } = PruneLimits.Default;

    /// <summary>The file with the action endpoints' bearer token; null: action endpoints are refused.</summary>
    public string? ApiTokenFile { get; init; }

    /// <summary>The full resync period as given; null: auto (<see cref="ResyncAfter"/>).</summary>
    public TimeSpan? Resync { get; init; }

    /// <summary>With <c>--resync auto</c>, a full read is due no sooner than this many times the last one's CPU time after it.</summary>
    public const int ResyncBudget = 100;

    /// <summary>The longest an auto resync period is stretched to (unless <see cref="Interval"/> is longer).</summary>
    public static readonly TimeSpan MaxAutoResync = TimeSpan.FromHours(1);

    /// <summary>
    /// How long after a full read the next one is due, given the CPU time the last one took: the
    /// <c>--resync</c> given, else <see cref="Interval"/> stretched to <see cref="ResyncBudget"/> ×
    /// <paramref name="lastFullRead"/>, at most <see cref="MaxAutoResync"/> (or the interval if longer):
    /// full reads then cost at most 1 % of one core on average. At 10,000 domains a full read takes
    /// seconds of CPU; every minute, that was most of an idle controller's CPU.
    /// </summary>
    public TimeSpan ResyncAfter(TimeSpan lastFullRead)
    {
        if (Resync is { } given) return given;
        var stretched = lastFullRead * ResyncBudget;
        var cap = Interval > MaxAutoResync ? Interval : MaxAutoResync;
        return stretched <= Interval ? Interval : stretched >= cap ? cap : stretched;
    }

    /// <summary>The default settle time of a directory source (raised to the debounce burst when that is longer).</summary>
    public static readonly TimeSpan DefaultPruneSettle = TimeSpan.FromSeconds(5);

    /// <summary>Checks everything at once.</summary>
    /// <exception cref="InvalidSettingsException">With every problem found.</exception>
    public static ControllerSettings From(ControllerOptions o)
    {
        var errors = new List<string>();
        TimeSpan Duration(string name, string? text, TimeSpan min)
        {
            if (!TryParseDuration(text, out var value)) errors.Add($"{name}: '{text}' is not a duration (write 500ms, 30s, 1m or 2h)");
            else if (value < min) errors.Add($"{name}: {text} is too short (at least {Format(min)})");
            return value;
        }
        var source = o.Source?.Trim();
        var isGit = false;
        if (string.IsNullOrEmpty(source))
        {
            errors.Add("Source: missing; pass --source DIR|URL (or set Reconciler__Source)");
        }
        else if (GitSource.IsGitUrl(source))
        {
            isGit = true;
            if (string.IsNullOrWhiteSpace(o.Ref)) errors.Add("Ref: empty; name a branch, a tag or a commit");
            if (o.Path.Replace('\\', '/').Split('/').Contains("..")) errors.Add($"Path: '{o.Path}' may not contain '..'");
            if (o.GitDepth < 0) errors.Add("GitDepth: must be 0 (full history) or more");
        }
        else if (!Directory.Exists(source))
        {
            errors.Add($"Source: the directory '{source}' does not exist (a Git source is a URL such as https://host/repo.git)");
        }
        var interval = Duration("Interval", o.Interval, TimeSpan.FromSeconds(1));
        TimeSpan? resync = string.Equals(o.Resync?.Trim(), "auto", StringComparison.OrdinalIgnoreCase) ? null : Duration("Resync", o.Resync, TimeSpan.FromSeconds(1));
        var drift = DriftMode.Correct;
        switch (o.Drift?.Trim().ToLowerInvariant())
        {
            case "correct": break;
            case "report": drift = DriftMode.Report; break;
            default: errors.Add($"Drift: '{o.Drift}' is not one of: correct, report"); break;
        }
        var maxDisruption = (o.MaxDisruption ?? "").Trim().ToLowerInvariant() switch
        {
            "none" => Disruption.None,
            "live" => Disruption.Live,
            "next-boot" => Disruption.NextBoot,
            "restart" => Disruption.Restart,
            "replace" => Disruption.Replace,
            _ => (Disruption?)null,
        };
        if (maxDisruption is null) errors.Add($"MaxDisruption: '{o.MaxDisruption}' is not one of: none, live, next-boot, restart, replace");
        IPEndPoint? listen = null;
        if (!TryParseEndpoint(o.Listen, out listen)) errors.Add($"Listen: '{o.Listen}' is not IP:PORT (e.g. 127.0.0.1:{ControllerOptions.DefaultPort})");
        var shutdown = Duration("ShutdownTimeout", o.ShutdownTimeout, TimeSpan.Zero);
        var lockTimeout = Duration("LockTimeout", o.LockTimeout, TimeSpan.Zero);
        var debounce = Duration("Debounce", o.Debounce, TimeSpan.Zero);
        var backoffBase = Duration("BackoffBase", o.BackoffBase, TimeSpan.FromMilliseconds(100));
        var backoffMax = Duration("BackoffMax", o.BackoffMax, TimeSpan.FromMilliseconds(100));
        var keepAlive = Duration("KeepAliveInterval", o.KeepAliveInterval, TimeSpan.FromSeconds(1));
        if (o.KeepAliveCount < 1) errors.Add("KeepAliveCount: must be at least 1");
        // A removal must outlast the longest burst of file events the watcher folds into one read.
        var burst = TimeSpan.FromTicks(Math.Max(debounce.Ticks * DirectorySource.MaxWaitFactor, TimeSpan.TicksPerSecond));
        var pruneSettle = burst > DefaultPruneSettle ? burst : DefaultPruneSettle;
        if (o.PruneSettle is not null && TryParseDuration(o.PruneSettle, out var settle))
        {
            if (settle < burst)
            {
                errors.Add($"PruneSettle: {o.PruneSettle} is shorter than the file-event burst ({Format(burst)}: {DirectorySource.MaxWaitFactor} × Debounce {o.Debounce}, at least 1s); "
                    + $"a removal must wait at least that long, so that a file still being written is never taken for a deletion: give --prune-settle {Format(burst)} or more");
            }
            pruneSettle = settle;
        }
        else if (o.PruneSettle is not null)
        {
            errors.Add($"PruneSettle: '{o.PruneSettle}' is not a duration (write 5s, 30s or 1m)");
        }
        if (!PruneLimits.TryParse(o.MassPruneLimit, out var massPrune, out var massPruneError)) errors.Add($"MassPruneLimit: {massPruneError}");
        if (!string.IsNullOrEmpty(o.ApiTokenFile))
        {
            if (!File.Exists(o.ApiTokenFile)) errors.Add($"ApiTokenFile: the file '{o.ApiTokenFile}' does not exist");
            else if (string.IsNullOrWhiteSpace(File.ReadAllText(o.ApiTokenFile))) errors.Add($"ApiTokenFile: the file '{o.ApiTokenFile}' is empty; put a long random token in it (e.g. openssl rand -hex 32)");
        }
        foreach (var (name, file) in new[] { ("GitTokenFile", o.GitTokenFile), ("GitSshKeyFile", o.GitSshKeyFile), ("GitKnownHostsFile", o.GitKnownHostsFile) })
        {
            if (!string.IsNullOrEmpty(file) && !File.Exists(file)) errors.Add($"{name}: the file '{file}' does not exist");
        }
        if (errors.Count > 0) throw new InvalidSettingsException(errors);

        var cache = o.GitCacheDirectory;
        if (string.IsNullOrEmpty(cache))
        {
            var home = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source!)))[..16];
            cache = System.IO.Path.Combine(home, "reconciler", "git", key);
        }
        var credentials = o.GitUsername is null && o.GitTokenFile is null && o.GitSshKeyFile is null && o.GitKnownHostsFile is null
            ? new GitCredentials()
            : new GitCredentials(o.GitUsername, o.GitTokenFile, "RECONCILER_GIT_TOKEN", o.GitSshKeyFile, o.GitKnownHostsFile);
        return new ControllerSettings(source!, isGit, o.Ref.Trim(), o.Path.Trim(), interval, listen!, drift, o.Suspend, maxDisruption!.Value,
            string.IsNullOrWhiteSpace(o.Connect) ? null : o.Connect, o.Adopt, shutdown, lockTimeout, debounce,
            backoffBase, backoffMax < backoffBase ? backoffBase : backoffMax, keepAlive, o.KeepAliveCount, o.GitDepth, cache, credentials)
        {
            PruneSettle = isGit ? TimeSpan.Zero : pruneSettle,
            MassPrune = massPrune!,
            ApiTokenFile = string.IsNullOrEmpty(o.ApiTokenFile) ? null : System.IO.Path.GetFullPath(o.ApiTokenFile),
            Resync = resync,
        };
    }

    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>, or a .NET TimeSpan (<c>00:01:00</c>).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                value = TimeSpan.FromMilliseconds(n * ms);
                return true;
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>Parses <c>IP:PORT</c> (or <c>localhost:PORT</c>).</summary>
    public static bool TryParseEndpoint(string? text, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)) text = "127.0.0.1" + text["localhost".Length..];
        return IPEndPoint.TryParse(text, out endpoint) && endpoint.Port is >= 0 and <= 65535 && text.Contains(':', StringComparison.Ordinal);
    }

    internal static string Format(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###}s" : $"{t.TotalMilliseconds:0}ms";
}
