using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;
using Reconciler.Rendering;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out plan steps for pools, volumes (and cloud-init seeds) and networks. Each step reads
/// what it needs from the node again, so it acts on the present, not on the plan's snapshot; every
/// destructive step re-checks its guard (ownership, policy, attachment) right before acting.
/// </summary>
/// <remarks>
/// The sandbox (libvirt's test driver) has no storage streams and cannot resize: there, volume
/// content (base images, seeds) is not uploaded and a grow recreates the (empty) volume; sizes,
/// ownership and ordering behave as on a real node.
/// </remarks>
internal static class StorageSteps
{
    /// <summary>Executes one storage change.</summary>
    /// <exception cref="ApplyStepException">A guard refused the step, or its input could not be read.</exception>
    public static void Execute(NodeSession session, Plan plan, ResourceChange change, TextWriter progress)
    {
        var storage = change.Storage ?? new StorageChange();
        try
        {
            switch (change.Kind)
            {
                case ResourceKind.StoragePool:
                    Pool(session, plan, change, storage);
                    break;
                case ResourceKind.Volume when storage.Seed is not null:
                    Seed(session, plan, change, storage, progress);
                    break;
                case ResourceKind.Volume:
                    Volume(session, plan, change, storage, progress);
                    break;
                case ResourceKind.Network:
                    Network(session, plan, change, storage, progress);
                    break;
                default:
                    throw new ApplyStepException($"no storage step for {change.Kind}");
            }
        }
        catch (IOException e)
        {
            throw new ApplyStepException(e.Message);
        }
    }

    /// <summary>Why a saved plan's step is stale (the object changed since), or null.</summary>
    public static string? Stale(NodeSession session, ResourceChange change)
    {
        string? now = change.Kind switch
        {
            ResourceKind.StoragePool => StorageReader.ReadPool(session, change.Name)?.Fingerprint,
            ResourceKind.Network => StorageReader.ReadNetwork(session.Connection, change.Name)?.Fingerprint,
            ResourceKind.Volume => change.Storage?.Pool is { } pool
                ? StorageReader.ReadPool(session, pool)?.Volumes.FirstOrDefault(v => v.Name == change.Name)?.Fingerprint
                : null,
            _ => null,
        };
        if (change.LiveFingerprint is null) return now is null ? null : "now exists";
        if (now is null) return "no longer exists";
        return now == change.LiveFingerprint ? null : "changed since the plan was made";
    }

    // ---- pools ----

    private static void Pool(NodeSession session, Plan plan, ResourceChange change, StorageChange storage)
    {
        var store = LedgerStore.For(session.Target);
        var conn = session.Connection;
        switch (change.Action)
        {
            case ChangeAction.Create:
            {
                var spec = storage.PoolSpec!;
                using var pool = conn.DefineStoragePool(StorageXml.Pool(spec), validate: true);
                pool.Build(StoragePoolBuildFlags.New);
                pool.Create();
                pool.Autostart = spec.Autostart;
                // A pool defined again on a directory Reconciler used before finds its old ledger: the records stay.
                var (old, _, _) = store.Read(pool);
                store.Write(pool, (old ?? StorageLedger.Empty) with { Pool = Owner(spec.Name, plan) });
                break;
            }
            case ChangeAction.Start:
            case ChangeAction.Update:
            {
                using var pool = conn.LookupStoragePoolByName(change.Name) ?? throw new ApplyStepException($"storage pool {change.Name} is not on node {session.Target.Name}");
                if (!pool.IsActive) pool.Create();
                if (storage.PoolSpec is { } spec)
                {
                    if (pool.Autostart != spec.Autostart) pool.Autostart = spec.Autostart;
                    if (storage.Adopt)
                    {
                        var (old, error, _) = store.Read(pool);
                        if (error is not null) throw new ApplyStepException($"storage pool {change.Name}: its ledger cannot be read ({error})");
                        store.Write(pool, (old ?? StorageLedger.Empty) with { Pool = Owner(spec.Name, plan) });
                    }
                }
                break;
            }
            case ChangeAction.Destroy:
            {
                using var pool = conn.LookupStoragePoolByName(change.Name) ?? throw new ApplyStepException($"storage pool {change.Name} is already gone");
                var live = StorageReader.ReadPool(session, change.Name)!;
                if (live.Ledger?.Pool?.Source != plan.Source) throw new ApplyStepException($"storage pool {change.Name} is not owned by {plan.Source} any more; it is kept");
                var users = Users(session, live.Name, live.Volumes);
                if (users.Count > 0) throw new ApplyStepException($"storage pool {change.Name} is still used by domain(s) {string.Join(", ", users)}; it is kept");
                // Forget the pool's ownership (not its volume records: the files stay) before it goes.
                store.Write(pool, live.Ledger with { Pool = null });
                if (pool.IsActive) pool.Destroy();
                pool.Undefine();
                break;
            }
        }
    }

