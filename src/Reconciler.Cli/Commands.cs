using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Output;

namespace Reconciler.Cli;

/// <summary>The command tree and its handlers.</summary>
internal sealed class Commands
{
    // Instances, not statics: a command tree is built per invocation, so parallel in-process
    // invocations (tests) never share mutable parser state.
    private readonly Argument<string> DirArg = new("DIR")
    {
        Description = "Directory of *.yaml / *.yml specs (searched recursively). Default: the current directory.",
        DefaultValueFactory = _ => ".",
    };

    private readonly Option<string?> Connect = new("--connect", "-c")
    {
        Description = "libvirt URI to use when the specs define no Node (e.g. qemu:///system). Overrides LIBVIRT_DEFAULT_URI. Without either, the sandbox (libvirt's test driver, kept in DIR/.reconcile) is used.",
    };

    private readonly Option<string> OutputFormat = new("--output", "-o")
    {
        Description = "text (default) or json (versioned; see specs/plan-json.md).",
        DefaultValueFactory = _ => "text",
    };

    private readonly Option<bool> Adopt = new("--adopt")
    {
        Description = "Take over existing domains that have a spec's name but are not managed by Reconciler (UUID, MACs and disks are kept).",
    };

    private readonly Option<string?> MaxDisruption = new("--max-disruption")
    {
        Description = "Refuse the plan when an update would disturb a running guest more than this: none | live | next-boot | restart | replace. "
            + "A domain's spec.updatePolicy overrides it. apply's default is next-boot; plan checks only when given.",
    };

    private readonly Option<bool> AllowMassPrune = new(PruneGuard.AllowFlag)
    {
        Description = "Remove owned domains even when a node would lose more than --mass-prune-limit of them in one go. "
            + "Without it such removals are held (listed, not applied; apply exits 1) and everything else is applied.",
    };

    private readonly Option<string?> MassPruneLimit = new("--mass-prune-limit")
    {
        Description = $"When a node's domain removals count as a mass removal: COUNT,PERCENT%,MAX (default {PruneLimits.Default}: more than 5 "
            + "and more than 25 % of the node's owned domains, or more than 50), or off.",
    };

    private Commands()
    {
        MassPruneLimit.Validators.Add(r =>
        {
            if (r.GetValue(MassPruneLimit) is { } text && !PruneLimits.TryParse(text, out _, out var error)) r.AddError($"--mass-prune-limit: {error}");
        });
        OutputFormat.AcceptOnlyFromAmong("text", "json");
        MaxDisruption.AcceptOnlyFromAmong("none", "live", "next-boot", "restart", "replace");
    }

    /// <summary>The gate named on the command line, or <paramref name="fallback"/>.</summary>
    internal static Disruption? ParseDisruption(string? text, Disruption? fallback) => text switch
    {
        "none" => Disruption.None,
        "live" => Disruption.Live,
        "next-boot" => Disruption.NextBoot,
        "restart" => Disruption.Restart,
        "replace" => Disruption.Replace,
        _ => fallback,
    };

    public static RootCommand Build(Io io) => new Commands().Root(io);

    /// <summary>The guard the command line asks for: off with --allow-mass-prune, else --mass-prune-limit or the default.</summary>
    private PruneLimits MassPrune(ParseResult parse)
    {
        if (parse.GetValue(AllowMassPrune)) return PruneLimits.Unlimited;
        return PruneLimits.TryParse(parse.GetValue(MassPruneLimit) ?? PruneLimits.Default.ToString(), out var limits, out _) ? limits! : PruneLimits.Default;
    }

