using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Libvirt;
using Reconciler.Rendering;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// One open connection to one node for the length of a command: reads the live state and carries
/// out apply steps. For the sandbox, the state is loaded from and saved back to its node file.
/// </summary>
internal sealed class NodeSession : IDisposable
{
    private NodeSession(NodeTarget target, LibvirtConnection connection, string domainType)
    {
        Target = target;
        Connection = connection;
        DomainType = domainType;
    }

    /// <summary>The node this session talks to.</summary>
    public NodeTarget Target { get; }

    /// <summary>The open connection.</summary>
    public LibvirtConnection Connection { get; }

    /// <summary>The domain type new domains get on this node (kvm, qemu or test).</summary>
    public string DomainType { get; }

    /// <summary>Opens <paramref name="target"/>; throws <see cref="LibvirtException"/> when it cannot be reached.</summary>
    public static NodeSession Open(NodeTarget target)
    {
        if (target.SandboxDirectory is { } dir) SandboxNode.EnsureExists(dir);
        var connection = target.KeepAliveInterval is null
            ? LibvirtConnection.Open(target.Uri)
            : LibvirtConnection.Open(target.Uri, new LibvirtConnectOptions { EnableEvents = true });
        try
        {
            // A dropped node is noticed after interval × count seconds instead of a TCP timeout.
            if (target.KeepAliveInterval is { } interval) EnableKeepAlive(connection, interval, target.KeepAliveCount);
            if (target.SandboxDirectory is { } sandbox) SandboxNode.RestoreAutostart(sandbox, connection);
            var type = target.DomainType ?? PickDomainType(connection.GetCapabilities());
            return new NodeSession(target, connection, type);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Keep-alive on a remote connection; in-process drivers (test:///) have none and need none.</summary>
    private static void EnableKeepAlive(LibvirtConnection connection, int interval, int count)
    {
        try
        {
            connection.SetKeepAlive(interval, (uint)Math.Max(1, count));
        }
        catch (LibvirtUnsupportedException)
        {
            // Nothing to drop: the driver runs in this process.
        }
    }

    /// <summary>kvm when the node offers it for hvm guests, else qemu, else whatever it offers (test).</summary>
    internal static string PickDomainType(string capabilitiesXml)
    {
        var types = XDocument.Parse(capabilitiesXml).Descendants("guest")
            .Where(g => (string?)g.Element("os_type") == "hvm")
            .SelectMany(g => g.Descendants("domain"))
            .Select(d => (string?)d.Attribute("type"))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        if (types.Contains("kvm")) return "kvm";
        if (types.Contains("qemu")) return "qemu";
        return types.FirstOrDefault() ?? "qemu";
    }

    /// <summary>Reads every domain on the node into the model.</summary>
    public LiveNode Read()
    {
        var domains = new List<LiveDomain>();
        foreach (var domain in Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    domains.Add(ReadDomain(domain));
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined between the listing and the read: it is simply not there any more.
                }
            }
        }
        return new LiveNode(Target.Name, Target.Uri, DomainType, domains)
        {
            Pools = StorageReader.ReadPools(this),
            Networks = StorageReader.ReadNetworks(Connection),
        };
    }

    /// <summary>Reads one domain by name, or null when it does not exist.</summary>
    public LiveDomain? ReadDomain(string name)
    {
        using var domain = Connection.LookupDomainByName(name);
        try
        {
            return domain is null ? null : ReadDomain(domain);
        }
        catch (LibvirtNotFoundException)
        {
            return null;
        }
    }

    private static LiveDomain ReadDomain(LibvirtDomain domain)
    {
        var (state, _) = domain.GetState();
        var runState = state switch
        {
            DomainRunState.Running or DomainRunState.Blocked => LiveRunState.Running,
            DomainRunState.Paused or DomainRunState.PmSuspended => LiveRunState.Paused,
            DomainRunState.Shutdown => LiveRunState.ShuttingDown,
            DomainRunState.Shutoff => LiveRunState.Stopped,
            _ => LiveRunState.Other,
        };
        var persistent = domain.IsPersistent;
        var autostart = persistent && domain.Autostart;
        var inactiveXml = domain.GetXmlDesc(persistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None);
        ParsedDomain? config = null;
        try
        {
            config = DomainXmlParser.Parse(inactiveXml);
        }
        catch (RenderException)
        {
            // Unparseable definitions stay null; the planner reports them and never touches them.
        }
        DomainSpec? running = null;
        var freeSlots = 0;
        if (runState != LiveRunState.Stopped && persistent && config?.Owner is not null)
        {
            try
            {
                var liveXml = domain.GetXmlDesc(DomainXmlFlags.None);
                running = DomainXmlParser.Parse(liveXml).Spec;
                freeSlots = HotplugSlots.CountFree(liveXml);
            }
            catch (RenderException)
            {
            }
        }
        var fingerprint = Fingerprint(inactiveXml, runState, autostart);
        return new LiveDomain(domain.Name, domain.Uuid, runState, autostart, persistent, config?.Owner, config?.Spec, running, fingerprint)
        {
            FreeHotplugSlots = freeSlots,
        };
    }

    /// <summary>A digest of what a saved plan depends on: the persistent definition, run state and autostart.</summary>
    internal static string Fingerprint(string inactiveXml, LiveRunState state, bool autostart)
    {
        var bytes = Encoding.UTF8.GetBytes($"{state}|{autostart}|{inactiveXml}");
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..24];
    }

    /// <summary>Writes the sandbox's state back to its file; a no-op for real nodes.</summary>
    public void Persist()
    {
        if (Target.SandboxDirectory is { } dir) SandboxNode.Save(dir, Connection);
    }

    /// <inheritdoc/>
    public void Dispose() => Connection.Dispose();
}