    // ---- volumes ----

    private static void Volume(NodeSession session, Plan plan, ResourceChange change, StorageChange storage, TextWriter progress)
    {
        var store = LedgerStore.For(session.Target);
        using var pool = ActivePool(session, storage.Pool!);
        switch (change.Action)
        {
            case ChangeAction.Create:
                CreateVolume(session, plan, pool, store, storage.Volume!, progress);
                break;
            case ChangeAction.Update when storage.Release:
                Edit(store, pool, change.Name, r => r is not null && pool.LookupVolumeByName(change.Name) is { } v ? Dispose(v, r with { Released = true }) : null);
                progress.WriteLine($"    volume {change.Name} is kept with its data and no longer managed");
                break;
            case ChangeAction.Update when storage.Recreate:
            {
                var (ledger, _, _) = store.Read(pool);
                if (ledger?.Volumes.GetValueOrDefault(change.Name) is not { Complete: false } record || record.Source != plan.Source)
                {
                    throw new ApplyStepException($"volume {change.Name} is not a half-written volume of {plan.Source} any more; it is left alone");
                }
                using (var half = pool.LookupVolumeByName(change.Name)) half?.Delete();
                CreateVolume(session, plan, pool, store, storage.Volume!, progress);
                break;
            }
            case ChangeAction.Update:
            {
                var spec = storage.Volume!;
                using var volume = pool.LookupVolumeByName(change.Name) ?? throw new ApplyStepException($"volume {change.Name} is not in pool {pool.Name}");
                var want = StoragePlanner.RoundedSize(spec.SizeBytes);
                var info = volume.GetInfo();
                if (info.CapacityBytes > want)
                {
                    throw new ApplyStepException($"volume {change.Name} is {ByteSize.Format(info.CapacityBytes)}; shrinking it to {ByteSize.Format(spec.SizeBytes)} is refused");
                }
                if (info.CapacityBytes < want)
                {
                    EnsureRoom(session, pool, $"growing volume {change.Name} to {ByteSize.Format(want)}", want - info.CapacityBytes, $"it stays {ByteSize.Format(info.CapacityBytes)}");
                    Grow(session, pool, volume, want, progress);
                }
                Edit(store, pool, change.Name, r => (r ?? new VolumeRecord(VolumeRole.Volume, spec.Name, plan.Source, plan.Revision, spec.DeletionPolicy, true)) with
                {
                    Role = VolumeRole.Volume,
                    SpecName = spec.Name,
                    Source = plan.Source,
                    Revision = plan.Revision,
                    DeletionPolicy = spec.DeletionPolicy,
                    Complete = true,
                    Released = false,
                });
                break;
            }
            case ChangeAction.Destroy:
            {
                var (ledger, error, _) = store.Read(pool);
                var record = ledger?.Volumes.GetValueOrDefault(change.Name);
                if (error is not null || record is null || record.Source != plan.Source || record.Released)
                {
                    throw new ApplyStepException($"volume {change.Name} is not a volume {plan.Source} created; it is not deleted");
                }
                if (record.Role == VolumeRole.Volume && record.DeletionPolicy != DeletionPolicy.Delete)
                {
                    throw new ApplyStepException($"volume {change.Name} has deletionPolicy {record.DeletionPolicy}; it is not deleted");
                }
                using var volume = pool.LookupVolumeByName(change.Name);
                if (volume is not null)
                {
                    var users = Users(session, pool.Name, [new LiveVolume(change.Name, volume.Path, 0, null, null)]);
                    if (users.Count > 0) throw new ApplyStepException($"volume {change.Name} is attached to domain(s) {string.Join(", ", users)}; it is not deleted");
                    volume.Delete();
                }
                Edit(store, pool, change.Name, _ => null);
                break;
            }
        }
    }

