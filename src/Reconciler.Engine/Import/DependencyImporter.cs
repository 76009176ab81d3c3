using Reconciler.Specs;

namespace Reconciler.Engine.Import;

/// <summary>A Network, StoragePool or Volume spec written for what imported domains use, or why it was not.</summary>
/// <param name="Kind">Network, StoragePool or Volume.</param>
/// <param name="Name">The libvirt name.</param>
/// <param name="Yaml">The spec text (loaded back through the loader before it is returned), or null when refused.</param>
/// <param name="Refused">Why no spec was written (the domains then reference it as an external resource).</param>
public sealed record ImportedDependency(string Kind, string Name, string? Yaml, string? Refused);

/// <summary>
/// <c>reconcile import --with-dependencies</c>: the networks the imported domains' interfaces name,
/// the pools their disks name or sit in (a file in a dir pool's directory), and the volumes those
/// disk files are, each as the shortest spec (fields equal to their default left out), so that
/// <c>plan --adopt</c> adopts them as it adopts the domains. Disks stay <c>path:</c> disks: a
/// <c>volume:</c> disk renders <c>&lt;disk type='volume'&gt;</c>, which would change the adopted
/// definition of a <c>type='file'</c> disk. A pool of another type (logical, netfs, rbd, iscsi) is
/// written when a <c>volume:</c> disk names it; its volumes are not written as Volume specs (they
/// are the storage's own: LVM volumes, RBD images, LUNs).
/// </summary>
internal static class DependencyImporter
{
    public static IReadOnlyList<ImportedDependency> Import(LibvirtConnection connection, IReadOnlyList<DomainSpec> domains, CancellationToken ct)
    {
        var result = new List<ImportedDependency>();
        foreach (var name in domains.SelectMany(d => d.Interfaces).Select(n => n.Network).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            result.Add(Network(connection, name));
        }
        var pools = new List<(string Name, string Xml, string Type, string? Path, bool Autostart, List<LibvirtStorageVolume> Volumes)>();
        try
        {
            foreach (var pool in connection.ListAllStoragePools())
            {
                using (pool)
                {
                    // The pool's type and directory are the same in its running and inactive XML (the test driver has only the former).
                    try
                    {
                        var xml = pool.GetXmlDesc();
                        var (type, path) = StorageXml.ParsePool(xml);
                        pools.Add((pool.Name, xml, type, path, pool.Autostart, [.. pool.IsActive ? pool.ListAllVolumes() : []]));
                    }
                    catch (Exception e) when (e is LibvirtException or RenderException)
                    {
                        // A pool that cannot be read is no dependency anyone can write: its disks stay plain paths.
                        result.Add(new ImportedDependency("StoragePool", pool.Name, null, $"pool '{pool.Name}' could not be read: {e.Message}"));
                    }
                }
            }
            var disks = domains.SelectMany(d => d.Disks).ToList();
            foreach (var pool in pools.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                ct.ThrowIfCancellationRequested();
                var named = disks.Any(d => d.Pool == pool.Name);
                var files = pool.Path is { } dir && pool.Type == "dir"
                    ? disks.Where(d => d.Device == DiskDevice.Disk && d.Path is { } p && Path.GetDirectoryName(p) == dir.TrimEnd('/')).Select(d => d.Path!).Distinct(StringComparer.Ordinal).ToList()
                    : [];
                if (!named && files.Count == 0) continue;
                result.Add(Pool(pool.Name, pool.Xml, pool.Autostart));
                foreach (var file in files) result.Add(Volume(pool.Name, file, pool.Volumes));
            }
        }
        finally
        {
            foreach (var volume in pools.SelectMany(p => p.Volumes)) volume.Dispose();
        }
        return result;
    }

