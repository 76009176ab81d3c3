using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reconciler.GitHub;
using Reconciler.GitHub.Webhooks;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// The controller's GitHub parts (docs/github.md), from the <c>Reconciler:GitHub</c> section:
/// the <c>reconciler/apply</c> status tracker that <see cref="GitHubObserver"/> feeds, and, with a
/// repository configured, a wrapper around the source that fetches at once when a signed push
/// arrives on the webhook route and marks rejected (invalid) revisions as failed.
/// </summary>
internal static class GitHubIntegration
{
    /// <summary>Reads and checks the settings (every problem at once, as <see cref="InvalidSettingsException"/>) and registers the parts.</summary>
    public static void Add(WebApplicationBuilder builder, ControllerSettings settings)
    {
        var options = builder.Configuration.GetSection($"{ControllerOptions.Section}:{GitHubControllerOptions.Section}").Get<GitHubControllerOptions>()
            ?? new GitHubControllerOptions();
        var log = new LateLog();
        var github = GitHubController.Create(options, settings.Ref, settings.IsGit, Environment.GetEnvironmentVariable, log.Write, out var errors);
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        var services = builder.Services;
        services.AddSingleton(log);
        services.AddSingleton(github);
        services.AddSingleton(_ => github.Status);   // created by a factory, so the container flushes and disposes it
        if (github.Repository is null) return;

        var plain = services.Single(d => d.ServiceType == typeof(ISpecSource));
        services.Remove(plain);
        services.AddSingleton(sp => new PushAwareSource((ISpecSource)plain.ImplementationFactory!(sp), github.Status));
        services.AddSingleton<ISpecSource>(sp => sp.GetRequiredService<PushAwareSource>());
    }

    /// <summary>Maps the webhook route (when a secret is configured) and sends GitHub's retry and failure lines to the log.</summary>
    public static void Map(WebApplication app)
    {
        var github = app.Services.GetRequiredService<GitHubController>();
        app.Services.GetRequiredService<LateLog>().Attach(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Reconciler.GitHub"));
        if (github.Webhook is { } webhook)
        {
            app.MapGitHubPushWebhook(webhook, app.Services.GetRequiredService<PushAwareSource>(), github.WebhookPath);
        }
    }

    /// <summary>GitHub's report lines, logged once the host has a logger (none are written before it starts).</summary>
    internal sealed class LateLog
    {
        private ILogger? _logger;

        public void Attach(ILogger logger) => _logger = logger;

        public void Write(string line) => _logger?.LogWarning("{GitHub}", line);
    }
}

/// <summary>
/// The source as the controller sees it, plus two GitHub hooks: a push accepted by the webhook
/// pokes the source watcher (which fetches now, and a new revision triggers a pass), and a fetched
/// revision whose specs are invalid gets a failed <c>reconciler/apply</c> status.
/// </summary>
internal sealed class PushAwareSource(ISpecSource inner, ApplyStatusTracker status) : ISpecSource, IGitHubPushTrigger
{
    private readonly Lock _gate = new();
    private readonly List<Action> _watchers = [];

    public string Kind => inner.Kind;

    public string Description => inner.Description;

    public string StateDirectory => inner.StateDirectory;

    public async Task<SourceSnapshot> FetchAsync(CancellationToken ct)
    {
        var snapshot = await inner.FetchAsync(ct).ConfigureAwait(false);
        if (!snapshot.IsValid)
        {
            var errors = snapshot.Load.Diagnostics.Count(d => d.Severity == Core.Diagnostics.Severity.Error);
            status.Rejected(snapshot.Revision, $"invalid specs ({errors} error{(errors == 1 ? "" : "s")}); the last good revision stays in force");
        }
        return snapshot;
    }

    public IDisposable Watch(Action changed)
    {
        var watch = inner.Watch(changed);
        lock (_gate) _watchers.Add(changed);
        return new Unwatch(this, changed, watch);
    }

    public ValueTask OnPushAsync(GitHubPush push, CancellationToken ct)
    {
        Action[] watchers;
        lock (_gate) watchers = [.. _watchers];
        foreach (var w in watchers) w();
        return ValueTask.CompletedTask;
    }

    public void Dispose() => inner.Dispose();

    private sealed class Unwatch(PushAwareSource owner, Action changed, IDisposable inner) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._watchers.Remove(changed);
            inner.Dispose();
        }
    }
}
