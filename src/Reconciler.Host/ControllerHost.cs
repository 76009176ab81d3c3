using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// The controller behind <c>reconcile run</c>: a generic host (ASP.NET Core for the endpoints)
/// with one background service per concern: the source watcher, the reconcile loop and the
/// libvirt event listener. Build it with <see cref="Create"/>, then start and stop it, or
/// <see cref="RunAsync"/> it until SIGTERM.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ControllerHost(WebApplication app) => _app = app;

    /// <summary>
    /// Builds the controller from configuration: the <c>Reconciler</c> section of
    /// <paramref name="configFile"/> (JSON, optional), then environment variables
    /// (<c>Reconciler__Source</c>…), then <paramref name="overrides"/> (the command line).
    /// </summary>
    /// <param name="overrides">Keys such as <c>Reconciler:Source</c>.</param>
    /// <param name="configFile">An appsettings-style JSON file, or null.</param>
    /// <param name="configureLogging">Extra logging setup (tests capture logs with it).</param>
    /// <exception cref="InvalidSettingsException">The configuration is invalid; nothing was started.</exception>
    /// <param name="snapshotClock">The clock the snapshot schedule runs on (tests pass a fake one); null for the system's.</param>
    public static ControllerHost Create(IReadOnlyDictionary<string, string?> overrides, string? configFile = null,
        Action<ILoggingBuilder>? configureLogging = null, TimeProvider? snapshotClock = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new InvalidSettingsException([$"--config: the file '{configFile}' does not exist"]);
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(overrides);

        var options = new ControllerOptions();
        try
        {
            builder.Configuration.GetSection(ControllerOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidSettingsException([e.Message]);
        }
        var settings = ControllerSettings.From(options);
        var election = LeaderElectionSettings.From(builder.Configuration);

        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(o =>
        {
            // The step in flight may wait for a guest's graceful shutdown; give it that long.
            o.ShutdownTimeout = settings.ShutdownTimeout + TimeSpan.FromSeconds(15);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.Listen));

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISpecSource>(_ => settings.IsGit
            ? new GitSource(new GitSourceOptions(settings.Source, settings.Ref, settings.Path, settings.GitCacheDirectory,
                settings.GitDepth, null, settings.GitCredentials))
            : new DirectorySource(settings.Source, settings.Debounce));
        services.AddSingleton<DesiredState>();
        services.AddSingleton<ReconcileTrigger>();
        services.AddSingleton<SourceTrigger>();
        services.AddSingleton<PruneApprovals>();
        services.AddSingleton<StatusStore>();
        services.AddSingleton<Metrics>();
        services.AddSingleton<NodeConnectionService>();
        services.AddSingleton(election);
        services.AddSingleton<Leadership>();
        services.AddHostedService<LeaderElectionService>();
        services.AddSingleton<PassPolicies>();
        // The status store first: whatever is told after it sees the pass recorded.
        services.AddSingleton<IReconcileObserver>(sp => new ReconcileObservers([
            ActivatorUtilities.CreateInstance<StatusObserver>(sp),
            ActivatorUtilities.CreateInstance<GitHubObserver>(sp),
            ActivatorUtilities.CreateInstance<MetricsObserver>(sp),
            ActivatorUtilities.CreateInstance<LogObserver>(sp),
            sp.GetRequiredService<Dashboard.ActivityLog>(),
            sp.GetRequiredService<SnapshotWake>(),
        ]));
        services.AddSingleton<ReconcileService>();
        services.AddHostedService<SourceService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReconcileService>());
        services.AddHostedService<LibvirtEventService>();
        services.AddSingleton<GuestStore>();
        services.AddSingleton<GuestWake>();
        services.AddHostedService<GuestWatchService>();
        services.AddSingleton(new SnapshotClock(snapshotClock ?? TimeProvider.System));
        services.AddSingleton<SnapshotStore>();
        services.AddSingleton<SnapshotWake>();
        services.AddHostedService<SnapshotScheduleService>();
        Dashboard.DashboardEndpoints.AddServices(services);
        GitHubIntegration.Add(builder, settings);

        var app = builder.Build();
        MapEndpoints(app);
        ActionEndpoints.Map(app);
        Dashboard.DashboardEndpoints.Map(app);
        GitHubIntegration.Map(app);
        return new ControllerHost(app);
    }

    /// <summary>The HTTP base address actually bound (useful with port 0).</summary>
    public Uri BaseAddress
    {
        get
        {
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("the controller is not started");
            return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        }
    }

    /// <summary>The current status document.</summary>
    public StatusDocument Status => BuildStatus(_app.Services);

    /// <summary>Starts every service and the endpoint.</summary>
    public Task StartAsync(CancellationToken ct) => _app.StartAsync(ct);

    /// <summary>Stops: the step in flight finishes, the rest of the pass is abandoned.</summary>
    public Task StopAsync(CancellationToken ct) => _app.StopAsync(ct);

    /// <summary>Completes when the host begins to stop (SIGTERM/SIGINT through its lifetime) or <paramref name="ct"/> is cancelled.</summary>
    public async Task WaitForShutdownSignalAsync(CancellationToken ct)
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = _app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        using var b = ct.Register(() => stopping.TrySetResult());
        await stopping.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Declares this process the controller's alone (<c>reconcile run</c>): memory freed by a pass is
    /// given back to the system after it (<see cref="ProcessMemory"/>). Not for a process that hosts
    /// other work, such as a test host.
    /// </summary>
    public static void OwnProcess() => ProcessMemory.Enable();

    /// <summary>Runs until SIGTERM/SIGINT (or <paramref name="ct"/>), then stops gracefully.</summary>
    public Task RunAsync(CancellationToken ct) => _app.RunAsync(ct);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _app.DisposeAsync();

    internal static StatusDocument BuildStatus(IServiceProvider sp)
    {
        var source = sp.GetRequiredService<ISpecSource>();
        var desired = sp.GetRequiredService<DesiredState>();
        var leadership = sp.GetRequiredService<Leadership>();
        var status = sp.GetRequiredService<StatusStore>().Snapshot(desired.Status(source.Kind, source.Description));
        return sp.GetRequiredService<SnapshotStore>().Merge(sp.GetRequiredService<GuestStore>().Merge(status)) with
        {
            Leadership = leadership.Enabled ? new LeadershipStatus(leadership.Identity, leadership.IsLeader, leadership.Leader) : null,
        };
    }

    private static void MapEndpoints(WebApplication app)
    {
        var sp = app.Services;
        var reconcile = sp.GetRequiredService<ReconcileService>();
        app.MapGet("/healthz", () =>
        {
            // Alive while the loop runs; a crashed loop stops the host anyway, but say so if asked in between.
            var broken = reconcile.ExecuteTask is { IsCompleted: true } && !app.Lifetime.ApplicationStopping.IsCancellationRequested;
            return broken ? Results.Text("reconcile loop stopped\n", statusCode: StatusCodes.Status503ServiceUnavailable) : Results.Text("ok\n");
        });
        app.MapGet("/readyz", () =>
        {
            var store = sp.GetRequiredService<StatusStore>();
            return store.Ready ? Results.Text("ready\n")
                : Results.Text("not ready: no successful sync yet\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/status", () => Results.Text(BuildStatus(sp).ToJson(), "application/json"));
        app.MapGet("/metrics", () =>
        {
            var status = BuildStatus(sp);
            var text = sp.GetRequiredService<Metrics>().Render(status, sp.GetRequiredService<StatusStore>().CountByState());
            return Results.Text(text, "text/plain; version=0.0.4; charset=utf-8");
        });
    }

    /// <summary>The default endpoint <c>reconcile status</c> asks.</summary>
    public static Uri DefaultEndpoint => new($"http://{IPAddress.Loopback}:{ControllerOptions.DefaultPort}/");
}