    private RootCommand Root(Io io)
    {
        var root = new RootCommand("""
            reconcile: GitOps for virtual machines.
            Describe domains (VMs) in YAML, see what would change on your libvirt nodes, and apply it idempotently.

              reconcile validate ./vms              check specs; every error has file:line:column, field and hint
              reconcile render ./vms --name web-1   print the libvirt XML that would be defined
              reconcile plan ./vms                  show what would change, and why; nothing is touched
              reconcile apply ./vms                 apply it (asks first unless --auto-approve)

            With no Node in the specs and no --connect / LIBVIRT_DEFAULT_URI, commands use a sandbox node
            (libvirt's test driver, state kept in ./vms/.reconcile/): try everything with no daemon at all.
            Spec reference: specs/reference.md.
            """);
        root.Subcommands.Add(Validate(io));
        root.Subcommands.Add(Render(io));
        root.Subcommands.Add(PlanCommand(io));
        root.Subcommands.Add(ApplyCommand(io));
        root.Subcommands.Add(RollbackCommand.Build(io, DirArg, Connect));
        root.Subcommands.Add(SnapshotCommands.Snapshot(io, DirArg, Connect));
        root.Subcommands.Add(SnapshotCommands.List(io, DirArg, Connect, OutputFormat));
        foreach (var command in ControllerCommands.Build(io)) root.Subcommands.Add(command);
        root.Subcommands.Add(GuestCommands.Inventory(io, DirArg, Connect));
        root.Subcommands.Add(ImportCommand.Build(io, Connect));
        root.Subcommands.Add(CompletionCommand.Build(io));
        return root;
    }