    private static VolumeRecord? Dispose(LibvirtStorageVolume volume, VolumeRecord? record)
    {
        volume.Dispose();
        return record;
    }

    private static void CreateVolume(NodeSession session, Plan plan, LibvirtStoragePool pool, LedgerStore store, VolumeSpec spec, TextWriter progress)
    {
        var format = spec.Format.ToString().ToLowerInvariant();
        var size = StoragePlanner.RoundedSize(spec.SizeBytes);
        // The base image is fetched and verified before anything exists on the node.
        using var image = spec.BaseImage is { } b ? BaseImages.Fetch(b, progress) : null;
        if (image is not null && image.VirtualSize > size && spec.BaseImage!.Mode == BaseImageMode.Backing)
        {
            throw new ApplyStepException($"volume {spec.Name}: the base image is {ByteSize.Format(image.VirtualSize)}, larger than size {ByteSize.Format(spec.SizeBytes)}; nothing was created");
        }
        EnsureRoom(session, pool, $"volume {spec.Name}", image is not null && spec.BaseImage!.Mode != BaseImageMode.Backing ? Math.Max(size, image.VirtualSize) : size,
            "nothing was created");
        var record = new VolumeRecord(VolumeRole.Volume, spec.Name, plan.Source, plan.Revision, spec.DeletionPolicy, Complete: false,
            BaseImage: spec.BaseImage is { } bi ? $"{bi.Source} {image!.Sha256}" : null);
        // Recorded as incomplete first: if Reconciler dies half-way, the next plan knows the volume is half-written.
        Edit(store, pool, spec.Name, _ => record);
        var sandbox = session.Target.IsSandbox;
        try
        {
            if (image is null)
            {
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, format)).Dispose();
            }
            else if (spec.BaseImage!.Mode == BaseImageMode.Backing)
            {
                var basePath = EnsureBase(session, plan, pool, store, image, progress);
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, "qcow2", basePath, image.Format)).Dispose();
            }
            else if (sandbox)
            {
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, format)).Dispose();
                progress.WriteLine("    sandbox: the base image's content is not uploaded (the test driver has no storage streams)");
            }
            else if (image.Format == format)
            {
                using var volume = pool.CreateVolume(StorageXml.Volume(spec.Name, Math.Max(size, image.VirtualSize), format));
                Upload(volume, image.Path, progress);
                pool.Refresh();
                using var again = pool.LookupVolumeByName(spec.Name)!;
                if (again.GetInfo().CapacityBytes < size) again.Resize(size);
            }
            else
            {
                // Another format: upload as it is into a temporary volume, let libvirt convert (qemu-img), drop the temporary.
                var temp = spec.Name + ".upload";
                using var staging = pool.CreateVolume(StorageXml.Volume(temp, image.VirtualSize, image.Format));
                try
                {
                    Upload(staging, image.Path, progress);
                    pool.Refresh();
                    using var staged = pool.LookupVolumeByName(temp)!;
                    using var volume = pool.CreateVolumeFrom(StorageXml.Volume(spec.Name, Math.Max(size, image.VirtualSize), format), staged);
                    if (volume.GetInfo().CapacityBytes < size) volume.Resize(size);
                }
                finally
                {
                    using var leftover = pool.LookupVolumeByName(temp);
                    leftover?.Delete();
                }
            }
        }
        catch (Exception e) when (e is LibvirtException or ApplyStepException or IOException)
        {
            // Never leave a half-written volume: remove it and its record.
            try
            {
                using var partial = pool.LookupVolumeByName(spec.Name);
                partial?.Delete();
                Edit(store, pool, spec.Name, _ => null);
            }
            catch (LibvirtException)
            {
                // The record stays incomplete: the next plan recreates the volume.
            }
            throw new ApplyStepException($"volume {spec.Name}: {e.Message}; the half-written volume was removed");
        }
        Edit(store, pool, spec.Name, _ => record with { Complete = true });
    }

    /// <summary>The pool's shared copy of a base image (base-SHA256[..16].FORMAT), uploaded once; its path.</summary>
    private static string EnsureBase(NodeSession session, Plan plan, LibvirtStoragePool pool, LedgerStore store, BaseImages.Fetched image, TextWriter progress)
    {
        var name = $"base-{image.Sha256[..16]}.{image.Format}";
        var (ledger, _, _) = store.Read(pool);
        using (var existing = pool.LookupVolumeByName(name))
        {
            if (existing is not null && ledger?.Volumes.GetValueOrDefault(name) is { Complete: true }) return existing.Path;
            existing?.Delete(); // a half-written base from an interrupted run
        }
        var record = new VolumeRecord(VolumeRole.Base, name, plan.Source, plan.Revision, DeletionPolicy.Retain, Complete: false, BaseImage: image.Sha256);
        Edit(store, pool, name, _ => record);
        using var volume = pool.CreateVolume(StorageXml.Volume(name, image.VirtualSize, image.Format));
        if (session.Target.IsSandbox) progress.WriteLine("    sandbox: the base image's content is not uploaded (the test driver has no storage streams)");
        else Upload(volume, image.Path, progress);
        Edit(store, pool, name, _ => record with { Complete = true });
        return volume.Path;
    }

    private static void Upload(LibvirtStorageVolume volume, string path, TextWriter progress)
    {
        using var file = File.OpenRead(path);
        progress.WriteLine($"    uploading {ByteSize.Format((ulong)file.Length)} into volume {volume.Name}…");
        if (file.Length > 0) volume.Upload(file, 0, (ulong)file.Length);
    }

    /// <summary>Grows a volume: through the running domains that use it (QEMU owns the image then), else in the pool.</summary>
    private static void Grow(NodeSession session, LibvirtStoragePool pool, LibvirtStorageVolume volume, ulong size, TextWriter progress)
    {
        var grown = false;
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    if (!domain.IsActive) continue;
                    foreach (var target in Targets(domain.GetXmlDesc(DomainXmlFlags.None), pool.Name, volume.Name, volume.Path))
                    {
                        if (grown) continue;
                        domain.BlockResize(target, size);
                        progress.WriteLine($"    grown live through running domain {domain.Name} ({target})");
                        grown = true;
                    }
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing: it uses nothing any more.
                }
            }
        }
        if (grown)
        {
            pool.Refresh();
            return;
        }
        if (session.Target.IsSandbox)
        {
            // The test driver cannot resize: its volumes hold no data, so an empty one of the new size stands in.
            var name = volume.Name;
            var format = StorageXml.ParseVolume(volume.GetXmlDesc()).Format ?? "raw";
            volume.Delete();
            pool.CreateVolume(StorageXml.Volume(name, size, format)).Dispose();
            return;
        }
        volume.Resize(size);
    }

    /// <summary>Target devs of the disks in a domain XML that use the volume (by pool/volume or by path).</summary>
    private static IEnumerable<string> Targets(string domainXml, string pool, string volume, string path)
    {
        var doc = XDocument.Parse(domainXml);
        foreach (var disk in doc.Descendants("disk"))
        {
            var source = disk.Element("source");
            var match = ((string?)source?.Attribute("pool") == pool && (string?)source?.Attribute("volume") == volume)
                || (string?)source?.Attribute("file") == path || (string?)source?.Attribute("dev") == path;
            if (match && (string?)disk.Element("target")?.Attribute("dev") is { } dev) yield return dev;
        }
    }

    /// <summary>Domains (persistent or running definition) that use any of the volumes.</summary>
    internal static List<string> Users(NodeSession session, string pool, IReadOnlyList<LiveVolume> volumes)
    {
        var users = new List<string>();
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    var xmls = new List<string> { domain.GetXmlDesc(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None) };
                    if (domain.IsActive) xmls.Add(domain.GetXmlDesc(DomainXmlFlags.None));
                    if (xmls.Any(x => volumes.Any(v => Targets(x, pool, v.Name, v.Path).Any()))) users.Add(domain.Name);
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing: it attaches nothing any more.
                }
            }
        }
        return users;
    }

    // ---- cloud-init seeds ----

    private static void Seed(NodeSession session, Plan plan, ResourceChange change, StorageChange storage, TextWriter progress)
    {
        var store = LedgerStore.For(session.Target);
        using var pool = ActivePool(session, storage.Pool!);
        var seed = storage.Seed!;
        var ci = seed.CloudInit;
        if (change.Action is not (ChangeAction.Create or ChangeAction.Update)) return;
        var (ledger, _, _) = store.Read(pool);
        var existing = ledger?.Volumes.GetValueOrDefault(ci.SeedVolume);
        if (change.Action == ChangeAction.Update && !storage.Adopt && (existing is null || existing.Role != VolumeRole.Seed || existing.Source != plan.Source))
        {
            throw new ApplyStepException($"volume {ci.SeedVolume} is not a seed {plan.Source} wrote; it is left alone");
        }
        var iso = CloudInitSeed.Build(ci);
        // The old seed is deleted only when the new one fits beside it: a full pool keeps the old seed.
        EnsureRoom(session, pool, $"seed {ci.SeedVolume}", (ulong)iso.Length, existing is null ? "nothing was written" : "the old seed is kept");
        var record = new VolumeRecord(VolumeRole.Seed, seed.Domain, plan.Source, plan.Revision, DeletionPolicy.Delete, Complete: false,
            ContentHash: ci.ContentHash, InstanceId: ci.InstanceId);
        Edit(store, pool, ci.SeedVolume, _ => record);
        using (var old = pool.LookupVolumeByName(ci.SeedVolume))
        {
            // A running guest keeps its open copy; the new seed is read at its next boot.
            old?.Delete();
        }
        using var volume = pool.CreateVolume(StorageXml.Volume(ci.SeedVolume, (ulong)iso.Length, "raw"));
        if (session.Target.IsSandbox)
        {
            progress.WriteLine("    sandbox: the seed image is built but not uploaded (the test driver has no storage streams)");
        }
        else
        {
            volume.Upload(new MemoryStream(iso), 0, (ulong)iso.Length);
            progress.WriteLine($"    seed for {seed.Domain} written ({iso.Length / 1024} KiB, instance-id {ci.InstanceId})");
        }
        Edit(store, pool, ci.SeedVolume, _ => record with { Complete = true });
    }

    // ---- networks ----

    private static void Network(NodeSession session, Plan plan, ResourceChange change, StorageChange storage, TextWriter progress)
    {
        var conn = session.Connection;
        switch (change.Action)
        {
            case ChangeAction.Create:
            {
                var spec = storage.Network!;
                using var network = conn.DefineNetwork(NetworkXml.Render(spec, NetworkOwner(spec, plan)), validate: true);
                network.Create();
                network.Autostart = spec.Autostart;
                break;
            }
            case ChangeAction.Update:
            {
                var spec = storage.Network!;
                using var network = conn.LookupNetworkByName(change.Name) ?? throw new ApplyStepException($"network {change.Name} is not on node {session.Target.Name}");
                var parsed = NetworkXml.Parse(StorageReader.NetworkXmlText(network));
                if (!storage.Adopt && parsed.Owner?.Source != plan.Source) throw new ApplyStepException($"network {change.Name} is not managed by {plan.Source} any more; it is left alone");
                var owner = NetworkOwner(spec, plan);
                if (storage.Recreate)
                {
                    Recreate(session, network, spec, owner, parsed, progress);
                    return;
                }
                if (network.IsActive) UpdateLive(network, spec, parsed.Spec, progress);
                // The persistent definition (with the new owner revision) is written whole; the running one was updated above.
                using (conn.DefineNetwork(NetworkXml.Render(spec, owner, network.Uuid, parsed.Bridge, parsed.Mac), validate: true)) { }
                if (!network.IsActive) network.Create();
                if (network.Autostart != spec.Autostart) network.Autostart = spec.Autostart;
                break;
            }
            case ChangeAction.Destroy:
            {
                using var network = conn.LookupNetworkByName(change.Name) ?? throw new ApplyStepException($"network {change.Name} is already gone");
                var parsed = NetworkXml.Parse(StorageReader.NetworkXmlText(network));
                if (parsed.Owner?.Source != plan.Source) throw new ApplyStepException($"network {change.Name} is not managed by {plan.Source} any more; it is kept");
                var users = NetworkUsers(session, change.Name);
                if (users.Count > 0) throw new ApplyStepException($"network {change.Name} is used by domain(s) {string.Join(", ", users)}; it is kept");
                if (network.IsActive) network.Destroy();
                network.Undefine();
                break;
            }
        }
    }

    /// <summary>Applies DHCP host, DHCP range and DNS host changes to the running network (virNetworkUpdate, live only).</summary>
    private static void UpdateLive(LibvirtNetwork network, NetworkSpec desired, NetworkSpec live, TextWriter progress)
    {
        const NetworkUpdateFlags flags = NetworkUpdateFlags.Live;
        var want = desired.Ipv4?.Hosts.ToDictionary(h => h.Mac, StringComparer.Ordinal) ?? [];
        var have = live.Ipv4?.Hosts.ToDictionary(h => h.Mac, StringComparer.Ordinal) ?? [];
        foreach (var (mac, host) in have)
        {
            if (want.TryGetValue(mac, out var w) && w == host) continue;
            network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpHost, -1, NetworkXml.Text(NetworkXml.HostElement(host)), flags);
            progress.WriteLine($"    DHCP host {mac} removed live");
        }
        foreach (var (mac, host) in want)
        {
            if (have.TryGetValue(mac, out var h) && h == host) continue;
            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpHost, -1, NetworkXml.Text(NetworkXml.HostElement(host)), flags);
            progress.WriteLine($"    DHCP host {mac} → {host.Ip} added live");
        }
        var oldRange = live.Ipv4 is { DhcpStart: { } s, DhcpEnd: { } e } ? (s, e) : ((string, string)?)null;
        var newRange = desired.Ipv4 is { DhcpStart: { } s2, DhcpEnd: { } e2 } ? (s2, e2) : ((string, string)?)null;
        if (oldRange != newRange)
        {
            if (newRange is { } n) network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, -1, NetworkXml.Text(NetworkXml.RangeElement(n.Item1, n.Item2)), flags);
            if (oldRange is { } o) network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpRange, -1, NetworkXml.Text(NetworkXml.RangeElement(o.Item1, o.Item2)), flags);
            progress.WriteLine("    DHCP range changed live");
        }
        var wantDns = desired.DnsHosts.GroupBy(h => h.Ip).ToDictionary(g => g.Key, g => g.Select(h => h.Hostname).Order(StringComparer.Ordinal).ToList());
        var haveDns = live.DnsHosts.GroupBy(h => h.Ip).ToList();
        foreach (var group in haveDns)
        {
            if (wantDns.TryGetValue(group.Key, out var names) && names.SequenceEqual(group.Select(h => h.Hostname).Order(StringComparer.Ordinal))) continue;
            network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.DnsHost, -1, NetworkXml.Text(NetworkXml.DnsHostElement(group)), flags);
        }
        foreach (var group in desired.DnsHosts.GroupBy(h => h.Ip))
        {
            var old = haveDns.FirstOrDefault(g => g.Key == group.Key);
            if (old is not null && old.Select(h => h.Hostname).Order(StringComparer.Ordinal).SequenceEqual(group.Select(h => h.Hostname).Order(StringComparer.Ordinal))) continue;
            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.DnsHost, -1, NetworkXml.Text(NetworkXml.DnsHostElement(group)), flags);
            progress.WriteLine($"    DNS host {group.Key} set live");
        }
    }

    /// <summary>Destroys and defines the network again (same UUID).</summary>
    private static void Recreate(NodeSession session, LibvirtNetwork network, NetworkSpec spec, OwnerRecord owner, NetworkXml.Parsed parsed, TextWriter progress)
    {
        var uuid = network.Uuid;
        var wasActive = network.IsActive;
        if (wasActive) network.Destroy();
        var keepBridge = spec.Bridge is null && parsed.Spec.Mode != NetworkMode.Bridge && spec.Mode != NetworkMode.Bridge ? parsed.Bridge : null;
        using var defined = session.Connection.DefineNetwork(NetworkXml.Render(spec, owner, uuid, keepBridge, spec.Mode == parsed.Spec.Mode ? parsed.Mac : null), validate: true);
        defined.Create();
        if (defined.Autostart != spec.Autostart) defined.Autostart = spec.Autostart;
        if (!wasActive) return;
        // libvirt does not plug the taps of running guests into a recreated network, and unplugging and
        // plugging the NIC needs the guest's cooperation (a duplicate NIC otherwise): say who is cut off.
        var cut = NetworkUsers(session, spec.Name, runningOnly: true);
        if (cut.Count > 0) progress.WriteLine($"    running domain(s) {string.Join(", ", cut)} stay disconnected until they are stopped and started");
    }

    private static List<string> NetworkUsers(NodeSession session, string network, bool runningOnly = false)
    {
        var users = new List<string>();
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    if (runningOnly && !domain.IsActive) continue;
                    var xml = XDocument.Parse(domain.GetXmlDesc(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None));
                    if (xml.Descendants("interface").Any(n => (string?)n.Element("source")?.Attribute("network") == network)) users.Add(domain.Name);
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing.
                }
            }
        }
        return users;
    }

    // ---- helpers ----

    internal static LibvirtStoragePool ActivePool(NodeSession session, string name)
    {
        var pool = session.Connection.LookupStoragePoolByName(name) ?? throw new ApplyStepException($"storage pool {name} is not on node {session.Target.Name}");
        if (!pool.IsActive)
        {
            pool.Dispose();
            throw new ApplyStepException($"storage pool {name} is not running");
        }
        return pool;
    }

    /// <summary>
    /// Refuses, before anything is written, a volume (or growth) larger than the pool's free space:
    /// libvirt creates volumes sparse, so without this check one that does not fit is made and fails
    /// later, half-written, on the first write that finds the filesystem full. The sandbox is not
    /// checked (the test driver accounts space itself).
    /// </summary>
    private static void EnsureRoom(NodeSession session, LibvirtStoragePool pool, string what, ulong bytes, string outcome)
    {
        if (session.Target.IsSandbox) return;
        pool.Refresh();
        var free = pool.GetInfo().AvailableBytes;
        if (bytes > free)
        {
            throw new ApplyStepException($"pool {pool.Name} has {Approximate(free)} free; {what} needs {Approximate(bytes)}; {outcome}");
        }
    }

    /// <summary>A size for a message, rounded down to one decimal in the largest fitting binary unit (63.9 MiB).</summary>
    private static string Approximate(ulong bytes)
    {
        foreach (var (suffix, factor) in new[] { ("TiB", 1UL << 40), ("GiB", 1UL << 30), ("MiB", 1UL << 20), ("KiB", 1UL << 10) })
        {
            if (bytes >= factor) return (Math.Floor(bytes * 10.0 / factor) / 10).ToString("0.#", CultureInfo.InvariantCulture) + " " + suffix;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    /// <summary>Reads the pool's ledger, changes one record (null removes it), writes it back.</summary>
    internal static void Edit(LedgerStore store, LibvirtStoragePool pool, string volume, Func<VolumeRecord?, VolumeRecord?> change)
    {
        var (ledger, error, _) = store.Read(pool);
        if (error is not null && ledger is null && !error.Contains("inactive", StringComparison.Ordinal))
        {
            throw new ApplyStepException($"the ledger of pool {pool.Name} cannot be read ({error}); nothing is recorded");
        }
        var records = new Dictionary<string, VolumeRecord>(ledger?.Volumes ?? new Dictionary<string, VolumeRecord>(), StringComparer.Ordinal);
        var next = change(records.GetValueOrDefault(volume));
        if (next is null) records.Remove(volume);
        else records[volume] = next;
        store.Write(pool, (ledger ?? StorageLedger.Empty) with { Volumes = records });
    }

    private static OwnerRecord Owner(string name, Plan plan) => new(name, "", plan.Source, plan.Revision, false);

    private static OwnerRecord NetworkOwner(NetworkSpec spec, Plan plan)
    {
        var text = string.Join("\n", NetworkFields.Flatten(spec).Select(f => $"{f.Path}={f.Value}"));
        var hash = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
        return new OwnerRecord(spec.Name, hash, plan.Source, plan.Revision, false);
    }
}
