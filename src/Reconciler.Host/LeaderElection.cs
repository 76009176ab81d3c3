using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Reconciler.Host;

/// <summary>The <c>Reconciler:LeaderElection</c> configuration section (appsettings, <c>Reconciler__LeaderElection__Enabled</c>, <c>--leader-elect</c>).</summary>
public sealed class LeaderElectionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Reconciler:LeaderElection";

    /// <summary>Elect a leader through a Kubernetes Lease; only the leader changes anything.</summary>
    public bool Enabled { get; set; }

    /// <summary>Name of the coordination.k8s.io/v1 Lease.</summary>
    public string LeaseName { get; set; } = "reconciler";

    /// <summary>Namespace of the Lease; default $POD_NAMESPACE, else the service account's namespace, else "default".</summary>
    public string? Namespace { get; set; }

    /// <summary>This replica's identity in the Lease; default $POD_NAME, else the host name.</summary>
    public string? Identity { get; set; }

    /// <summary>How long a Lease is valid without renewal: a dead leader is replaced after at most this.</summary>
    public string LeaseDuration { get; set; } = "15s";

    /// <summary>How long the leader keeps trying to renew before it gives up leadership (shorter than LeaseDuration).</summary>
    public string RenewDeadline { get; set; } = "10s";

    /// <summary>How often to try to acquire or renew.</summary>
    public string RetryPeriod { get; set; } = "2s";

    /// <summary>The Kubernetes API server URL; default: in-cluster configuration (service account), else the kubeconfig.</summary>
    public string? ApiServer { get; set; }
}

/// <summary>Validated leader election settings.</summary>
internal sealed record LeaderElectionSettings(bool Enabled, string LeaseName, string Namespace, string Identity,
    TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod, string? ApiServer)
{
    private const string ServiceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public static LeaderElectionSettings Disabled { get; } = new(false, "", "", "", default, default, default, null);

    /// <exception cref="InvalidSettingsException">A duration does not parse, or the durations are not ordered RetryPeriod &lt; RenewDeadline &lt; LeaseDuration.</exception>
    public static LeaderElectionSettings From(IConfiguration configuration)
    {
        var o = new LeaderElectionOptions();
        try
        {
            configuration.GetSection(LeaderElectionOptions.Section).Bind(o);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidSettingsException([e.Message]);
        }
        if (!o.Enabled) return Disabled;
        var errors = new List<string>();
        TimeSpan Duration(string name, string text)
        {
            if (!ControllerSettings.TryParseDuration(text, out var value) || value <= TimeSpan.Zero)
            {
                errors.Add($"LeaderElection:{name}: '{text}' is not a positive duration (write 500ms, 2s, 15s)");
            }
            return value;
        }
        var lease = Duration(nameof(o.LeaseDuration), o.LeaseDuration);
        var renew = Duration(nameof(o.RenewDeadline), o.RenewDeadline);
        var retry = Duration(nameof(o.RetryPeriod), o.RetryPeriod);
        if (errors.Count == 0 && !(retry < renew && renew < lease))
        {
            errors.Add($"LeaderElection: need RetryPeriod < RenewDeadline < LeaseDuration (got {o.RetryPeriod}, {o.RenewDeadline}, {o.LeaseDuration})");
        }
        if (string.IsNullOrWhiteSpace(o.LeaseName)) errors.Add("LeaderElection:LeaseName: empty");
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        var ns = Nonempty(o.Namespace) ?? Nonempty(Environment.GetEnvironmentVariable("POD_NAMESPACE"))
            ?? (File.Exists(ServiceAccountNamespace) ? Nonempty(File.ReadAllText(ServiceAccountNamespace).Trim()) : null)
            ?? "default";
        var identity = Nonempty(o.Identity) ?? Nonempty(Environment.GetEnvironmentVariable("POD_NAME")) ?? Environment.MachineName;
        return new(true, o.LeaseName.Trim(), ns, identity, lease, renew, retry, Nonempty(o.ApiServer));
    }

    private static string? Nonempty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// Whether this replica may change anything now. Without leader election it always may. With it,
/// only between OnStartedLeading and OnStoppedLeading (tracked from the elector's callbacks, not
/// from its IsLeader(), which can go on answering true from a stale record); a pass started as
/// leader gets a token that is cancelled the moment leadership is lost, so it stops between steps.
/// </summary>
internal sealed class Leadership(LeaderElectionSettings settings)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _term = new();
    private bool _leading;

    public bool Enabled => settings.Enabled;

    public string Identity => settings.Identity;

    /// <summary>The leader last observed in the Lease, if any.</summary>
    public string? Leader { get; private set; }

    public bool IsLeader
    {
        get
        {
            lock (_gate) return !settings.Enabled || _leading;
        }
    }

    /// <summary>For one pass: whether it may change anything, and a token cancelled when leadership is lost.</summary>
    public (bool MayChange, CancellationToken Lost) ForPass()
    {
        lock (_gate)
        {
            if (!settings.Enabled) return (true, CancellationToken.None);
            return (_leading, _leading ? _term.Token : CancellationToken.None);
        }
    }

    internal void Started()
    {
        lock (_gate)
        {
            if (_leading) return;
            _leading = true;
            _term.Dispose();
            _term = new CancellationTokenSource();
            Leader = settings.Identity;
        }
    }

    internal void Stopped()
    {
        lock (_gate)
        {
            if (!_leading) return;
            _leading = false;
            _term.Cancel();
        }
    }

    internal void Observed(string leader)
    {
        lock (_gate) Leader = leader;
    }
}

