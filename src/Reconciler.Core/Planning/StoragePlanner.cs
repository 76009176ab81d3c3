using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Plans storage pools, volumes (and cloud-init seeds) and networks, and resolves what domains
/// reference, as part of <see cref="Planner.Compute"/>. Pure, like the planner. Ownership of pools
/// and volumes comes from each pool's ledger (<see cref="StorageLedger"/>), of networks from their
/// <c>&lt;metadata&gt;</c>; see specs/storage.md.
/// </summary>
public static class StoragePlanner
{
    /// <summary>
    /// Plans the storage kinds of every reachable node and resolves the domains in
    /// <paramref name="byNode"/> in place (disk pools filled in, the seed's pool chosen). A domain
    /// with a dangling reference is reported and kept in the list (so it is not pruned); the returned
    /// state removes its changes in <see cref="StorageState.Finish"/>.
    /// </summary>
    public static StorageState Prepare(SpecSet desired, IReadOnlyList<LiveNode> live, Dictionary<string, List<DomainSpec>> byNode,
        PlanOptions options, List<ResourceChange> changes, List<string> unchanged, List<Diagnostic> diagnostics)
    {
        var state = new StorageState();
        var nodes = live.ToDictionary(n => n.Node, StringComparer.Ordinal);
        string? Single() => live.Count == 1 ? live[0].Node : null;
        var poolSpecs = desired.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);

        string? Place(string kind, ResourceMeta meta, string? node, string field)
        {
            var name = node ?? Single();
            if (name is not null && nodes.ContainsKey(name)) return name;
            diagnostics.Add(Diagnostic.Error("unknown-node",
                name is null ? $"{kind} '{meta.Name}' names no node and there are {live.Count} nodes" : $"{kind} '{meta.Name}' is placed on node '{name}', which is not configured",
                meta.Origin.Find(field), field, "set spec.node to one of: " + string.Join(", ", nodes.Keys)));
            return null;
        }

        var pools = new Dictionary<string, List<StoragePoolSpec>>(StringComparer.Ordinal);
        var volumes = new Dictionary<string, List<VolumeSpec>>(StringComparer.Ordinal);
        var networks = new Dictionary<string, List<NetworkSpec>>(StringComparer.Ordinal);
        foreach (var p in desired.Pools)
        {
            if (Place("storage pool", p.Meta, p.Node, "spec.node") is { } n) Add(pools, n, p);
        }
        foreach (var v in desired.Volumes)
        {
            var node = v.Node ?? (poolSpecs.TryGetValue(v.Pool, out var ps) ? ps.Node ?? Single() : null);
            if (Place("volume", v.Meta, node, v.Node is null ? "spec.pool" : "spec.node") is { } n) Add(volumes, n, v);
        }
        foreach (var net in desired.Networks)
        {
            if (Place("network", net.Meta, net.Node, "spec.node") is { } n) Add(networks, n, net);
        }

        FindVolumeMoves(desired, live, byNode, state, diagnostics);

