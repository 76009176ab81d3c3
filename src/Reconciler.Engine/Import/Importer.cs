using System.Text.RegularExpressions;

namespace Reconciler.Engine.Import;

/// <summary>What to import from one connection.</summary>
/// <param name="Uri">The libvirt URI.</param>
/// <param name="Names">The domains to import; empty with <paramref name="All"/>.</param>
/// <param name="All">Every persistent domain of the connection.</param>
/// <param name="KeepMacs">Write MAC addresses into the specs.</param>
/// <param name="Check">Prove each import on a scratch node.</param>
public sealed record ImportRequest(string Uri, IReadOnlyList<string> Names, bool All, bool KeepMacs, bool Check);

/// <summary>The outcome of one domain: imported (with its round-trip differences when checked) or refused.</summary>
public sealed record ImportOutcome(string Name, ImportedDomain? Imported, string? Refused, IReadOnlyList<string>? Differences)
{
    /// <summary>Checked, and equal.</summary>
    public bool Equal => Differences is { Count: 0 };
}

/// <summary>
/// Imports the domains of one connection: each is read (inactive definition, run state, autostart)
/// and turned into a spec on its own, so a domain that cannot be read or imported is reported and
/// the others go on. The connection is opened read-only: import changes nothing on the node.
/// </summary>
public static partial class Importer
{
    /// <summary>Imports the requested domains; the node's domain type and host name come back for the Node spec.</summary>
    public static IReadOnlyList<ImportOutcome> Run(ImportRequest request, out string nodeDomainType, out string hostname, CancellationToken ct)
    {
        using var connection = LibvirtConnection.Open(request.Uri, readOnly: true);
        nodeDomainType = NodeSession.PickDomainType(connection.GetCapabilities());
        hostname = SafeHostname(connection);
        var outcomes = new List<ImportOutcome>();
        using var roundTrip = request.Check ? new RoundTrip() : null;
        var names = request.All
            ? [.. connection.ListAllDomains().Select(d => { using (d) return d.Name; }).Order(StringComparer.Ordinal)]
            : request.Names;
        foreach (var name in names)
        {
            ct.ThrowIfCancellationRequested();
            outcomes.Add(ImportOne(connection, name, request, nodeDomainType, roundTrip));
        }
        return outcomes;
    }

    private static ImportOutcome ImportOne(LibvirtConnection connection, string name, ImportRequest request, string nodeType, RoundTrip? roundTrip)
    {
        try
        {
            using var domain = connection.LookupDomainByName(name);
            if (domain is null) return new ImportOutcome(name, null, $"no domain named '{name}' on {request.Uri}", null);
            if (!domain.IsPersistent) return new ImportOutcome(name, null, $"domain '{name}' is transient (it has no definition to import)", null);
            var running = domain.IsActive;
            var autostart = domain.Autostart;
            var xml = domain.GetXmlDesc(DomainXmlFlags.Inactive);
            var imported = DomainImporter.Import(xml, new ImportOptions(nodeType, request.KeepMacs, running, autostart));
            return new ImportOutcome(name, imported, null, roundTrip?.Differences(imported));
        }
        catch (ImportRefusedException e)
        {
            return new ImportOutcome(name, null, e.Message, null);
        }
        catch (LibvirtException e)
        {
            return new ImportOutcome(name, null, $"domain '{name}' could not be read: {e.Message}", null);
        }
        catch (RenderException e)
        {
            return new ImportOutcome(name, null, $"domain '{name}': its spec does not render: {e.Message}", null);
        }
    }

    /// <summary>The Network, StoragePool and Volume specs of what <paramref name="domains"/> use (<see cref="DependencyImporter"/>), read over a read-only connection.</summary>
    public static IReadOnlyList<ImportedDependency> Dependencies(string uri, IReadOnlyList<DomainSpec> domains, CancellationToken ct)
    {
        using var connection = LibvirtConnection.Open(uri, readOnly: true);
        return DependencyImporter.Import(connection, domains, ct);
    }

    /// <summary>The Node spec text for the connection, so that the directory plans with no --connect.</summary>
    public static string NodeYaml(string name, string uri) =>
        SpecDocument.Write("Node", name, new YamlMap().Set("uri", uri), "written by reconcile import");

    private static string SafeHostname(LibvirtConnection connection)
    {
        string host;
        try
        {
            host = connection.Hostname;
        }
        catch (LibvirtException)
        {
            host = "node";
        }
        var name = DomainImporter.SuggestName(host.Split('.')[0]);
        return NodeName().IsMatch(name) ? name : "node";
    }

    [GeneratedRegex(Patterns.Name)]
    private static partial Regex NodeName();
}