/// <summary>
/// Runs KubernetesClient's <see cref="LeaderElector"/> on a <see cref="LeaseLock"/> when leader
/// election is enabled: acquires and renews the Lease, feeds <see cref="Leadership"/>, and asks
/// for a pass when this replica becomes leader (it may have missed changes while standing by).
/// Errors talking to the API server are logged and retried; they never stop the host.
/// </summary>
internal sealed partial class LeaderElectionService(
    LeaderElectionSettings settings,
    Leadership leadership,
    ReconcileTrigger trigger,
    ILogger<LeaderElectionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        KubernetesClientConfiguration config;
        try
        {
            config = settings.ApiServer is { } server ? new KubernetesClientConfiguration { Host = server }
                : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildDefaultConfig();
        }
#pragma warning disable CA1031 // a broken kubeconfig leaves this replica a non-leader, reported, instead of crashing
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogNoApi(e.Message);
            return;
        }
        using var client = new Kubernetes(config);
        var lease = new LeaseLock(client, settings.Namespace, settings.LeaseName, settings.Identity);
        LogStarting(settings.Identity, settings.Namespace, settings.LeaseName);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var elector = new LeaderElector(new LeaderElectionConfig(lease)
            {
                LeaseDuration = settings.LeaseDuration,
                RenewDeadline = settings.RenewDeadline,
                RetryPeriod = settings.RetryPeriod,
            });
            elector.OnStartedLeading += () =>
            {
                leadership.Started();
                LogLeading(settings.Identity);
                trigger.Request("leadership acquired");
            };
            elector.OnStoppedLeading += () =>
            {
                if (!leadership.IsLeader) return;
                leadership.Stopped();
                LogStopped(settings.Identity);
            };
            elector.OnNewLeader += leader =>
            {
                leadership.Observed(leader);
                if (leader != settings.Identity) LogOtherLeader(leader);
            };
            elector.OnError += e => LogError(e.Message);
            try
            {
                await elector.RunUntilLeadershipLostAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // the elector is restarted; this replica stays a non-leader meanwhile
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogError(e.Message);
            }
            if (leadership.IsLeader)
            {
                leadership.Stopped();
                LogStopped(settings.Identity);
            }
            try
            {
                await Task.Delay(settings.RetryPeriod, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "leader election: identity={Identity}, lease {Namespace}/{Lease}; standing by until elected")]
    private partial void LogStarting(string identity, string @namespace, string lease);

    [LoggerMessage(Level = LogLevel.Information, Message = "leader election: {Identity} is the leader; changes are applied")]
    private partial void LogLeading(string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader election: {Identity} lost leadership; no more changes until elected again")]
    private partial void LogStopped(string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "leader election: the leader is {Leader}; standing by (plan and report only)")]
    private partial void LogOtherLeader(string leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader election: {Error}")]
    private partial void LogError(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "leader election: no Kubernetes API configuration ({Error}); this replica never leads")]
    private partial void LogNoApi(string error);
}
