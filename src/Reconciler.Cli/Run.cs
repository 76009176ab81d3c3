using System.Globalization;
using Reconciler.Core.Planning;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Nodes;
using Reconciler.Engine.Output;
using Reconciler.Libvirt;
using Reconciler.Rendering;

namespace Reconciler.Cli;

/// <summary>The command handlers: load, call the engine, print, choose the exit code.</summary>
internal static class Run
{
    public static int Render(Io io, string dir, string? name, string? connect, CancellationToken ct)
    {
        var loaded = Workspace.Load(dir, connect, ct);
        CliApp.Report(io, loaded.Diagnostics);
        if (loaded.HasErrors) return CliApp.Error;
        if (name is not null && loaded.Specs!.Domains.All(d => d.Name != name))
        {
            io.Err.WriteLine($"error: no domain named '{name}' in {dir}");
            io.Err.WriteLine("    hint: domains there: " + string.Join(", ", loaded.Specs.Domains.Select(d => d.Name)));
            return CliApp.Error;
        }
        try
        {
            var rendered = Operations.Render(loaded, name);
            foreach (var domain in rendered)
            {
                if (rendered.Count > 1) io.Out.WriteLine($"<!-- domain {domain.Name} on node {domain.Node} -->");
                io.Out.Write(LibvirtText.Of(domain.Xml));
            }
            return CliApp.Ok;
        }
        catch (RenderException e)
        {
            io.Err.WriteLine($"error: {e.Message}");
            return CliApp.Error;
        }
        catch (LibvirtException e)
        {
            io.Err.WriteLine($"error: could not read the node's capabilities: {e.Message}");
            io.Err.WriteLine("    hint: pass --connect, or set spec.domainType to render without a node");
            return CliApp.Error;
        }
    }

    public static async Task<int> PlanAsync(Io io, PlanArgs args, CancellationToken ct)
    {
        NativeHeap.PreferThroughput();
        // The nodes are opened and read while the rest of the specs load (a plan changes nothing).
        using var prefetch = new NodePrefetch(read: true);
        var loaded = Workspace.Load(args.Dir, args.Connect, ct, prefetch);
        CliApp.Report(io, loaded.Diagnostics);
        if (loaded.HasErrors)
        {
            io.Err.WriteLine("The specs have errors; no plan was made.");
            await GitHubPlanPublishing.PublishInvalidAsync(io, args.GitHub, args.Dir, loaded.Diagnostics, ct).ConfigureAwait(false);
            return CliApp.Error;
        }
        var plan = await Operations.PlanAsync(loaded, args.Adopt, ct, args.MaxDisruption, prefetch, args.MassPrune).ConfigureAwait(false);
        io.Out.Write(args.Json ? PlanJson.Render(plan) + Environment.NewLine : PlanText.Render(plan, io.Color));
        if (args.OutFile is not null)
        {
            SavedPlan.Write(args.OutFile, plan);
            if (!args.Json) io.Out.WriteLine($"Saved the plan to {args.OutFile}; apply exactly it with: reconcile apply {args.OutFile}");
        }
        if (!await GitHubPlanPublishing.PublishAsync(io, args.GitHub, plan, ct).ConfigureAwait(false)) return CliApp.Error;
        if (plan.HasErrors) return CliApp.Error;
        return args.DetailedExitCode && !plan.IsEmpty ? CliApp.Changes : CliApp.Ok;
    }