    internal static ImportedDependency Network(LibvirtConnection connection, string name)
    {
        try
        {
            using var network = connection.LookupNetworkByName(name);
            if (network is null) return new ImportedDependency("Network", name, null, $"no network named '{name}' on the node");
            string xml;
            try
            {
                xml = network.GetXmlDesc(inactive: true);
            }
            catch (LibvirtInvalidArgumentException)
            {
                // The test driver has no inactive flag (its networks are never changed while running).
                xml = network.GetXmlDesc();
            }
            var spec = NetworkXml.Parse(xml).Spec;
            var yaml = new YamlMap()
                .Set("mode", spec.Mode == NetworkMode.Nat ? null : spec.Mode.ToString().ToLowerInvariant())
                .Set("pf", spec.Mode == NetworkMode.Hostdev ? spec.ForwardDev : null)
                .Set("dev", spec.Mode == NetworkMode.Direct ? spec.ForwardDev : null)
                .Set("directMode", spec.DirectMode is { } dm && dm != "bridge" ? dm : null)
                .Set("bridge", spec.Bridge);
            if (spec.Ipv4 is { } v4)
            {
                var ip = yaml.Map("ipv4").Set("address", $"{v4.Address}/{v4.Prefix.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                if (v4.DhcpStart is not null || v4.Hosts.Count > 0)
                {
                    var dhcp = ip.Map("dhcp").Set("start", v4.DhcpStart).Set("end", v4.DhcpEnd);
                    dhcp.List("hosts", v4.Hosts.Select(h => (object)new YamlMap().Set("mac", h.Mac).Set("ip", h.Ip).Set("name", h.Name)));
                }
            }
            if (spec.Ipv6 is { } v6)
            {
                var ip = yaml.Map("ipv6").Set("address", v6.Address).Set("prefix", v6.Prefix);
                if (v6.DhcpStart is not null) ip.Map("dhcp").Set("start", v6.DhcpStart).Set("end", v6.DhcpEnd);
            }
            yaml.Set("mtu", spec.Mtu).Set("domain", spec.Domain);
            yaml.List("dnsForwarders", (spec.DnsForwarders ?? []).Select(f => (object)f));
            yaml.List("dnsHosts", spec.DnsHosts.Select(h => (object)new YamlMap().Set("ip", h.Ip).Set("hostname", h.Hostname)));
            yaml.Set("autostart", network.Autostart ? null : false);
            return Load("Network", name, SpecDocument.Write("Network", name, yaml));
        }
        catch (Exception e) when (e is LibvirtException or RenderException or ImportRefusedException)
        {
            return new ImportedDependency("Network", name, null, $"network '{name}' could not be imported: {e.Message}");
        }
    }

    /// <summary>
    /// The StoragePool spec of a pool's definition, shortest form: the type (dir left out), the
    /// target path of dir and netfs pools, and the source of the others (a logical pool's volume
    /// group left out when it is the pool's name, a netfs format when auto). <c>build</c> is not
    /// written: the pool exists.
    /// </summary>
    internal static ImportedDependency Pool(string name, string xml, bool autostart)
    {
        string type;
        string? path;
        PoolSource? source;
        try
        {
            (type, path) = StorageXml.ParsePool(xml);
            source = StorageXml.ParsePoolSource(xml);
        }
        catch (Exception e) when (e is RenderException or System.Xml.XmlException)
        {
            return new ImportedDependency("StoragePool", name, null, $"pool '{name}' could not be read: {e.Message}");
        }
        var yaml = new YamlMap().Set("type", type == "dir" ? null : type);
        switch (type)
        {
            case "dir":
                yaml.Set("path", path);
                break;
            case "netfs":
                yaml.Set("path", path).Set("netfs", new YamlMap().Set("host", source?.Host).Set("export", source?.Export)
                    .Set("format", source?.Format is null or "auto" ? null : source.Format));
                break;
            case "logical":
                yaml.Set("devices", source?.Devices is { Count: > 0 } devices ? devices.Select(d => (object)d).ToList() : null)
                    .Set("volumeGroup", source?.Name is { } group && group != name ? group : null);
                break;
            case "rbd":
                yaml.Set("rbd", new YamlMap().Set("hosts", source?.MonitorHosts.Select(h => (object)h).ToList()).Set("pool", source?.Name)
                    .Set("auth", source?.Auth is { } auth ? new YamlMap().Set("username", auth.Username).Set("secretUuid", auth.SecretUuid) : null));
                break;
            case "iscsi":
                yaml.Set("iscsi", new YamlMap().Set("host", source?.Host).Set("iqn", source?.Iqn));
                break;
            default:
                return new ImportedDependency("StoragePool", name, null, $"pool '{name}' is of type '{type}': Reconciler manages dir, logical, netfs, rbd and iscsi pools; write its spec by hand (the domains reference it as an external pool)");
        }
        yaml.Set("autostart", autostart ? null : false);
        return Load("StoragePool", name, SpecDocument.Write("StoragePool", name, yaml));
    }

    /// <summary>The Volume spec of a disk file in a dir pool: its size in the largest exact unit and its format.</summary>
    private static ImportedDependency Volume(string pool, string file, IReadOnlyList<LibvirtStorageVolume> volumes)
    {
        var name = Path.GetFileName(file);
        var volume = volumes.FirstOrDefault(v => v.Name == name);
        if (volume is null) return new ImportedDependency("Volume", name, null, $"'{file}' is in pool '{pool}'s directory but not one of its volumes (refresh the pool)");
        var (capacity, format, backing, _) = StorageXml.ParseVolume(volume.GetXmlDesc());
        if (format is not ("qcow2" or "raw")) return new ImportedDependency("Volume", name, null, $"volume '{name}' is of format '{format}': Volume specs are qcow2 or raw");
        if (backing is not null) return new ImportedDependency("Volume", name, null, $"volume '{name}' has a backing file ({backing}): write its baseImage by hand");
        return Load("Volume", name, SpecDocument.Write("Volume", name,
            new YamlMap().Set("pool", pool).Set("size", ByteSize.Format(capacity)).Set("format", format == "qcow2" ? null : format)));
    }

    /// <summary>The spec text loaded back as <c>plan</c> would read it; an error is a bug in the writer, named with the text.</summary>
    private static ImportedDependency Load(string kind, string name, string yaml)
    {
        var loaded = SpecLoader.LoadFiles("import", [(name + ".yaml", yaml)]);
        if (!loaded.HasErrors) return new ImportedDependency(kind, name, yaml, null);
        var errors = string.Join("; ", loaded.Diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.ToString()));
        return new ImportedDependency(kind, name, null, $"{kind} '{name}': the written spec does not load ({errors})");
    }
}