        foreach (var node in live.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            if (node.Error is not null) continue;
            var context = new NodeContext(desired, node, options, state,
                pools.GetValueOrDefault(node.Node) ?? [], volumes.GetValueOrDefault(node.Node) ?? [], networks.GetValueOrDefault(node.Node) ?? [],
                byNode.GetValueOrDefault(node.Node) ?? [], changes, unchanged, diagnostics);
            context.Run();
            if (byNode.TryGetValue(node.Node, out var list))
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (context.Resolved.TryGetValue(list[i].Name, out var resolved)) list[i] = resolved;
                }
            }
        }
        return state;
    }

    /// <summary>
    /// Finds the owned volumes that move with a domain: the domain's spec now names node T, an owned
    /// domain of that name lives on another node S, and one of its disks names a Volume whose spec is
    /// now in a pool on T while this source's ledger on S records that volume (complete, not
    /// released) in a pool the live domain uses. Such a volume is copied by the domain's move instead
    /// of being created empty on T and released (or deleted) on S by separate steps.
    /// </summary>
    private static void FindVolumeMoves(SpecSet desired, IReadOnlyList<LiveNode> live, Dictionary<string, List<DomainSpec>> byNode,
        StorageState state, List<Diagnostic> diagnostics)
    {
        var reachable = live.Where(n => n.Error is null).OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        var poolNodes = desired.Pools.ToDictionary(p => p.Name, p => p.Node ?? (live.Count == 1 ? live[0].Node : null), StringComparer.Ordinal);
        foreach (var (target, specs) in byNode.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var spec in specs) state.WantedOn[spec.Name] = target;
            if (reachable.FirstOrDefault(n => n.Node == target) is not { } targetNode) continue;
            foreach (var spec in specs)
            {
                if (targetNode.Domains.Any(d => d.Name == spec.Name)) continue;
                var (source, current) = reachable.Where(n => n.Node != target)
                    .Select(n => (n, n.Domains.FirstOrDefault(d => d.Name == spec.Name && d.Persistent && d.Owner?.Source == desired.Source)))
                    .FirstOrDefault(x => x.Item2 is not null);
                if (source is null || current is null) continue;
                if (spec.CloudInit is { } ci && source.Pools.FirstOrDefault(p => p.Ledger?.Volumes.GetValueOrDefault(ci.SeedVolume) is
                        { Role: VolumeRole.Seed } r && r.Source == desired.Source && r.SpecName == spec.Name) is { } seedPool)
                {
                    state.SourceSeeds[(target, spec.Name)] = seedPool.Name;
                }
                var running = IsRunning(current);
                var moves = new List<VolumeMove>();
                for (var i = 0; i < spec.Disks.Count; i++)
                {
                    if (spec.Disks[i].Volume is not { } name || desired.Volumes.FirstOrDefault(v => v.Name == name) is not { } volume) continue;
                    var volumeNode = volume.Node ?? poolNodes.GetValueOrDefault(volume.Pool);
                    if (volumeNode != target) continue;
                    var from = source.Pools.FirstOrDefault(p => p.Name != volume.Pool && p.Ledger?.Volumes.GetValueOrDefault(name) is
                        { Role: VolumeRole.Volume, Complete: true, Released: false } r && r.Source == desired.Source
                        && p.Volumes.FirstOrDefault(v => v.Name == name) is { } lv && Uses(current, p.Name, name, lv.Path));
                    if (from is null) continue;
                    var liveVolume = from.Volumes.First(v => v.Name == name);
                    var field = $"spec.disks[{i}].volume";
                    var where = $"volume '{name}' moves with domain '{spec.Name}' from pool '{from.Name}' on node '{source.Node}' to pool '{volume.Pool}' on node '{target}'";
                    if (running && (spec.Migration ?? MigrationPolicy.Default).Storage != MigrationStorage.Copy)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-needs-copy",
                            $"{where}, but the domain runs and spec.migration.storage is shared: a live migration with shared storage does not copy disks",
                            spec.Meta.Origin.Find(spec.Meta.Origin.Fields.ContainsKey("spec.migration") ? "spec.migration.storage" : "spec.node"), "spec.migration.storage",
                            "set spec.migration: {storage: copy} to copy the volume during the live migration, or keep the Volume in its pool and the domain on its node"));
                        state.Blocked.Add((target, spec.Name));
                    }
                    if (liveVolume.BackingPath is not null)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-backing",
                            $"{where}, but it is a qcow2 overlay on a backing file ({liveVolume.BackingPath}) that is not on the target; Reconciler does not move overlays",
                            volume.Meta.Origin.Find("spec.pool"), "spec.pool",
                            "keep the Volume in its pool and the domain on its node, or make a new volume on the target (its data is not copied)"));
                        state.Blocked.Add((target, spec.Name));
                    }
                    if (targetNode.Pools.FirstOrDefault(p => p.Name == volume.Pool) is { } toPool && toPool.Volumes.Any(v => v.Name == name))
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-target-exists",
                            $"{where}, but pool '{volume.Pool}' on node '{target}' already has a volume of that name; it is not overwritten",
                            volume.Meta.Origin.Find("spec.pool"), "spec.pool",
                            $"remove that volume from node '{target}' yourself if it is stale (virsh vol-delete {name} --pool {volume.Pool}), or choose another pool"));
                        state.Blocked.Add((target, spec.Name));
                        continue;
                    }
                    moves.Add(new VolumeMove(name, from.Name, volume.Pool, liveVolume.Format == "qcow2" ? "qcow2" : "raw", liveVolume.CapacityBytes, volume.DeletionPolicy, volume));
                    state.MovingIn.Add((target, volume.Pool, name));
                    state.MovingOut.Add((source.Node, from.Name, name));
                }
                if (moves.Count > 0) state.VolumeMoves[(target, spec.Name)] = moves;
            }
        }
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    /// <summary>True when a live domain's persistent or running definition uses the volume (by pool/name or by path).</summary>
    internal static bool Uses(LiveDomain domain, string pool, string volume, string? path)
    {
        static bool In(DomainSpec? spec, string pool, string volume, string? path) =>
            spec is not null && spec.Disks.Any(d =>
                (d.Volume == volume && d.Pool == pool) || (path is not null && d.Path == path));
        return In(domain.Config, pool, volume, path) || In(domain.Running, pool, volume, path);
    }

    /// <summary>True when a live domain has an interface on the network.</summary>
    internal static bool UsesNetwork(LiveDomain domain, string network) =>
        (domain.Config?.Interfaces.Any(n => n.Network == network) ?? false)
        || (domain.Running?.Interfaces.Any(n => n.Network == network) ?? false);

    internal static bool IsRunning(LiveDomain d) => d.RunState is LiveRunState.Running or LiveRunState.Paused or LiveRunState.ShuttingDown;

    /// <summary>The size libvirt reports for a requested capacity (qemu-img rounds up to 512-byte sectors).</summary>
    public static ulong RoundedSize(ulong bytes) => (bytes + 511) / 512 * 512;

    private sealed class NodeContext(
        SpecSet desired, LiveNode node, PlanOptions options, StorageState state,
        List<StoragePoolSpec> pools, List<VolumeSpec> volumes, List<NetworkSpec> networks, List<DomainSpec> domains,
        List<ResourceChange> changes, List<string> unchanged, List<Diagnostic> diagnostics)
    {
        private readonly Dictionary<string, LivePool> _livePools = node.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, LiveNetwork> _liveNets = node.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, StoragePoolSpec> _pools = pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, NetworkSpec> _nets = networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, VolumeSpec> _volumes = volumes.ToDictionary(v => v.Name, StringComparer.Ordinal);
        private List<LiveDomain> _kept = [];

        public Dictionary<string, DomainSpec> Resolved { get; } = new(StringComparer.Ordinal);

        private string Source => desired.Source;

        public void Run()
        {
            var wanted = domains.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            // Domains this plan destroys (owned by this source, no longer in the specs, not protected)
            // do not count as users of storage: their destroy runs first.
            // A domain whose spec names another node is moved, not destroyed: it still uses its storage here.
            _kept = node.Domains.Where(d => !(d.Owner is { } o && o.Source == Source && !wanted.Contains(d.Name) && !state.WantedOn.ContainsKey(d.Name) && !o.Protect)).ToList();
            foreach (var domain in domains) ResolveDomain(domain);
            PlanPools();
            PlanVolumes();
            PlanSeeds();
            PlanNetworks();
        }

        // ---- domain references ----

        private void ResolveDomain(DomainSpec domain)
        {
            var errors = 0;
            var external = new List<string>();
            var disks = new List<DiskSpec>(domain.Disks.Count);
            var seed = domain.CloudInit?.SeedVolume;
            for (var i = 0; i < domain.Disks.Count; i++)
            {
                var disk = domain.Disks[i];
                if (disk.Volume is null || disk.Volume == seed)
                {
                    disks.Add(disk);
                    continue;
                }
                var field = $"spec.disks[{i}].volume";
                var pool = ResolveVolume(domain, disk, field, external);
                if (pool is null)
                {
                    errors++;
                    disks.Add(disk);
                    continue;
                }
                // The disk is read in the volume's own format: a qcow2 volume attached as raw would hand the guest the qcow2 metadata.
                var format = VolumeFormatOf(disk.Volume, pool);
                if (disk.Format is not null && format is not null && disk.Format != format)
                {
                    errors++;
                    diagnostics.Add(Diagnostic.Error("format-mismatch",
                        $"domain '{domain.Name}' attaches volume '{disk.Volume}' as {disk.Format}, but the volume is {format}",
                        domain.Meta.Origin.Find($"spec.disks[{i}].format"), $"spec.disks[{i}].format", "remove format: from the disk (it follows the volume)"));
                }
                disks.Add(disk with { Pool = pool, Format = disk.Format ?? format });
            }
            var cloudInit = domain.CloudInit;
            if (cloudInit is not null)
            {
                var pool = cloudInit.Pool ?? disks.FirstOrDefault(d => d.Volume is not null && d.Volume != seed && d.Pool is not null)?.Pool;
                if (pool is null)
                {
                    errors++;
                    diagnostics.Add(Diagnostic.Error("cloud-init-pool",
                        $"domain '{domain.Name}' has cloudInit but no pool for its seed volume",
                        domain.Meta.Origin.Find("spec.cloudInit"), "spec.cloudInit.pool",
                        "set cloudInit.pool, or give the domain a disk that names a volume (the seed goes to that volume's pool)"));
                }
                else if (!PoolKnown(pool))
                {
                    errors++;
                    diagnostics.Add(Dangling(domain, "spec.cloudInit.pool", $"pool '{pool}' (for its cloud-init seed)"));
                }
                else
                {
                    cloudInit = cloudInit with { Pool = pool };
                    for (var i = 0; i < disks.Count; i++)
                    {
                        if (disks[i].Volume == seed) disks[i] = disks[i] with { Pool = pool };
                    }
                }
            }
            for (var i = 0; i < domain.Interfaces.Count; i++)
            {
                if (domain.Interfaces[i].Network is not { } net) continue;
                if (_nets.ContainsKey(net)) continue;
                if (_liveNets.ContainsKey(net))
                {
                    external.Add($"network {net}");
                    continue;
                }
                errors++;
                var elsewhere = desired.Networks.FirstOrDefault(n => n.Name == net);
                diagnostics.Add(elsewhere is null
                    ? Dangling(domain, $"spec.interfaces[{i}].network", $"network '{net}'")
                    : Diagnostic.Error("cross-node-reference",
                        $"domain '{domain.Name}' on node '{node.Node}' uses network '{net}', which is placed on node '{elsewhere.Node}' (at {elsewhere.Meta.Origin.Location})",
                        domain.Meta.Origin.Find($"spec.interfaces[{i}].network"), $"spec.interfaces[{i}].network",
                        "a domain's networks must be on its own node"));
            }
            if (errors > 0)
            {
                state.Blocked.Add((node.Node, domain.Name));
                return;
            }
            if (external.Count > 0) state.External[(node.Node, domain.Name)] = external;
            Resolved[domain.Name] = domain with { Disks = disks, CloudInit = cloudInit };
        }

        private string? ResolveVolume(DomainSpec domain, DiskSpec disk, string field, List<string> external)
        {
            var name = disk.Volume!;
            if (_volumes.TryGetValue(name, out var spec))
            {
                if (disk.Pool is not null && disk.Pool != spec.Pool)
                {
                    diagnostics.Add(Diagnostic.Error("dangling-reference",
                        $"domain '{domain.Name}' uses volume '{name}' in pool '{disk.Pool}', but the Volume spec '{name}' (at {spec.Meta.Origin.Location}) is in pool '{spec.Pool}'",
                        domain.Meta.Origin.Find(field), field, $"remove pool: from the disk, or write pool: {spec.Pool}"));
                    return null;
                }
                return spec.Pool;
            }
            if (desired.Volumes.FirstOrDefault(v => v.Name == name) is { } other)
            {
                diagnostics.Add(Diagnostic.Error("cross-node-reference",
                    $"domain '{domain.Name}' on node '{node.Node}' uses volume '{name}', which is on another node (spec at {other.Meta.Origin.Location})",
                    domain.Meta.Origin.Find(field), field,
                    $"a domain's volumes must be on its own node: to move the volume with the domain, set the Volume's pool to a pool on node '{node.Node}' (a running domain also needs spec.migration.storage: copy)"));
                return null;
            }
            if (disk.Pool is { } pool)
            {
                if (_livePools.TryGetValue(pool, out var lp) && lp.Volumes.Any(v => v.Name == name))
                {
                    external.Add($"volume {pool}/{name}");
                    return pool;
                }
                if (lp is { Active: false })
                {
                    diagnostics.Add(Diagnostic.Error("pool-inactive",
                        $"domain '{domain.Name}' uses volume '{name}' in pool '{pool}', which is inactive on node '{node.Node}' so the volume cannot be checked",
                        domain.Meta.Origin.Find(field), field, $"start the pool (virsh pool-start {pool}), or add a StoragePool spec for it"));
                    return null;
                }
                diagnostics.Add(Dangling(domain, field, $"volume '{name}' in pool '{pool}'"));
                return null;
            }
            var found = _livePools.Values.Where(p => p.Volumes.Any(v => v.Name == name)).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
            if (found.Count == 1)
            {
                external.Add($"volume {found[0]}/{name}");
                return found[0];
            }
            diagnostics.Add(found.Count == 0
                ? Dangling(domain, field, $"volume '{name}'")
                : Diagnostic.Error("ambiguous-reference",
                    $"domain '{domain.Name}' uses volume '{name}', which exists in several pools on node '{node.Node}': {string.Join(", ", found)}",
                    domain.Meta.Origin.Find(field), field, "add pool: to the disk"));
            return null;
        }

        /// <summary>qcow2 or raw: from the Volume spec, else from the live volume (anything but qcow2 is read as raw).</summary>
        private string? VolumeFormatOf(string volume, string pool)
        {
            if (_volumes.TryGetValue(volume, out var spec) && spec.Pool == pool) return spec.Format.ToString().ToLowerInvariant();
            var live = _livePools.GetValueOrDefault(pool)?.Volumes.FirstOrDefault(v => v.Name == volume);
            return live?.Format switch
            {
                null => null,
                "qcow2" => "qcow2",
                _ => "raw",
            };
        }

        private Diagnostic Dangling(DomainSpec domain, string field, string what) =>
            Diagnostic.Error("dangling-reference",
                $"domain '{domain.Name}' uses {what}, which is neither in the specs nor on node '{node.Node}'",
                domain.Meta.Origin.Find(field), field,
                "add a spec for it, create it on the node, or fix the name");

        private bool PoolKnown(string pool) => _pools.ContainsKey(pool) || _livePools.ContainsKey(pool);

        // ---- pools ----

        private void PlanPools()
        {
            foreach (var spec in pools)
            {
                var where = spec.Meta.Origin.Find("metadata.name");
                if (!_livePools.TryGetValue(spec.Name, out var current))
                {
                    var clash = node.Pools.FirstOrDefault(p => p.Path == spec.Path);
                    if (clash is not null)
                    {
                        diagnostics.Add(Diagnostic.Error("pool-path-in-use",
                            $"storage pool '{spec.Name}': path {spec.Path} is already the target of pool '{clash.Name}' on node '{node.Node}'",
                            spec.Meta.Origin.Find("spec.path"), "spec.path", $"use another directory, or reference pool '{clash.Name}' from your volumes instead"));
                        continue;
                    }
                    changes.Add(Change(ResourceKind.StoragePool, spec.Name, ChangeAction.Create, "not on the node", [], null, null,
                        new StorageChange(Pool: spec.Name, PoolSpec: spec)));
                    continue;
                }
                if (!current.Persistent)
                {
                    diagnostics.Add(Diagnostic.Error("transient-conflict", $"a transient storage pool named '{spec.Name}' exists on node '{node.Node}'; Reconciler does not touch it",
                        where, "metadata.name", "rename the spec, or remove that pool yourself"));
                    continue;
                }
                var fields = new List<FieldChange>();
                var reason = "";
                var adopt = false;
                if (current.Ledger is null && current.LedgerError is not null)
                {
                    if (!current.Active)
                    {
                        // The ledger lives in the pool and can only be read while it runs; starting a pool is harmless.
                        changes.Add(Change(ResourceKind.StoragePool, spec.Name, ChangeAction.Start,
                            "inactive (stopped behind our back?): start it; ownership and volumes are checked once it runs",
                            [new FieldChange("spec.state", "stopped", "running", Disruption.None)], current.Uuid, current.Fingerprint,
                            new StorageChange(Pool: spec.Name, PoolSpec: spec)));
                        continue;
                    }
                    diagnostics.Add(Diagnostic.Error("ledger-unreadable",
                        $"Reconciler's ledger in storage pool '{spec.Name}' on node '{node.Node}' cannot be read ({current.LedgerError}); nothing in that pool is changed",
                        where, null, $"inspect it: virsh vol-download {StorageLedger.VolumeName} /dev/stdout --pool {spec.Name}"));
                    state.FrozenPools.Add((node.Node, spec.Name));
                    continue;
                }
                var owner = current.Ledger?.Pool;
                if (owner is null || owner.Source != Source)
                {
                    if (!options.Adopt)
                    {
                        diagnostics.Add(owner is null
                            ? Diagnostic.Error("not-owned", $"storage pool '{spec.Name}' already exists on node '{node.Node}' and was not created by Reconciler; it is left untouched",
                                where, "metadata.name", "to take it over, run again with --adopt; or delete the StoragePool spec and let volumes reference the pool as it is (external)")
                            : Diagnostic.Error("owned-elsewhere", $"storage pool '{spec.Name}' on node '{node.Node}' is managed from another source ({owner.Source}); it is left untouched",
                                where, "metadata.name", "remove it from the other source, or run again with --adopt to move it to this one"));
                        state.FrozenPools.Add((node.Node, spec.Name));
                        continue;
                    }
                    adopt = true;
                    reason = owner is null ? "adopt an unmanaged pool" : $"adopt from {owner.Source}";
                    fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
                }
                if (current.Type != "dir")
                {
                    diagnostics.Add(Diagnostic.Error("immutable-field", $"storage pool '{spec.Name}' on node '{node.Node}' is of type {current.Type}, not dir; a pool's type cannot change",
                        spec.Meta.Origin.Find("spec.type"), "spec.type", "give the spec another name to create a new pool"));
                    continue;
                }
                if (current.Path is not null && current.Path.TrimEnd('/') != spec.Path.TrimEnd('/'))
                {
                    diagnostics.Add(Diagnostic.Error("immutable-field",
                        $"storage pool '{spec.Name}' on node '{node.Node}' has path {current.Path}; a pool's path cannot change in place (its volumes live there)",
                        spec.Meta.Origin.Find("spec.path"), "spec.path", $"write path: {current.Path} back, or create a new pool with another name"));
                    continue;
                }
                if (current.Autostart != spec.Autostart)
                {
                    fields.Add(new FieldChange("spec.autostart", Bool(current.Autostart), Bool(spec.Autostart), Disruption.None));
                }
                if (!current.Active)
                {
                    fields.Add(new FieldChange("spec.state", "stopped", "running", Disruption.None));
                }
                if (fields.Count == 0)
                {
                    unchanged.Add("storagepool/" + spec.Name);
                    continue;
                }
                if (reason.Length == 0) reason = fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
                changes.Add(Change(ResourceKind.StoragePool, spec.Name, ChangeAction.Update, reason, fields, current.Uuid, current.Fingerprint,
                    new StorageChange(Pool: spec.Name, PoolSpec: spec, Adopt: adopt)));
            }

            foreach (var current in node.Pools)
            {
                if (_pools.ContainsKey(current.Name) || current.Ledger?.Pool is not { } owner || owner.Source != Source) continue;
                var users = new List<string>();
                users.AddRange(volumes.Where(v => v.Pool == current.Name).Select(v => $"volume {v.Name} (in the specs)"));
                users.AddRange(Resolved.Values.Where(d => d.Disks.Any(x => x.Pool == current.Name && x.Volume is not null)).Select(d => $"domain {d.Name} (in the specs)"));
                users.AddRange(_kept.Where(d => current.Volumes.Any(v => Uses(d, current.Name, v.Name, v.Path))).Select(d => $"domain {d.Name}"));
                if (users.Count > 0)
                {
                    diagnostics.Add(Diagnostic.Error("pool-in-use",
                        $"storage pool '{current.Name}' on node '{node.Node}' is no longer in the specs but is still used by {string.Join(", ", users.Distinct())}; it is kept",
                        hint: "put its StoragePool spec back, or remove what uses it first"));
                    continue;
                }
                changes.Add(Change(ResourceKind.StoragePool, current.Name, ChangeAction.Destroy,
                    "no longer in the specs (stopped and undefined; its directory and files are kept)", [], current.Uuid, current.Fingerprint,
                    new StorageChange(Pool: current.Name)));
            }
        }

        // ---- volumes ----

        /// <summary>The pool a volume goes to, if it can be used now: null when an error was reported or the check waits for the pool to start.</summary>
        private (LivePool? Live, bool Ok) PoolFor(string what, ResourceMeta meta, string pool, string field)
        {
            if (state.FrozenPools.Contains((node.Node, pool))) return (null, false);
            _livePools.TryGetValue(pool, out var live);
            if (live is null)
            {
                if (_pools.ContainsKey(pool)) return (null, true); // created by this plan
                var elsewhere = desired.Pools.FirstOrDefault(p => p.Name == pool);
                diagnostics.Add(elsewhere is null
                    ? Diagnostic.Error("dangling-reference", $"{what} '{meta.Name}' is in pool '{pool}', which is neither in the specs nor on node '{node.Node}'",
                        meta.Origin.Find(field), field, "add a StoragePool spec, create the pool on the node, or fix the name")
                    : Diagnostic.Error("cross-node-reference", $"{what} '{meta.Name}' is placed on node '{node.Node}' but its pool '{pool}' is on node '{elsewhere.Node}' (at {elsewhere.Meta.Origin.Location})",
                        meta.Origin.Find(field), field, "remove spec.node from the volume: it follows its pool"));
                return (null, false);
            }
            if (!live.Active)
            {
                if (_pools.ContainsKey(pool)) return (null, false); // its start is planned; volumes are checked on the next plan
                diagnostics.Add(Diagnostic.Error("pool-inactive", $"{what} '{meta.Name}' is in pool '{pool}', which is inactive on node '{node.Node}'",
                    meta.Origin.Find(field), field, $"start it (virsh pool-start {pool}) or add a StoragePool spec for it"));
                return (null, false);
            }
            if (live.Ledger is null && live.LedgerError is not null)
            {
                diagnostics.Add(Diagnostic.Error("ledger-unreadable",
                    $"Reconciler's ledger in storage pool '{pool}' on node '{node.Node}' cannot be read ({live.LedgerError}); {what} '{meta.Name}' is not changed",
                    meta.Origin.Find(field), field, $"inspect it: virsh vol-download {StorageLedger.VolumeName} /dev/stdout --pool {pool}"));
                state.FrozenPools.Add((node.Node, pool));
                return (null, false);
            }
            return (live, true);
        }

        private void PlanVolumes()
        {
            foreach (var spec in volumes)
            {
                var (pool, ok) = PoolFor("volume", spec.Meta, spec.Pool, "spec.pool");
                if (!ok) continue;
                var change = new StorageChange(Pool: spec.Pool, Volume: spec);
                var current = pool?.Volumes.FirstOrDefault(v => v.Name == spec.Name);
                var record = pool?.Ledger?.Volumes.GetValueOrDefault(spec.Name);
                var where = spec.Meta.Origin.Find("metadata.name");
                if (current is null && state.MovingIn.Contains((node.Node, spec.Pool, spec.Name)))
                {
                    continue; // created and filled by the move of the domain that uses it (its Migrate change shows it)
                }
                if (current is null)
                {
                    var reason = record is { Released: false, Complete: true } ? "missing on the node (deleted behind our back?)" : "not on the node";
                    changes.Add(Change(ResourceKind.Volume, spec.Name, ChangeAction.Create, reason, [], null, null, change));
                    continue;
                }
                var fields = new List<FieldChange>();
                string? why = null;
                if (record is null || record.Role != VolumeRole.Volume || (record.Source != Source && !record.Released))
                {
                    if (!options.Adopt)
                    {
                        diagnostics.Add(record is null || record.Role != VolumeRole.Volume
                            ? Diagnostic.Error("not-owned", $"volume '{spec.Name}' already exists in pool '{spec.Pool}' on node '{node.Node}' and was not created by Reconciler; it is left untouched",
                                where, "metadata.name", "to take it over, run again with --adopt (its data is kept); or reference it from domains without a Volume spec (external)")
                            : Diagnostic.Error("owned-elsewhere", $"volume '{spec.Name}' in pool '{spec.Pool}' on node '{node.Node}' is managed from another source ({record.Source}); it is left untouched",
                                where, "metadata.name", "remove it from the other source, or run again with --adopt to move it to this one"));
                        continue;
                    }
                    why = record is null ? "adopt an unmanaged volume (data kept)" : $"adopt from {record.Source} (data kept)";
                    change = change with { Adopt = true };
                    fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
                }
                else if (!record.Complete)
                {
                    changes.Add(Change(ResourceKind.Volume, spec.Name, ChangeAction.Update,
                        "a previous create did not finish: the half-written volume is deleted and created again",
                        [new FieldChange("state", "incomplete", "complete", Disruption.None)], null, current.Fingerprint, change with { Recreate = true }));
                    continue;
                }
                else if (record.Released)
                {
                    why = "take back a volume Reconciler created and retained";
                    fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
                }
                var format = spec.Format.ToString().ToLowerInvariant();
                if (current.Format is { } liveFormat && liveFormat != format)
                {
                    diagnostics.Add(Diagnostic.Error("immutable-field",
                        $"volume '{spec.Name}' in pool '{spec.Pool}' is {liveFormat}, not {format}; a volume's format cannot change in place",
                        spec.Meta.Origin.Find("spec.format"), "spec.format", $"write format: {liveFormat}, or give the spec another name for a new volume"));
                    continue;
                }
                var want = RoundedSize(spec.SizeBytes);
                var users = _kept.Where(d => Uses(d, spec.Pool, spec.Name, current.Path)).ToList();
                var running = users.Where(IsRunning).Select(d => d.Name).ToList();
                if (current.CapacityBytes > want)
                {
                    diagnostics.Add(Diagnostic.Error("shrink-refused",
                        $"volume '{spec.Name}' in pool '{spec.Pool}' on node '{node.Node}' is {ByteSize.Format(current.CapacityBytes)}; shrinking it to {ByteSize.Format(spec.SizeBytes)} would destroy data and is refused",
                        spec.Meta.Origin.Find("spec.size"), "spec.size", $"write size: {ByteSize.Format(current.CapacityBytes)} (or more); to start over smaller, create a new volume"));
                    continue;
                }
                if (current.CapacityBytes < want)
                {
                    fields.Add(new FieldChange("spec.size", ByteSize.Format(current.CapacityBytes), ByteSize.Format(spec.SizeBytes),
                        running.Count > 0 ? Disruption.Live : Disruption.None));
                }
                if (record is not null && record.DeletionPolicy != spec.DeletionPolicy)
                {
                    fields.Add(new FieldChange("spec.deletionPolicy", record.DeletionPolicy.ToString(), spec.DeletionPolicy.ToString(), Disruption.None));
                }
                if (record is { BaseImage: { } made } && spec.BaseImage is { } b && made != BaseImageKey(b) && !made.EndsWith(" " + (b.Sha256 ?? "?"), StringComparison.Ordinal))
                {
                    diagnostics.Add(Diagnostic.Warning("base-image-changed",
                        $"volume '{spec.Name}' was made from {made}; its baseImage now says {BaseImageKey(b)}, which only matters when a volume is created: the existing data is kept",
                        spec.Meta.Origin.Find("spec.baseImage"), "spec.baseImage", "to start from the new image, create a volume with another name"));
                }
                if (fields.Count == 0)
                {
                    unchanged.Add("volume/" + spec.Name);
                    continue;
                }
                why ??= fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
                if (running.Count > 0 && fields.Any(f => f.Path == "spec.size"))
                {
                    why += $"; grown live in running domain(s) {string.Join(", ", running)}";
                }
                changes.Add(Change(ResourceKind.Volume, spec.Name, ChangeAction.Update, why, fields, null, current.Fingerprint,
                    change with { Affected = running }));
            }

            // Volumes this source created whose spec is gone: Retain releases them, Delete deletes them.
            foreach (var pool in node.Pools)
            {
                if (pool.Ledger is null || state.FrozenPools.Contains((node.Node, pool.Name))) continue;
                foreach (var (name, record) in pool.Ledger.Volumes.OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    if (record.Role != VolumeRole.Volume || record.Released || record.Source != Source) continue;
                    if (_volumes.TryGetValue(name, out var still) && still.Pool == pool.Name) continue;
                    if (state.MovingOut.Contains((node.Node, pool.Name, name))) continue; // kept or deleted by the move, after it succeeded
                    var current = pool.Volumes.FirstOrDefault(v => v.Name == name);
                    if (record.DeletionPolicy == DeletionPolicy.Retain || current is null || !record.Complete && current is null)
                    {
                        var reason = current is null
                            ? "no longer in the specs and already gone from the node: forgotten"
                            : "no longer in the specs; deletionPolicy Retain: the volume and its data are kept, Reconciler stops managing it";
                        changes.Add(Change(ResourceKind.Volume, name, ChangeAction.Update, reason,
                            [new FieldChange("managed", "true", "false", Disruption.None)], null, current?.Fingerprint,
                            new StorageChange(Pool: pool.Name, Release: true)));
                        continue;
                    }
                    var users = _kept.Where(d => Uses(d, pool.Name, name, current.Path)).Select(d => d.Name)
                        .Concat(Resolved.Values.Where(d => d.Disks.Any(x => x.Volume == name && x.Pool == pool.Name)).Select(d => d.Name))
                        .Distinct().ToList();
                    if (users.Count > 0)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-in-use",
                            $"volume '{name}' in pool '{pool.Name}' on node '{node.Node}' is no longer in the specs (deletionPolicy Delete) but is attached to domain(s) {string.Join(", ", users)}; it is not deleted",
                            hint: "detach it from those domains first (or put its Volume spec back)"));
                        continue;
                    }
                    changes.Add(Change(ResourceKind.Volume, name, ChangeAction.Destroy,
                        "no longer in the specs; deletionPolicy Delete: the volume and its data are deleted", [], null, current.Fingerprint,
                        new StorageChange(Pool: pool.Name)));
                }
            }
        }

        internal static string BaseImageKey(BaseImageSpec b) => b.Source + " " + (b.Sha256 ?? "?");

        // ---- cloud-init seeds ----

        private void PlanSeeds()
        {
            var seeds = new HashSet<(string Pool, string Name)>();
            foreach (var domain in Resolved.Values)
            {
                if (domain.CloudInit is not { Pool: { } poolName } ci) continue;
                seeds.Add((poolName, ci.SeedVolume));
                var (pool, ok) = PoolFor("cloud-init seed of domain", domain.Meta, poolName, "spec.cloudInit");
                if (!ok) continue;
                var change = new StorageChange(Pool: poolName, Seed: new SeedChange(domain.Name, ci));
                var current = pool?.Volumes.FirstOrDefault(v => v.Name == ci.SeedVolume);
                var record = pool?.Ledger?.Volumes.GetValueOrDefault(ci.SeedVolume);
                if (current is null)
                {
                    changes.Add(Change(ResourceKind.Volume, ci.SeedVolume, ChangeAction.Create, $"cloud-init seed of domain {domain.Name}", [], null, null, change));
                    continue;
                }
                if (record is null || record.Role != VolumeRole.Seed || (record.Source != Source && !options.Adopt))
                {
                    if (!options.Adopt)
                    {
                        diagnostics.Add(Diagnostic.Error("not-owned",
                            $"volume '{ci.SeedVolume}' (the cloud-init seed of domain '{domain.Name}') already exists in pool '{poolName}' and is not Reconciler's seed; it is left untouched",
                            domain.Meta.Origin.Find("spec.cloudInit"), "spec.cloudInit", "remove that volume, or run again with --adopt to overwrite it with the seed"));
                        continue;
                    }
                }
                var live = node.Domains.FirstOrDefault(d => d.Name == domain.Name);
                var running = live is not null && IsRunning(live);
                if (record is { Complete: true, Role: VolumeRole.Seed } && record.ContentHash == ci.ContentHash && (record.Source == Source))
                {
                    unchanged.Add("volume/" + ci.SeedVolume);
                    continue;
                }
                if (record is { Complete: true, Role: VolumeRole.Seed } && record.Source == Source && ci.IsOlderFormatOf(record.ContentHash))
                {
                    // Same files in an older image layout: rewritten once; nothing the guest reads changes.
                    var format = $"seed of domain {domain.Name} rewritten in image format {CloudInitSpec.SeedFormat} (zero-padded as genisoimage pads, so that busybox-based guests find it); its files are unchanged";
                    if (running) format += "; the running guest reads the new image at its next boot";
                    changes.Add(Change(ResourceKind.Volume, ci.SeedVolume, ChangeAction.Update, format,
                        [new FieldChange("spec.cloudInit", record.ContentHash, ci.ContentHash, Disruption.None)], null, current.Fingerprint, change));
                    continue;
                }
                var fields = new List<FieldChange>
                {
                    new("spec.cloudInit", record?.ContentHash, ci.ContentHash, running ? Disruption.NextBoot : Disruption.None),
                };
                var instanceChanged = record?.InstanceId is { } oldId && oldId != ci.InstanceId;
                if (instanceChanged) fields.Add(new FieldChange("spec.cloudInit.instanceId", record!.InstanceId, ci.InstanceId, running ? Disruption.NextBoot : Disruption.None));
                var sees = instanceChanged
                    ? $"new instance-id {ci.InstanceId}: cloud-init in the guest runs again at its next boot"
                    : $"instance-id unchanged ({ci.InstanceId}): the guest reads the new seed at its next boot but cloud-init does not rerun its once-per-instance modules (users, SSH keys, packages, runcmd); change cloudInit.instanceId to make it rerun";
                if (running) sees += "; the running guest keeps the old seed until it is stopped and started";
                var reason = record is { Complete: false } ? "a previous write did not finish: the seed is written again"
                    : $"cloud-init of domain {domain.Name} changed: seed regenerated; {sees}";
                changes.Add(Change(ResourceKind.Volume, ci.SeedVolume, ChangeAction.Update, reason, fields, null, current.Fingerprint,
                    change with { Adopt = record is null || record.Source != Source }));
            }

            foreach (var pool in node.Pools)
            {
                if (pool.Ledger is null || state.FrozenPools.Contains((node.Node, pool.Name))) continue;
                foreach (var (name, record) in pool.Ledger.Volumes.OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    if (record.Role != VolumeRole.Seed || record.Source != Source || seeds.Contains((pool.Name, name))) continue;
                    // The seed of a domain that moves away stays while the domain is here (the plan after the move deletes it).
                    if (state.WantedOn.TryGetValue(record.SpecName, out var there) && there != node.Node && node.Domains.Any(d => d.Name == record.SpecName)) continue;
                    var current = pool.Volumes.FirstOrDefault(v => v.Name == name);
                    var users = _kept.Where(d => current is not null && d.Config is { } c && c.Disks.Any(x => (x.Volume == name && x.Pool == pool.Name) || x.Path == current.Path))
                        .Select(d => d.Name).ToList();
                    // A kept domain whose spec still has this disk is updated (the cdrom removed) before this destroy runs.
                    users.RemoveAll(u => Resolved.TryGetValue(u, out var d) && !d.Disks.Any(x => x.Volume == name));
                    if (users.Count > 0)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-in-use",
                            $"cloud-init seed '{name}' in pool '{pool.Name}' is no longer needed but domain(s) {string.Join(", ", users)} still attach it; it is not deleted",
                            hint: "detach it from those domains first"));
                        continue;
                    }
                    changes.Add(Change(ResourceKind.Volume, name, ChangeAction.Destroy,
                        $"cloud-init seed of {record.SpecName}, no longer needed (generated content, no user data)", [], null, current?.Fingerprint,
                        new StorageChange(Pool: pool.Name)));
                }
            }
        }

        // ---- networks ----

        private void PlanNetworks()
        {
            CheckOverlaps();
            foreach (var spec in networks)
            {
                var where = spec.Meta.Origin.Find("metadata.name");
                if (!_liveNets.TryGetValue(spec.Name, out var current))
                {
                    changes.Add(Change(ResourceKind.Network, spec.Name, ChangeAction.Create, "not on the node", [], null, null,
                        new StorageChange(Network: spec)));
                    continue;
                }
                if (!current.Persistent)
                {
                    diagnostics.Add(Diagnostic.Error("transient-conflict", $"a transient network named '{spec.Name}' exists on node '{node.Node}'; Reconciler does not touch it",
                        where, "metadata.name", "rename the spec, or remove that network yourself"));
                    continue;
                }
                var fields = new List<FieldChange>();
                string? reason = null;
                var adopt = false;
                if (current.Owner is null || current.Owner.Source != Source)
                {
                    if (!options.Adopt)
                    {
                        diagnostics.Add(current.Owner is null
                            ? Diagnostic.Error("not-owned", $"network '{spec.Name}' already exists on node '{node.Node}' and is not managed by Reconciler; it is left untouched",
                                where, "metadata.name", "to take it over, run again with --adopt; or delete the Network spec and let domains reference it as it is (external)")
                            : Diagnostic.Error("owned-elsewhere", $"network '{spec.Name}' on node '{node.Node}' is managed from another source ({current.Owner.Source}); it is left untouched",
                                where, "metadata.name", "remove it from the other source, or run again with --adopt to move it to this one"));
                        continue;
                    }
                    adopt = true;
                    reason = current.Owner is null ? "adopt an unmanaged network" : $"adopt from {current.Owner.Source}";
                    fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
                }
                if (current.Config is null)
                {
                    diagnostics.Add(Diagnostic.Error("unreadable-live", $"the definition of network '{spec.Name}' on node '{node.Node}' could not be read back",
                        where, null, $"inspect it with virsh net-dumpxml --inactive {spec.Name}"));
                    continue;
                }
                var users = _kept.Where(d => IsRunning(d) && UsesNetwork(d, spec.Name)).Select(d => d.Name).Order(StringComparer.Ordinal).ToList();
                var recreate = false;
                foreach (var (field, before) in NetworkFields.Diff(spec, current.Config))
                {
                    recreate |= !field.Live;
                    fields.Add(new FieldChange(field.Path, before is "" ? null : before, field.Value is "" ? null : field.Value,
                        field.Live ? (current.Active ? Disruption.Live : Disruption.None) : (current.Active ? Disruption.Replace : Disruption.None)));
                }
                if (current.Autostart != spec.Autostart)
                {
                    fields.Add(new FieldChange("spec.autostart", Bool(current.Autostart), Bool(spec.Autostart), Disruption.None));
                }
                if (!current.Active && !recreate)
                {
                    fields.Add(new FieldChange("spec.state", "stopped", "running", Disruption.None));
                }
                if (fields.Count == 0)
                {
                    unchanged.Add("network/" + spec.Name);
                    continue;
                }
                if (recreate)
                {
                    var what = string.Join(", ", fields.Where(f => f.Disruption == Disruption.Replace || (!current.Active && f.Path is "spec.mode" or "spec.bridge" or "spec.ipv4.address")).Select(f => f.Path).Distinct());
                    reason = $"{what} cannot change on a running network: it is destroyed and defined again"
                             + (current.Active
                                 ? users.Count > 0
                                     ? $"; running domain(s) {string.Join(", ", users)} lose connectivity until they are stopped and started (libvirt does not plug running guests into a recreated network)"
                                     : "; no running domain uses it"
                                 : "");
                }
                reason ??= fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
                if (!recreate && current.Active && fields.Any(f => f.Disruption == Disruption.Live)) reason += " (changed live, the network keeps running)";
                changes.Add(Change(ResourceKind.Network, spec.Name, ChangeAction.Update, reason, fields, current.Uuid, current.Fingerprint,
                    new StorageChange(Network: spec, Recreate: recreate, Adopt: adopt, Affected: recreate ? users : null)));
            }

            foreach (var current in node.Networks)
            {
                if (_nets.ContainsKey(current.Name) || current.Owner is not { } owner || owner.Source != Source) continue;
                var users = _kept.Where(d => UsesNetwork(d, current.Name)).Select(d => d.Name)
                    .Concat(Resolved.Values.Where(d => d.Interfaces.Any(n => n.Network == current.Name)).Select(d => d.Name))
                    .Distinct().Order(StringComparer.Ordinal).ToList();
                if (users.Count > 0)
                {
                    diagnostics.Add(Diagnostic.Error("network-in-use",
                        $"network '{current.Name}' on node '{node.Node}' is no longer in the specs but domain(s) {string.Join(", ", users)} still use it; it is kept",
                        hint: "put its Network spec back, or move those domains to another network first"));
                    continue;
                }
                changes.Add(Change(ResourceKind.Network, current.Name, ChangeAction.Destroy, "no longer in the specs", [], current.Uuid, current.Fingerprint,
                    new StorageChange()));
            }
        }

        /// <summary>A network's subnet must not overlap another network on the node (libvirt refuses to start it).</summary>
        private void CheckOverlaps()
        {
            foreach (var spec in networks)
            {
                if (spec.Ipv4 is not { } ip || !Ipv4.TryParse(ip.Address, out var a)) continue;
                foreach (var other in node.Networks)
                {
                    if (other.Name == spec.Name || other.Config?.Ipv4 is not { } o || !Ipv4.TryParse(o.Address, out var b)) continue;
                    if (_nets.ContainsKey(other.Name)) continue; // both in the specs: the loader checks those
                    if (other.Owner is { } owner && owner.Source == Source) continue; // being destroyed by this plan
                    if (!Ipv4.Overlaps(a, ip.Prefix, b, o.Prefix)) continue;
                    diagnostics.Add(Diagnostic.Error("overlapping-network",
                        $"network '{spec.Name}' ({ip.Address}/{ip.Prefix}) overlaps network '{other.Name}' ({o.Address}/{o.Prefix}) on node '{node.Node}'",
                        spec.Meta.Origin.Find("spec.ipv4.address"), "spec.ipv4.address", "choose a subnet no other network on the node uses"));
                }
            }
        }

        private ResourceChange Change(ResourceKind kind, string name, ChangeAction action, string reason, IReadOnlyList<FieldChange> fields,
            string? uuid, string? fingerprint, StorageChange storage) =>
            new(node.Node, kind, name, action, reason, fields, null, uuid, fingerprint, storage);

        private static string Bool(bool value) => value ? "true" : "false";
    }
}

