using System.CommandLine;
using Reconciler.Engine;
using Reconciler.Libvirt;

namespace Reconciler.Cli;

/// <summary><c>reconcile rollback NAME</c>.</summary>
internal static class RollbackCommand
{
    public static Command Build(Io io, Argument<string> dirArg, Option<string?> connect)
    {
        var name = new Argument<string>("NAME") { Description = "The domain to roll back." };
        var snapshot = new Option<string?>("--snapshot") { Description = "Restore this snapshot instead of the newest one Reconciler took." };
        var cmd = new Command("rollback", "Restore the newest (or --snapshot) internal snapshot Reconciler took of a domain: on schedule, by hand (`reconcile snapshot`) or before a restart or replace change (spec.snapshotBeforeUpdate: true). The spec is not changed: revert it too, or the next apply makes the change again.")
        {
            name, dirArg, connect, snapshot,
        };
        cmd.SetAction((parse, ct) =>
        {
            var loaded = Workspace.Load(parse.GetValue(dirArg)!, parse.GetValue(connect), ct);
            CliApp.Report(io, loaded.Diagnostics);
            if (loaded.HasErrors) return Task.FromResult(CliApp.Error);
            RollbackResult result;
            try
            {
                result = Rollback.Run(loaded, parse.GetValue(name)!, parse.GetValue(snapshot));
            }
            catch (LibvirtException e)
            {
                io.Err.WriteLine($"error: {e.Message}");
                return Task.FromResult(CliApp.Error);
            }
            if (result.Error is not null)
            {
                io.Err.WriteLine($"error: {result.Error}");
                if (result.Available.Count > 0) io.Err.WriteLine("    hint: Reconciler's snapshots: " + string.Join(", ", result.Available));
                return Task.FromResult(CliApp.Error);
            }
            io.Out.WriteLine($"Restored {parse.GetValue(name)} on {result.Node} to snapshot {result.Snapshot}.");
            io.Out.WriteLine("The spec still describes the change: revert it (e.g. git revert) before the next apply, or the change is made again.");
            return Task.FromResult(CliApp.Ok);
        });
        return cmd;
    }
}
