using System.CommandLine;
using System.Net.Sockets;
using Reconciler.Host;

namespace Reconciler.Cli;

/// <summary><c>reconcile run</c> (the controller) and <c>reconcile status</c> (ask a running one).</summary>
internal static class ControllerCommands
{
    /// <summary>Exit code for invalid configuration (sysexits EX_CONFIG; the systemd unit does not restart on it).</summary>
    public const int ConfigError = 78;

    public static IEnumerable<Command> Build(Io io) => [Run(io), Status(io), ApprovePrune(io)];

    /// <summary>The environment variable that names the token file <c>approve-prune</c> reads when no --api-token-file is given.</summary>
    public const string TokenFileVariable = "RECONCILER_API_TOKEN_FILE";

    /// <summary>The environment variable that holds the token itself (used when no token file is named).</summary>
    public const string TokenVariable = "RECONCILER_API_TOKEN";

    private static Command Run(Io io)
    {
        var source = new Option<string?>("--source", "-s") { Description = "A spec directory (watched), or a Git repository URL (https://, ssh://, git://, file://, user@host:path)." };
        var gitRef = new Option<string?>("--ref") { Description = "Git: branch, tag or full commit sha to follow (default main)." };
        var path = new Option<string?>("--path") { Description = "Git: sub-directory of the repository that holds the specs." };
        var interval = new Option<string?>("--interval") { Description = "Git poll interval and shortest full resync period (default 1m; e.g. 30s, 5m)." };
        var resync = new Option<string?>("--resync")
        {
            Description = "How often every definition is read again, to find what libvirt sends no event for (a setmem --config, a metadata edit): "
                + "a duration, or auto (default): --interval, stretched to 100 x the CPU time the last full read took (at most 1h), "
                + "so full reads cost at most 1 % of one core (every few minutes at 10,000 domains).",
        };
        var listen = new Option<string?>("--listen") { Description = $"HTTP endpoint for /healthz /readyz /status /metrics (default 127.0.0.1:{ControllerOptions.DefaultPort})." };
        var drift = new Option<string?>("--drift") { Description = "What to do about domains changed behind our back: correct (default) or report. A domain's reconciler.dev/drift label overrides it." };
        drift.AcceptOnlyFromAmong("correct", "report");
        var maxDisruption = new Option<string?>("--max-disruption") { Description = "The same gate as apply: none | live | next-boot (default) | restart | replace. A domain's spec.updatePolicy overrides it." };
        maxDisruption.AcceptOnlyFromAmong("none", "live", "next-boot", "restart", "replace");
        var suspend = new Option<bool>("--suspend") { Description = "Plan and report only: change nothing." };
        var connect = new Option<string?>("--connect", "-c") { Description = "libvirt URI for specs that define no Node." };
        var adopt = new Option<bool>("--adopt") { Description = "Take over unmanaged domains that have a spec's name." };
        var config = new Option<string?>("--config") { Description = "An appsettings JSON file with a \"Reconciler\" section (lower precedence than environment and flags)." };
        var shutdownTimeout = new Option<string?>("--shutdown-timeout") { Description = "How long a graceful guest shutdown may take before a hard stop (default 60s)." };
        var tokenFile = new Option<string?>("--git-token-file") { Description = "Git over HTTPS: file holding a token or password (else $RECONCILER_GIT_TOKEN)." };
        var username = new Option<string?>("--git-username") { Description = "Git over HTTPS: user name (default git)." };
        var sshKey = new Option<string?>("--git-ssh-key") { Description = "Git over SSH: private key file." };
        var knownHosts = new Option<string?>("--git-known-hosts") { Description = "Git over SSH: known_hosts file (strict host key checking)." };
        var depth = new Option<int?>("--git-depth") { Description = "Git fetch depth: 1 (default, shallow) or 0 for full history." };
        var cache = new Option<string?>("--git-cache") { Description = "Git: where the local cache is kept (default ~/.cache/reconciler/git/…)." };
        var pruneSettle = new Option<string?>("--prune-settle")
        {
            Description = "Directory source: a resource that leaves the specs is removed only once the directory has been unchanged this long "
                + "and a fresh read still lacks it (default 5s; never less than the file-event burst, 10 x debounce, at least 1s). "
                + "Until then its status is Reconciling/PrunePending with the time it is due. A Git revision is atomic: no wait.",
        };
        var massPruneLimit = new Option<string?>("--mass-prune-limit")
        {
            Description = "When a node's domain removals are a mass removal, held (Stalled/MassPruneHeld) until `reconcile approve-prune REVISION`: "
                + $"COUNT,PERCENT%,MAX (default {Core.Planning.PruneLimits.Default}: more than 5 and more than 25 % of the node's owned domains, or more than 50), or off.",
        };
        var apiTokenFile = new Option<string?>("--api-token-file")
        {
            Description = "A file holding the bearer token that every action endpoint (POST /actions/..., e.g. approve-prune) requires. "
                + "Without it action endpoints answer 403; /healthz /readyz /status /metrics stay open. Make one with: openssl rand -hex 32 > FILE",
        };
        var leaderElect = new Option<bool>("--leader-elect")
        {
            Description = "Elect a leader through a Kubernetes Lease (coordination.k8s.io/v1); only the leader changes anything, the others plan and report. "
                + "Lease name, namespace, identity and timings: the Reconciler:LeaderElection settings (identity defaults to $POD_NAME, namespace to $POD_NAMESPACE).",
        };
        var cmd = new Command("run", """
            Run the controller: keep the nodes matching the specs from a directory or a Git repository.
            Every change to the source, every libvirt domain event and every interval starts a pass that reads
            the specs and the nodes afresh; invalid revisions are rejected and the last good one stays in force.
            Status: `reconcile status`, or GET /status, /metrics, /healthz, /readyz on --listen.
            Removals are guarded: a directory must be unchanged for --prune-settle before anything that left it is removed,
            and a mass removal (--mass-prune-limit) waits for `reconcile approve-prune REVISION` (needs --api-token-file).
            Settings may also come from --config FILE and environment variables (Reconciler__Source, ...).
            """)
        {
            source, gitRef, path, interval, resync, listen, drift, maxDisruption, suspend, connect, adopt, config, shutdownTimeout,
            tokenFile, username, sshKey, knownHosts, depth, cache, leaderElect, pruneSettle, massPruneLimit, apiTokenFile,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
            void Set(string key, string? value)
            {
                if (value is not null) overrides[$"{ControllerOptions.Section}:{key}"] = value;
            }
            Set(nameof(ControllerOptions.Source), parse.GetValue(source));
            Set(nameof(ControllerOptions.Ref), parse.GetValue(gitRef));
            Set(nameof(ControllerOptions.Path), parse.GetValue(path));
            Set(nameof(ControllerOptions.Interval), parse.GetValue(interval));
            Set(nameof(ControllerOptions.Resync), parse.GetValue(resync));
            Set(nameof(ControllerOptions.Listen), parse.GetValue(listen));
            Set(nameof(ControllerOptions.Drift), parse.GetValue(drift));
            Set(nameof(ControllerOptions.MaxDisruption), parse.GetValue(maxDisruption));
            if (parse.GetValue(suspend)) Set(nameof(ControllerOptions.Suspend), "true");
            Set(nameof(ControllerOptions.Connect), parse.GetValue(connect));
            if (parse.GetValue(adopt)) Set(nameof(ControllerOptions.Adopt), "true");
            Set(nameof(ControllerOptions.ShutdownTimeout), parse.GetValue(shutdownTimeout));
            Set(nameof(ControllerOptions.GitTokenFile), parse.GetValue(tokenFile));
            Set(nameof(ControllerOptions.GitUsername), parse.GetValue(username));
            Set(nameof(ControllerOptions.GitSshKeyFile), parse.GetValue(sshKey));
            Set(nameof(ControllerOptions.GitKnownHostsFile), parse.GetValue(knownHosts));
            Set(nameof(ControllerOptions.GitDepth), parse.GetValue(depth)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Set(nameof(ControllerOptions.GitCacheDirectory), parse.GetValue(cache));
            Set(nameof(ControllerOptions.PruneSettle), parse.GetValue(pruneSettle));
            Set(nameof(ControllerOptions.MassPruneLimit), parse.GetValue(massPruneLimit));
            Set(nameof(ControllerOptions.ApiTokenFile), parse.GetValue(apiTokenFile));
            if (parse.GetValue(leaderElect)) overrides[LeaderElectionOptions.Section + ":" + nameof(LeaderElectionOptions.Enabled)] = "true";
            return await RunControllerAsync(io, overrides, parse.GetValue(config), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    internal static async Task<int> RunControllerAsync(Io io, IReadOnlyDictionary<string, string?> overrides, string? configFile, CancellationToken ct)
    {
        ControllerHost host;
        try
        {
            ControllerHost.OwnProcess();
            host = ControllerHost.Create(overrides, configFile);
        }
        catch (InvalidSettingsException e)
        {
            io.Err.WriteLine($"reconcile run: {e.Message}");
            io.Err.WriteLine("Nothing was started. See `reconcile run --help` and docs/controller.md.");
            return ConfigError;
        }
        await using (host.ConfigureAwait(false))
        {
            try
            {
                await host.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                io.Err.WriteLine($"reconcile run: cannot listen: {e.Message}");
                io.Err.WriteLine("    hint: another controller may be running; pass --listen 127.0.0.1:PORT");
                return ConfigError;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return CliApp.Ok;
            }
            io.Err.WriteLine($"reconcile run: controller started; status at {host.BaseAddress}status");
            await host.WaitForShutdownSignalAsync(ct).ConfigureAwait(false);
            // SIGTERM/SIGINT: the step in flight finishes, the rest of the pass is abandoned.
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            io.Err.WriteLine("reconcile run: stopped");
            return CliApp.Ok;
        }
    }

    private static Command ApprovePrune(Io io)
    {
        var revision = new Argument<string>("REVISION") { Description = "The revision whose held removals to allow, as `reconcile status` names it (the full revision or its first 7+ characters)." };
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = $"The controller's address (default {ControllerHost.DefaultEndpoint})." };
        var tokenFile = new Option<string?>("--api-token-file")
        {
            Description = $"A file holding the controller's bearer token (the controller's --api-token-file). Else ${TokenFileVariable} names the file, or ${TokenVariable} holds the token.",
        };
        var cmd = new Command("approve-prune", """
            Allow a running controller to carry out the mass removal it holds for REVISION (status Stalled, reason MassPruneHeld).
            The approval is one-shot: it releases the held removals of that revision only; a later mass removal is held again.
            First check that the specs really lost those domains (`reconcile status` lists them); if they did not, fix the specs instead.
            Sends POST /actions/approve-prune/REVISION with the bearer token; the controller refuses it (403) unless started with --api-token-file.
            """)
        {
            revision, endpoint, tokenFile,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(tokenFile) ?? (Environment.GetEnvironmentVariable(TokenFileVariable) is { Length: > 0 } fromEnv ? fromEnv : null);
            string? token;
            try
            {
                token = file is not null ? File.ReadAllText(file).Trim() : Environment.GetEnvironmentVariable(TokenVariable)?.Trim();
            }
            catch (Exception readError) when (readError is IOException or UnauthorizedAccessException)
            {
                io.Err.WriteLine($"error: cannot read the token file {file}: {readError.Message}");
                return CliApp.Error;
            }
            if (string.IsNullOrEmpty(token))
            {
                io.Err.WriteLine($"error: no API token: pass --api-token-file FILE (the file the controller was started with), or set {TokenFileVariable} or {TokenVariable}");
                return CliApp.Error;
            }
            var baseUri = parse.GetValue(endpoint) is { } e ? new Uri(e.Contains("://", StringComparison.Ordinal) ? e : "http://" + e) : ControllerHost.DefaultEndpoint;
            var url = new Uri(baseUri, $"actions/approve-prune/{Uri.EscapeDataString(parse.GetValue(revision)!)}");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            try
            {
                using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
                var body = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).TrimEnd();
                if (response.IsSuccessStatusCode)
                {
                    io.Out.WriteLine(body);
                    return CliApp.Ok;
                }
                io.Err.WriteLine($"error: the controller refused ({(int)response.StatusCode}): {body}");
                return CliApp.Error;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                io.Err.WriteLine($"error: no controller answers at {url}: {ex.Message}");
                io.Err.WriteLine("    hint: pass --endpoint http://HOST:PORT (the controller's --listen)");
                return CliApp.Error;
            }
        });
        return cmd;
    }

    private static Command Status(Io io)
    {
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = $"The controller's address (default {ControllerHost.DefaultEndpoint})." };
        var output = new Option<string>("--output", "-o") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "text", "json");
        var dir = new Argument<string?>("DIR") { Arity = ArgumentArity.ZeroOrOne, Description = "A spec directory: read its domains' nodes directly (state, guest ready, addresses with their source) instead of asking a controller." };
        var connect = new Option<string?>("--connect", "-c") { Description = "With DIR: libvirt URI for specs that define no Node." };
        var cmd = new Command("status", "Show what a running `reconcile run` controller reports: the source revision, nodes, and each resource's condition (Ready, Reconciling, Stalled), last applied revision and last error. "
            + "With DIR: read the nodes of the domains under DIR directly (no controller): state, guest ready (spec.readiness), addresses (source lease, agent or arp).")
        {
            dir, endpoint, output, connect,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(dir) is { } specs) return await GuestCommands.StatusAsync(io, specs, parse.GetValue(connect), parse.GetValue(output) == "json", ct).ConfigureAwait(false);
            var baseUri = parse.GetValue(endpoint) is { } e ? new Uri(e.Contains("://", StringComparison.Ordinal) ? e : "http://" + e) : ControllerHost.DefaultEndpoint;
            var url = new Uri(baseUri, "status");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            string json;
            try
            {
                json = await http.GetStringAsync(url, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                io.Err.WriteLine($"error: no controller answers at {url}: {ex.Message}");
                io.Err.WriteLine("    hint: start one with `reconcile run --source DIR|URL`, or pass --endpoint http://HOST:PORT");
                return CliApp.Error;
            }
            if (parse.GetValue(output) == "json")
            {
                io.Out.WriteLine(json);
                return CliApp.Ok;
            }
            var doc = StatusDocument.Parse(json);
            if (doc is null)
            {
                io.Err.WriteLine($"error: {url} did not return a status document");
                return CliApp.Error;
            }
            io.Out.Write(StatusText.Render(doc));
            return CliApp.Ok;
        });
        return cmd;
    }
}