/// <summary>What <see cref="StoragePlanner.Prepare"/> found that the rest of planning needs.</summary>
public sealed class StorageState
{
    /// <summary>Domains (node, name) with a dangling reference: nothing is planned for them.</summary>
    public HashSet<(string Node, string Name)> Blocked { get; } = [];

    /// <summary>Pools (node, name) whose ledger could not be read or that are not ours: nothing in them changes.</summary>
    public HashSet<(string Node, string Name)> FrozenPools { get; } = [];

    /// <summary>The node the specs place each domain on, by domain name.</summary>
    public Dictionary<string, string> WantedOn { get; } = new(StringComparer.Ordinal);

    /// <summary>Owned volumes that move with their domain, by the domain's (target node, name).</summary>
    public Dictionary<(string Node, string Name), List<VolumeMove>> VolumeMoves { get; } = [];

    /// <summary>The source pool of the cloud-init seed of each moving domain, by the domain's (target node, name).</summary>
    public Dictionary<(string Node, string Name), string> SourceSeeds { get; } = [];

    /// <summary>(target node, pool, volume) of every moving volume: created by the move, not by a volume step.</summary>
    public HashSet<(string Node, string Pool, string Volume)> MovingIn { get; } = [];

    /// <summary>(source node, pool, volume) of every moving volume: kept or deleted by the move, not by a volume step.</summary>
    public HashSet<(string Node, string Pool, string Volume)> MovingOut { get; } = [];

    /// <summary>External (unmanaged) objects each domain uses, shown in the plan.</summary>
    public Dictionary<(string Node, string Name), List<string>> External { get; } = [];

    /// <summary>Drops the changes of blocked domains and marks external references in the others' reasons.</summary>
    public void Finish(List<ResourceChange> changes)
    {
        changes.RemoveAll(c => c.Kind == ResourceKind.Domain && Blocked.Contains((c.Node, c.Name)));
        for (var i = 0; i < changes.Count; i++)
        {
            var c = changes[i];
            if (c.Kind == ResourceKind.Domain && c.Action is ChangeAction.Create or ChangeAction.Update && External.TryGetValue((c.Node, c.Name), out var ext))
            {
                changes[i] = c with { Reason = c.Reason + "; uses external " + string.Join(", ", ext) };
            }
        }
    }
}
