using System.Security;
using System.Xml;

namespace Reconciler.Engine.Nodes;

internal sealed partial class NodeSession
{
    /// <summary>
    /// Reads what the planner's node checks need, once per read: the host capabilities and the
    /// free huge pages (only when a domain uses huge pages or NUMA cells), and one
    /// domain-capabilities document and one CPU comparison per distinct key of
    /// <paramref name="query"/>. A query that asks for nothing makes no call. A call the driver does not
    /// support, or that fails, is an answer with its reason (the check is skipped and says why);
    /// only a lost connection is thrown.
    /// </summary>
    public NodeHardware ReadHardware(HardwareQuery query)
    {
        if (AsksNothing(query)) return Unasked;
        var host = query.ReadsHost
            ? Answer("virConnectGetCapabilities", () => NodeHardwareXml.ParseHost(Connection.GetCapabilities()))
            : HardwareAnswer<HostCapabilities>.Missing("no domain uses huge pages or NUMA cells");
        var free = !query.HugePages ? HardwareAnswer<FreePageCounts>.Missing("no domain uses huge pages")
            : host.Value is not { } h ? HardwareAnswer<FreePageCounts>.Missing(host.Unavailable!)
            : Answer("virNodeGetFreePages", () => ReadFreePages(h));
        var caps = new Dictionary<DomainCapsKey, HardwareAnswer<DomainCapabilities>>();
        foreach (var key in query.DomainCaps)
        {
            caps[key] = Answer("virConnectGetDomainCapabilities",
                () => NodeHardwareXml.ParseDomain(Connection.GetDomainCapabilities(null, key.Arch, key.Machine, key.DomainType)));
        }
        var compared = new Dictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>();
        foreach (var key in query.CpuComparisons)
        {
            compared[key] = Answer("virConnectCompareHypervisorCPU", () => Compare(key));
        }
        return new NodeHardware(host, free, caps, compared)
        {
            Devices = query.Devices
                ? Answer("virConnectListAllNodeDevices", ReadDevices)
                : HardwareAnswer<NodeDevices>.Missing("no domain asks for host devices"),
        };
    }

    /// <summary>Whether <paramref name="query"/> asks for nothing: <see cref="ReadHardware"/> then makes no call and gives <see cref="Unasked"/>.</summary>
    internal static bool AsksNothing(HardwareQuery query) =>
        !query.ReadsHost && !query.HugePages && query.DomainCaps.Count == 0 && query.CpuComparisons.Count == 0 && !query.Devices;

    /// <summary>What <see cref="ReadHardware"/> gives for a query that asks for nothing, without a connection.</summary>
    internal static NodeHardware Unasked { get; } = new(
        HardwareAnswer<HostCapabilities>.Missing("no domain uses huge pages or NUMA cells"),
        HardwareAnswer<FreePageCounts>.Missing("no domain uses huge pages"),
        new Dictionary<DomainCapsKey, HardwareAnswer<DomainCapabilities>>(),
        new Dictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>())
    {
        Devices = HardwareAnswer<NodeDevices>.Missing("no domain asks for host devices"),
    };

    /// <summary>Every node device's XML (a device removed between the listing and its read is skipped), parsed.</summary>
    private NodeDevices ReadDevices()
    {
        var listed = Connection.ListAllNodeDevices();
        var documents = new List<string>(listed.Count);
        try
        {
            foreach (var device in listed)
            {
                try
                {
                    documents.Add(device.GetXmlDesc());
                }
                catch (LibvirtNotFoundException)
                {
                }
            }
        }
        finally
        {
            foreach (var device in listed) device.Dispose();
        }
        var devices = NodeDevices.Parse(documents);
        // Node devices are what udev told libvirtd (without udev events, only what was there when it started);
        // the interface driver reads the host's interfaces now. Either source makes an interface exist.
        try
        {
            var names = Connection.ListAllInterfaceNames();
            return devices with { NetInterfaces = devices.NetInterfaces.Union(names, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() };
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            return devices;
        }
    }

    private FreePageCounts ReadFreePages(HostCapabilities host)
    {
        // The smallest size is the normal page; the others are huge pages.
        var sizes = host.PageSizesKiB.Order().Skip(1).ToList();
        if (sizes.Count == 0) return new FreePageCounts([]);
        var counts = Connection.GetFreePages(sizes, 0, Math.Max(1, host.Cells.Count));
        return new FreePageCounts(counts.Select(c => new FreePageCount(c.Cell, c.PageKiB, c.Free)).ToList());
    }

    private CpuComparison Compare(CpuCompareKey key)
    {
        var features = key.Features.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => $"<feature policy='require' name='{SecurityElement.Escape(f)}'/>");
        var xml = $"<cpu mode='custom' match='exact'><model fallback='forbid'>{SecurityElement.Escape(key.Model)}</model>{string.Concat(features)}</cpu>";
        try
        {
            var result = Connection.CompareHypervisorCpu(null, key.Caps.Arch, key.Caps.Machine, key.Caps.DomainType, xml, failIncompatible: true);
            return new CpuComparison(result != CpuCompareResult.Incompatible, "");
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.CpuIncompatible)
        {
            return new CpuComparison(false, e.Message);
        }
    }

    private static HardwareAnswer<T> Answer<T>(string call, Func<T> read) where T : class
    {
        try
        {
            return HardwareAnswer<T>.Of(read());
        }
        catch (LibvirtUnsupportedException)
        {
            return HardwareAnswer<T>.Missing($"the node's driver does not support {call}");
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            return HardwareAnswer<T>.Missing($"{call} failed: {e.Message}");
        }
        catch (XmlException e)
        {
            return HardwareAnswer<T>.Missing($"{call} gave unreadable XML: {e.Message}");
        }
    }
}
