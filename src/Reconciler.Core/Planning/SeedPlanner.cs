using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The cloud-init seed step of a node: writes the seed volume of every resolved domain with
/// cloudInit when it is missing, unfinished, or its content changed (the reason says what the
/// guest sees and when), and deletes the seeds this source wrote that no domain needs any more.
/// Runs after <see cref="DomainReferences"/> (which chose each seed's pool).
/// </summary>
internal sealed class SeedPlanner(NodeResources r)
{
    public void Plan()
    {
        var seeds = new HashSet<(string Pool, string Name)>();
        foreach (var domain in r.Resolved.Values)
        {
            if (domain.CloudInit is not { Pool: { } poolName } ci) continue;
            seeds.Add((poolName, ci.SeedVolume));
            var (pool, ok) = VolumePlanner.PoolFor(r, ResourceKind.Domain, "cloud-init seed of domain", domain.Meta, poolName, "spec.cloudInit");
            if (!ok) continue;
            var current = pool?.Volumes.FirstOrDefault(v => v.Name == ci.SeedVolume);
            var record = pool?.Ledger?.Volumes.GetValueOrDefault(ci.SeedVolume);
            if (current is null)
            {
                r.Changes.Add(new SeedChange(r.Node.Node, ci.SeedVolume, ChangeAction.Create, $"cloud-init seed of domain {domain.Name}", [], null) { Pool = poolName, Domain = domain.Name, CloudInit = ci });
                continue;
            }
            if (record is null || record.Role != VolumeRole.Seed || (record.Source != r.Source && !r.Options.Adopt))
            {
                if (!r.Options.Adopt)
                {
                    r.Diagnostics.Add(Diagnostic.Error("not-owned",
                        $"volume '{ci.SeedVolume}' (the cloud-init seed of domain '{domain.Name}') already exists in pool '{poolName}' and is not Reconciler's seed; it is left untouched",
                        domain.Meta.Origin.Find("spec.cloudInit"), "spec.cloudInit", "remove that volume, or run again with --adopt to overwrite it with the seed")
                        .About(ResourceKind.Domain, domain.Name, r.Node.Node));
                    continue;
                }
            }
            var live = r.Node.Domains.FirstOrDefault(d => d.Name == domain.Name);
            var running = live is not null && NodeResources.IsRunning(live);
            if (record is { Complete: true, Role: VolumeRole.Seed } && record.ContentHash == ci.ContentHash && (record.Source == r.Source))
            {
                r.Unchanged.Add("volume/" + ci.SeedVolume);
                continue;
            }
            if (record is { Complete: true, Role: VolumeRole.Seed } && record.Source == r.Source && ci.IsOlderFormatOf(record.ContentHash))
            {
                // Same files in an older image layout: rewritten once; nothing the guest reads changes.
                var format = $"seed of domain {domain.Name} rewritten in image format {CloudInitSpec.SeedFormat} (zero-padded as genisoimage pads, so that busybox-based guests find it); its files are unchanged";
                if (running) format += "; the running guest reads the new image at its next boot";
                r.Changes.Add(new SeedChange(r.Node.Node, ci.SeedVolume, ChangeAction.Update, format,
                    [new FieldChange("spec.cloudInit", record.ContentHash, ci.ContentHash, Disruption.None)], current.Fingerprint) { Pool = poolName, Domain = domain.Name, CloudInit = ci });
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
            r.Changes.Add(new SeedChange(r.Node.Node, ci.SeedVolume, ChangeAction.Update, reason, fields, current.Fingerprint)
            {
                Pool = poolName,
                Domain = domain.Name,
                CloudInit = ci,
                Adopt = record is null || record.Source != r.Source,
            });
        }

        foreach (var (pool, name, record) in r.LedgerRecords())
        {
            if (record.Role != VolumeRole.Seed || record.Source != r.Source || seeds.Contains((pool.Name, name))) continue;
            // The seed of a domain that moves away stays while the domain is here (the plan after the move deletes it).
            if (r.State.WantedOn.TryGetValue(record.SpecName, out var there) && there != r.Node.Node && r.Node.Domains.Any(d => d.Name == record.SpecName)) continue;
            var current = pool.Volumes.FirstOrDefault(v => v.Name == name);
            // The same in-use rule as a volume's (persistent or running definition).
            var users = r.Kept.Where(d => current is not null && StoragePlanner.Uses(d, pool.Name, name, current.Path)).Select(d => d.Name).ToList();
            // A kept domain whose spec still has this disk is updated (the cdrom removed) before this destroy runs.
            users.RemoveAll(u => r.Resolved.TryGetValue(u, out var d) && !d.Disks.Any(x => x.Volume == name));
            if (users.Count > 0)
            {
                r.Diagnostics.Add(Diagnostic.Error("volume-in-use",
                    $"cloud-init seed '{name}' in pool '{pool.Name}' is no longer needed but domain(s) {string.Join(", ", users)} still attach it; it is not deleted",
                    hint: "detach it from those domains first").About(ResourceKind.Volume, name, r.Node.Node));
                continue;
            }
            r.Changes.Add(new SeedChange(r.Node.Node, name, ChangeAction.Destroy,
                $"cloud-init seed of {record.SpecName}, no longer needed (generated content, no user data)", [], current?.Fingerprint) { Pool = pool.Name, Domain = record.SpecName, CloudInit = null });
        }
    }
}