    public static async Task<int> ApplyAsync(Io io, ApplyArgs args, CancellationToken ct)
    {
        NativeHeap.PreferThroughput();
        var options = new ApplyOptions(args.ShutdownTimeout, VerifyLive: false, args.MaxParallelRestarts);
        ApplyReport report;
        LoadedSpecs? loadedSpecs = null;
        try
        {
            if (File.Exists(args.Target))
            {
                if (args.WaitReady is not null)
                {
                    io.Err.WriteLine("error: --wait ready needs a spec directory (a saved plan has no spec.readiness); apply the plan, then run `reconcile apply DIR --wait ready`");
                    return CliApp.Error;
                }
                var saved = SavedPlan.Read(args.Target, out var error);
                if (saved is null)
                {
                    io.Err.WriteLine($"error: {error}");
                    return CliApp.Error;
                }
                io.Out.Write(PlanText.Render(saved, io.Color));
                if (saved.IsEmpty) return CliApp.Ok;
                report = await Operations.ApplySavedAsync(saved, options, args.LockTimeout, io.Out, ct).ConfigureAwait(false);
            }
            else
            {
                // Connections open while the rest of the specs load; the nodes are read under the locks.
                using var prefetch = new NodePrefetch(read: false);
                var loaded = Workspace.Load(args.Target, args.Connect, ct, prefetch);
                CliApp.Report(io, loaded.Diagnostics);
                if (loaded.HasErrors)
                {
                    io.Err.WriteLine("The specs have errors; nothing was applied.");
                    return CliApp.Error;
                }
                loadedSpecs = loaded;
                report = await Operations.PlanAndApplyAsync(loaded, args.Adopt, options, args.LockTimeout,
                    plan => Confirm(io, plan, args.AutoApprove), io.Out, ct, args.MaxDisruption, prefetch, args.MassPrune).ConfigureAwait(false);
                if (report.Plan.IsEmpty)
                {
                    io.Out.Write(PlanText.Render(report.Plan, io.Color));
                    ReportHeld(io, report.Plan);
                    return report.Plan.HasErrors ? CliApp.Error : await WaitReadyAsync(io, args, loaded, ct).ConfigureAwait(false);
                }
                if (!report.Confirmed)
                {
                    io.Err.WriteLine("Apply cancelled: nothing was changed.");
                    return CliApp.Error;
                }
            }
        }
        catch (NodeLockedException e)
        {
            io.Err.WriteLine($"error: {e.Message}");
            io.Err.WriteLine("    hint: wait for that apply to finish, or raise --lock-timeout");
            return CliApp.Error;
        }
        var code = Summarize(io, report);
        if (loadedSpecs is null || args.WaitReady is null) return code;
        if (code != CliApp.Ok)
        {
            io.Err.WriteLine("Not waiting for the guests to be ready: the apply did not complete.");
            return code;
        }
        return await WaitReadyAsync(io, args, loadedSpecs, ct).ConfigureAwait(false);
    }

    /// <summary>The --wait ready part of apply (nothing without it); progress goes to stderr when stdout carries JSON.</summary>
    private static Task<int> WaitReadyAsync(Io io, ApplyArgs args, LoadedSpecs loaded, CancellationToken ct) =>
        args.WaitReady is { } timeout
            ? GuestCommands.WaitAsync(io, loaded, timeout, args.Json ? io.Err : io.Out, ct)
            : Task.FromResult(CliApp.Ok);

    /// <summary>Says which removals were held as a mass removal and how to release them.</summary>
    private static void ReportHeld(Io io, Plan plan)
    {
        foreach (var held in plan.HeldPrunes)
        {
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Held: {held.Count} of the {held.Owned} owned domains on node {held.Node} were not removed (mass removal, revision {held.Revision}): {string.Join(", ", held.Changes.Select(c => c.Name))}."));
        }
        if (plan.HeldPrunes.Count > 0)
        {
            io.Err.WriteLine($"If the specs are complete and these removals are intended, run again with {PruneGuard.AllowFlag}.");
        }
    }

    private static bool Confirm(Io io, Plan plan, bool autoApprove)
    {
        io.Out.Write(PlanText.Render(plan, io.Color));
        // A plan over the disruption gate is refused by apply itself; there is nothing to ask.
        if (autoApprove || plan.Diagnostics.Any(d => d.Code == Planner.GateCode)) return true;
        io.Out.Write($"Apply these {plan.Changes.Count} change(s)? Only 'yes' is accepted: ");
        io.Out.Flush();
        var answer = io.In.ReadLine();
        if (answer is null) io.Out.WriteLine();
        if (answer?.Trim() == "yes") return true;
        if (answer is null) io.Err.WriteLine("No answer on standard input (not a terminal?): use --auto-approve to apply without asking.");
        return false;
    }

    private static int Summarize(Io io, ApplyReport report)
    {
        var result = report.Result!;
        if (result.Refusal is not null)
        {
            io.Err.WriteLine($"error: {result.Refusal}");
            return CliApp.Error;
        }
        var done = result.Steps.Count(s => s.Status == StepStatus.Done);
        var failed = result.Steps.Where(s => s.Status == StepStatus.Failed).ToList();
        var notDone = result.Steps.Where(s => s.Status == StepStatus.NotDone).ToList();
        io.Out.WriteLine();
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Apply complete: {done} done, {failed.Count} failed, {notDone.Count} not done."));
        foreach (var s in failed) io.Out.WriteLine($"  failed:   {s.Change.Name} on {s.Change.Node}: {s.Message}");
        foreach (var s in notDone) io.Out.WriteLine($"  not done: {s.Change.Name} on {s.Change.Node}{(s.Message is null ? "" : ": " + s.Message)}");
        foreach (var d in report.Plan.Diagnostics) io.Err.WriteLine(d.ToString());
        if (failed.Count > 0) io.Out.WriteLine("Run `reconcile plan` to see what is left; applying again retries only what is still different.");
        ReportHeld(io, report.Plan);
        return result.Succeeded && !report.Plan.HasErrors ? CliApp.Ok : CliApp.Error;
    }
}
