using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Output;
using Reconciler.Libvirt;

namespace Reconciler.Cli;

/// <summary><c>reconcile snapshot NAME DIR</c> and <c>reconcile snapshots DIR</c>.</summary>
internal static class SnapshotCommands
{
    /// <summary><c>reconcile snapshot NAME DIR [--label why]</c>.</summary>
    public static Command Snapshot(Io io, Argument<string> dirArg, Option<string?> connect)
    {
        var name = new Argument<string>("NAME") { Description = "The domain to snapshot (declared in DIR and managed by Reconciler)." };
        var label = new Option<string?>("--label") { Description = "Why: kept in the snapshot's description and shown by `reconcile snapshots`." };
        var cmd = new Command("snapshot", """
            Take a snapshot of a domain now, as its spec says (spec.snapshots: kind, quiesce, onQuiesceFailure), then delete
            Reconciler's oldest snapshots of it beyond spec.snapshotsToKeep. It is named reconciler-YYYYMMDDTHHMMSSZ and recorded
            as made by hand; `reconcile rollback NAME DIR --snapshot S` restores it. Snapshots anyone else made are never deleted.
            """)
        {
            name, dirArg, connect, label,
        };
        cmd.SetAction((parse, ct) =>
        {
            var loaded = Workspace.Load(parse.GetValue(dirArg)!, parse.GetValue(connect), ct);
            CliApp.Report(io, loaded.Diagnostics);
            if (loaded.HasErrors) return Task.FromResult(CliApp.Error);
            SnapshotNowResult result;
            try
            {
                result = SnapshotOperations.TakeNow(loaded, parse.GetValue(name)!, parse.GetValue(label), DateTimeOffset.UtcNow);
            }
            catch (LibvirtException e)
            {
                io.Err.WriteLine($"error: {e.Message}");
                return Task.FromResult(CliApp.Error);
            }
            if (result.Error is not null || result.Taken?.Name is null)
            {
                io.Err.WriteLine($"error: {result.Error}");
                if (result.Taken?.Skipped is not null) io.Err.WriteLine("    hint: start qemu-ga in the guest, or set spec.snapshots.onQuiesceFailure: proceed");
                return Task.FromResult(CliApp.Error);
            }
            var t = result.Taken;
            io.Out.WriteLine($"Snapshot {t.Name} of {parse.GetValue(name)} taken on {result.Node}"
                + (t.Quiesced switch { true => " (filesystems frozen)", false => $" without freezing the filesystems ({t.QuiesceError})", null => "" }) + ".");
            if (t.Pruned.Count > 0) io.Out.WriteLine($"Deleted {string.Join(", ", t.Pruned)} (snapshotsToKeep).");
            foreach (var why in t.Kept) io.Out.WriteLine($"Kept beyond snapshotsToKeep: {why}.");
            return Task.FromResult(CliApp.Ok);
        });
        return cmd;
    }

    /// <summary><c>reconcile snapshots DIR [--output json]</c>.</summary>
    public static Command List(Io io, Argument<string> dirArg, Option<string?> connect, Option<string> output)
    {
        var cmd = new Command("snapshots", """
            List Reconciler's snapshots of each declared domain, oldest first: when (UTC), kind, size when libvirt reports it,
            and who made it (schedule, update, hand), with the schedule and snapshotsToKeep. Snapshots anyone else made are
            only counted. --output json prints the same as a document (version 1).
            """)
        {
            dirArg, connect, output,
        };
        cmd.SetAction((parse, ct) =>
        {
            var loaded = Workspace.Load(parse.GetValue(dirArg)!, parse.GetValue(connect), ct);
            CliApp.Report(io, loaded.Diagnostics);
            if (loaded.HasErrors) return Task.FromResult(CliApp.Error);
            var domains = SnapshotOperations.List(loaded);
            if (parse.GetValue(output) == "json")
            {
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    version = 1,
                    domains = domains.Select(d => new
                    {
                        node = d.Node,
                        domain = d.Domain,
                        schedule = d.Schedule,
                        keep = d.Keep,
                        others = d.Others,
                        error = d.Error,
                        snapshots = d.Snapshots.Select(s => new
                        {
                            name = s.Name,
                            takenAt = s.TakenAt,
                            kind = s.Kind.ToString().ToLowerInvariant(),
                            origin = s.Origin.ToString().ToLowerInvariant(),
                            state = s.State,
                            quiesced = s.Quiesced,
                            label = s.Label,
                            revision = s.Revision,
                            sizeBytes = s.SizeBytes,
                        }),
                    }),
                }, PlanJson.Options));
                return Task.FromResult(CliApp.Ok);
            }
            foreach (var d in domains)
            {
                var head = $"{d.Domain} on {d.Node ?? "?"}: schedule {d.Schedule ?? "none"}, keep {d.Keep}";
                if (d.Others > 0) head += $", {d.Others} other snapshot(s) not made by Reconciler (never touched)";
                io.Out.WriteLine(head);
                if (d.Error is not null) io.Out.WriteLine($"  ({d.Error})");
                else if (d.Snapshots.Count == 0) io.Out.WriteLine("  (no snapshots by Reconciler)");
                foreach (var s in d.Snapshots)
                {
                    var size = s.SizeBytes is { } b ? Core.Model.ByteSize.Format((ulong)b) : "size n/a";
                    var extra = string.Join(", ", new[]
                    {
                        s.Quiesced switch { true => "quiesced", false => "not quiesced", null => null },
                        s.Label is { } l ? $"label: {l}" : null,
                    }.Where(x => x is not null));
                    io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {s.Name}  {s.TakenAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {s.Kind.ToString().ToLowerInvariant(),-8}  {size,-9}  by {s.Origin.ToString().ToLowerInvariant(),-8}  {s.State}{(extra.Length > 0 ? "  " + extra : "")}"));
                }
            }
            return Task.FromResult(CliApp.Ok);
        });
        return cmd;
    }
}