    private Command Validate(Io io)
    {
        var cmd = new Command("validate", "Load and check every spec under DIR. Exit 0 when valid, 1 with every error listed (file:line:column, field path, hint).")
        {
            DirArg, OutputFormat,
        };
        cmd.SetAction((parse, ct) =>
        {
            var dir = parse.GetValue(DirArg)!;
            var loaded = Workspace.Load(dir, connect: null, ct);
            if (parse.GetValue(OutputFormat) == "json")
            {
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    valid = !loaded.HasErrors,
                    domains = loaded.Specs?.Domains.Count ?? 0,
                    nodes = loaded.Specs?.Nodes.Count ?? 0,
                    diagnostics = loaded.Diagnostics.Select(PlanJson.DiagnosticJson),
                }, PlanJson.Options));
                return Task.FromResult(loaded.HasErrors ? CliApp.Error : CliApp.Ok);
            }
            var errors = CliApp.Report(io, loaded.Diagnostics);
            if (loaded.HasErrors)
            {
                io.Err.WriteLine($"{errors} error(s) in {dir}; nothing was planned or applied.");
                return Task.FromResult(CliApp.Error);
            }
            io.Out.WriteLine($"{dir}: valid ({loaded.Specs!.Domains.Count} domain(s), {loaded.Specs.Nodes.Count} node(s)).");
            return Task.FromResult(CliApp.Ok);
        });
        return cmd;
    }

    private Command Render(Io io)
    {
        var name = new Option<string?>("--name") { Description = "Render only this domain." };
        CompletionCommand.DomainNames(name, DirArg);
        var cmd = new Command("render", "Print the libvirt domain XML Reconciler would define for each spec (after xml patches). Reads the node's capabilities to pick the domain type.")
        {
            DirArg, name, Connect,
        };
        cmd.SetAction((parse, ct) => Task.FromResult(Run.Render(io, parse.GetValue(DirArg)!, parse.GetValue(name), parse.GetValue(Connect), ct)));
        return cmd;
    }

    private Command PlanCommand(Io io)
    {
        var detailed = new Option<bool>("--detailed-exitcode") { Description = "Exit 0 when there are no changes, 2 when there are, 1 on error." };
        var github = new GitHubPlanOptions();
        var outFile = new Option<string?>("--out") { Description = "Save the plan to FILE; `reconcile apply FILE` applies exactly it, and refuses if what it touches changed since." };
        var cmd = new Command("plan", "Show what apply would change on each node, and why. Nothing is touched.")
        {
            DirArg, Connect, OutputFormat, detailed, outFile, Adopt, MaxDisruption, AllowMassPrune, MassPruneLimit,
        };
        github.AddTo(cmd);
        cmd.SetAction((parse, ct) => Run.PlanAsync(io, new PlanArgs(
            parse.GetValue(DirArg)!, parse.GetValue(Connect), parse.GetValue(OutputFormat) == "json",
            parse.GetValue(detailed), parse.GetValue(outFile), parse.GetValue(Adopt),
            ParseDisruption(parse.GetValue(MaxDisruption), null), GitHub: github.Read(parse), MassPrune: MassPrune(parse)), ct));
        return cmd;
    }

    private Command ApplyCommand(Io io)
    {
        var target = new Argument<string>("DIR|PLANFILE")
        {
            Description = "A spec directory (plans, asks, applies), or a plan saved by `plan --out` (applied as saved, without asking).",
            DefaultValueFactory = _ => ".",
        };
        var autoApprove = new Option<bool>("--auto-approve", "-y") { Description = "Do not ask for confirmation." };
        var shutdownTimeout = new Option<int>("--shutdown-timeout")
        {
            Description = "Seconds a graceful (ACPI) shutdown may take before the domain is stopped hard.",
            DefaultValueFactory = _ => 60,
        };
        var lockTimeout = new Option<int>("--lock-timeout")
        {
            Description = "Seconds to wait for another apply on the same node to finish before giving up.",
            DefaultValueFactory = _ => 30,
        };
        var parallelRestarts = new Option<int>("--max-parallel-restarts")
        {
            Description = "How many domains may be restarted at the same time (for updates whose updatePolicy allows restarts).",
            DefaultValueFactory = _ => 1,
        };
        var wait = new Option<string?>("--wait")
        {
            Description = "ready: after applying, wait until every domain whose spec says state: running is ready by its spec.readiness (default: running); "
                + "shows progress per domain and exits 1 naming those not ready in time, and why. Needs a spec directory.",
        };
        wait.AcceptOnlyFromAmong("ready");
        var waitTimeout = new Option<int>("--wait-timeout")
        {
            Description = "Seconds --wait ready waits for all guests together.",
            DefaultValueFactory = _ => GuestCommands.DefaultWaitTimeout,
        };
        var cmd = new Command("apply", """
            Make the nodes match the specs: create, update, start, stop and destroy owned domains. Only domains Reconciler owns are changed; disks are never deleted.
            A mass removal (by default more than 5 of a node's owned domains and more than 25 % of them, or more than 50) is held:
            everything else is applied, the held removals are listed, and apply exits 1. Check that the specs are complete, then run
            again with --allow-mass-prune to remove them.
            """)
        {
            target, Connect, autoApprove, Adopt, shutdownTimeout, lockTimeout, OutputFormat, MaxDisruption, parallelRestarts, AllowMassPrune, MassPruneLimit,
            wait, waitTimeout,
        };
        cmd.SetAction((parse, ct) => Run.ApplyAsync(io, new ApplyArgs(
            parse.GetValue(target)!, parse.GetValue(Connect), parse.GetValue(autoApprove), parse.GetValue(Adopt),
            TimeSpan.FromSeconds(parse.GetValue(shutdownTimeout)), TimeSpan.FromSeconds(parse.GetValue(lockTimeout)),
            parse.GetValue(OutputFormat) == "json", ParseDisruption(parse.GetValue(MaxDisruption), Disruption.NextBoot),
            Math.Max(1, parse.GetValue(parallelRestarts)), MassPrune(parse),
            parse.GetValue(wait) == "ready" ? TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(waitTimeout))) : null), ct));
        return cmd;
    }
}

/// <summary>Arguments of <c>plan</c>.</summary>
internal sealed record PlanArgs(string Dir, string? Connect, bool Json, bool DetailedExitCode, string? OutFile, bool Adopt, Disruption? MaxDisruption, GitHubArgs? GitHub = null,
    PruneLimits? MassPrune = null);

/// <summary>Arguments of <c>apply</c>.</summary>
internal sealed record ApplyArgs(string Target, string? Connect, bool AutoApprove, bool Adopt, TimeSpan ShutdownTimeout, TimeSpan LockTimeout, bool Json,
    Disruption? MaxDisruption, int MaxParallelRestarts, PruneLimits? MassPrune = null, TimeSpan? WaitReady = null);
