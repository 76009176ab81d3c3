using System.CommandLine;
using Reconciler.Engine.Import;
using Reconciler.Libvirt;

namespace Reconciler.Cli;

/// <summary>
/// <c>reconcile import [NAME...] --connect URI [--all] [--out DIR] [--node NAME] [--keep-macs] [--check]</c>:
/// existing domains become the shortest specs that render back to them.
/// </summary>
internal static class ImportCommand
{
    public static Command Build(Io io, Option<string?> connect)
    {
        var names = new Argument<string[]>("NAME") { Description = "Domains to import (or --all).", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Import every persistent domain of the connection." };
        var output = new Option<string?>("--out") { Description = "Directory the specs are written to (one file per domain, and a Node spec). Without it, nothing is written (use with --check)." };
        var node = new Option<string?>("--node") { Description = "The name of the Node spec written for the connection (default: the host's name)." };
        var noNode = new Option<bool>("--no-node") { Description = "Write no Node spec (plan the directory with --connect)." };
        var keepMacs = new Option<bool>("--keep-macs") { Description = "Write the interfaces' MAC addresses into the specs (adoption keeps them either way; a new node would pick new ones)." };
        var check = new Option<bool>("--check")
        {
            Description = "Prove each import: define the live definition and the spec's rendering on a scratch in-process node (test:///default) and compare libvirt's normalised XML. Exit 1 when one differs.",
        };
        var dependencies = new Option<bool>("--with-dependencies")
        {
            Description = "Also write the Network, StoragePool and Volume specs of what the domains use (network-NAME.yaml, pool-NAME.yaml, volume-NAME.yaml): the networks their interfaces name, the pools their volume: disks name (dir, logical, netfs, rbd, iscsi) and the dir pools their files sit in, with those files as Volume specs. Adopt them with plan/apply --adopt. File disks stay path: disks.",
        };
        var cmd = new Command("import", """
            Turn existing domains into specs: the shortest spec that renders back to each definition. Fields equal to their default
            are left out; what the model does not express is carried as xml: patches, so nothing is lost. Adopt them afterwards:
              reconcile import --connect qemu:///system --all --out ./vms
              reconcile plan ./vms --adopt      # ownership metadata only, disruption none
              reconcile apply ./vms --adopt
            The connection is opened read-only; nothing on the node changes.
            """)
        {
            names, connect, all, output, node, noNode, keepMacs, check, dependencies,
        };
        cmd.SetAction((parse, ct) => Task.FromResult(Run(io, parse.GetValue(names) ?? [], parse.GetValue(connect), parse.GetValue(all), parse.GetValue(output),
            parse.GetValue(node), parse.GetValue(noNode), parse.GetValue(keepMacs), parse.GetValue(check), parse.GetValue(dependencies), ct)));
        return cmd;
    }

    private static int Run(Io io, string[] names, string? connect, bool all, string? output, string? nodeName, bool noNode, bool keepMacs, bool check, bool withDependencies, CancellationToken ct)
    {
        var uri = connect ?? Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI");
        if (uri is null)
        {
            io.Err.WriteLine("error: import needs a connection: --connect URI (e.g. qemu:///system)");
            return CliApp.Error;
        }
        if (names.Length == 0 == !all)
        {
            io.Err.WriteLine(all ? "error: give domain names or --all, not both" : "error: name the domains to import, or pass --all");
            return CliApp.Error;
        }
        if (output is null && !check)
        {
            io.Err.WriteLine("error: nothing to do: pass --out DIR to write the specs, and/or --check to prove the round trip");
            return CliApp.Error;
        }
        IReadOnlyList<ImportOutcome> outcomes;
        string nodeType, hostname;
        try
        {
            outcomes = Importer.Run(new ImportRequest(uri, names, all, keepMacs, check), out nodeType, out hostname, ct);
        }
        catch (LibvirtException e)
        {
            io.Err.WriteLine($"error: cannot read {uri}: {e.Message}");
            return CliApp.Error;
        }
        var failed = false;
        if (output is not null) Directory.CreateDirectory(output);
        foreach (var outcome in outcomes)
        {
            if (outcome.Imported is not { } imported)
            {
                io.Err.WriteLine($"{(all ? "warning" : "error")}: {outcome.Name}: not imported: {outcome.Refused}");
                failed |= !all;
                continue;
            }
            if (output is not null) File.WriteAllText(Path.Combine(output, imported.Name + ".yaml"), imported.Yaml);
            var carried = imported.Carried.Count == 0 ? "no xml: patch"
                : $"{imported.Patches} xml: patch(es) carrying {string.Join(", ", imported.Carried.Distinct(StringComparer.Ordinal))}";
            var verdict = outcome.Differences switch
            {
                null => "",
                { Count: 0 } => "; round trip equal",
                var d => $"; round trip DIFFERS ({d.Count})",
            };
            io.Out.WriteLine($"{imported.Name}: {imported.Modelled} elements in the model, {carried}{verdict}");
            foreach (var difference in outcome.Differences ?? []) io.Out.WriteLine($"    {imported.Name}: {difference}");
            failed |= outcome.Differences is { Count: > 0 };
        }
        if (withDependencies)
        {
            IReadOnlyList<ImportedDependency> written;
            try
            {
                written = Importer.Dependencies(uri, [.. outcomes.Select(o => o.Imported?.Spec).OfType<Core.Model.DomainSpec>()], ct);
            }
            catch (LibvirtException e)
            {
                io.Err.WriteLine($"error: cannot read the dependencies on {uri}: {e.Message}");
                return CliApp.Error;
            }
            foreach (var dependency in written)
            {
                if (dependency.Yaml is null)
                {
                    io.Err.WriteLine($"warning: {dependency.Kind} {dependency.Name}: not written: {dependency.Refused}");
                    continue;
                }
                var prefix = dependency.Kind switch { "StoragePool" => "pool", var k => k.ToLowerInvariant() };
                if (output is not null) File.WriteAllText(Path.Combine(output, $"{prefix}-{dependency.Name}.yaml"), dependency.Yaml);
                io.Out.WriteLine($"{dependency.Kind} {dependency.Name}: written");
            }
        }
        if (output is not null && !noNode)
        {
            var name = nodeName ?? hostname;
            File.WriteAllText(Path.Combine(output, "node.yaml"), Importer.NodeYaml(name, uri));
        }
        var imported_ = outcomes.Count(o => o.Imported is not null);
        var equal = outcomes.Count(o => o.Equal);
        var noPatch = outcomes.Count(o => o.Imported is { Carried.Count: 0 });
        io.Out.WriteLine($"{imported_} of {outcomes.Count} domain(s) imported, {noPatch} with no xml: patch"
            + (check ? $"; {equal} round trip(s) equal" : "") + (output is not null ? $"; specs in {output}" : ""));
        return failed ? CliApp.Error : CliApp.Ok;
    }
}
