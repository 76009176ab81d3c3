using Reconciler.Core.Fields;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Plans the networks of a node, after the storage steps: creates, updates (live where libvirt
/// allows it, else by destroying and defining the network again), adopts or starts each Network
/// spec placed on the node, refuses a subnet that overlaps another network there, and destroys the
/// networks this source created whose spec is gone unless a domain still uses them. Ownership of a
/// network comes from its <c>&lt;metadata&gt;</c>; see specs/storage.md (Networks).
/// </summary>
internal sealed class NetworkPlanner(NodeResources r)
{
    public void Plan()
    {
        CheckOverlaps();
        foreach (var spec in r.Networks)
        {
            var where = spec.Meta.Origin.Find("metadata.name");
            if (!r.LiveNetworks.TryGetValue(spec.Name, out var current))
            {
                r.Changes.Add(new NetworkChange(r.Node.Node, spec.Name, ChangeAction.Create, "not on the node", [], null, null) { Spec = spec });
                continue;
            }
            if (!current.Persistent)
            {
                r.Diagnostics.Add(Diagnostic.Error("transient-conflict", $"a transient network named '{spec.Name}' exists on node '{r.Node.Node}'; Reconciler does not touch it",
                    where, "metadata.name", "rename the spec, or remove that network yourself").About(ResourceKind.Network, spec.Name, r.Node.Node));
                continue;
            }
            var fields = new List<FieldChange>();
            string? reason = null;
            var adopt = false;
            if (current.Owner is null || current.Owner.Source != r.Source)
            {
                if (!r.Options.Adopt)
                {
                    r.Diagnostics.Add(OwnershipRefusal.For(ResourceKind.Network, spec.Name, r.Node.Node, $"network '{spec.Name}'", current.Owner?.Source, where,
                        "is not managed by Reconciler", "to take it over, run again with --adopt; or delete the Network spec and let domains reference it as it is (external)"));
                    continue;
                }
                adopt = true;
                reason = current.Owner is null ? "adopt an unmanaged network" : $"adopt from {current.Owner.Source}";
                fields.Add(new FieldChange("managed", "false", "true", Disruption.None));
            }
            if (current.Config is null)
            {
                r.Diagnostics.Add(Diagnostic.Error("unreadable-live", $"the definition of network '{spec.Name}' on node '{r.Node.Node}' could not be read back",
                    where, null, $"inspect it with virsh net-dumpxml --inactive {spec.Name}").About(ResourceKind.Network, spec.Name, r.Node.Node));
                continue;
            }
            var users = r.Kept.Where(d => NodeResources.IsRunning(d) && UsesNetwork(d, spec.Name)).Select(d => d.Name).Order(StringComparer.Ordinal).ToList();
            var recreate = false;
            foreach (var (field, before) in NetworkFields.Diff(spec, current.Config))
            {
                recreate |= !field.Live;
                fields.Add(new FieldChange(field.Path, before is "" ? null : before, field.Value is "" ? null : field.Value,
                    field.Live ? (current.Active ? Disruption.Live : Disruption.None) : (current.Active ? Disruption.Replace : Disruption.None)));
            }
            if (current.Autostart != spec.Autostart)
            {
                fields.Add(new FieldChange("spec.autostart", NodeResources.Bool(current.Autostart), NodeResources.Bool(spec.Autostart), Disruption.None));
            }
            if (!current.Active && !recreate)
            {
                fields.Add(new FieldChange("spec.state", "stopped", "running", Disruption.None));
            }
            if (fields.Count == 0)
            {
                r.Unchanged.Add("network/" + spec.Name);
                continue;
            }
            if (recreate)
            {
                var what = string.Join(", ", fields.Where(f => f.Disruption == Disruption.Replace || (!current.Active && NetworkFields.NeedsRecreate(new FieldPath(f.Path)))).Select(f => f.Path).Distinct());
                reason = $"{what} cannot change on a running network: it is destroyed and defined again"
                         + (current.Active
                             ? users.Count > 0
                                 ? $"; running domain(s) {string.Join(", ", users)} lose connectivity until they are stopped and started (libvirt does not plug running guests into a recreated network)"
                                 : "; no running domain uses it"
                             : "");
            }
            reason ??= fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ";
            if (!recreate && current.Active && fields.Any(f => f.Disruption == Disruption.Live)) reason += " (changed live, the network keeps running)";
            r.Changes.Add(new NetworkChange(r.Node.Node, spec.Name, ChangeAction.Update, reason, fields, current.Uuid, current.Fingerprint)
            {
                Spec = spec,
                Recreate = recreate,
                Adopt = adopt,
                Affected = recreate ? users : [],
            });
        }

        foreach (var current in r.Node.Networks)
        {
            if (r.NetworksByName.ContainsKey(current.Name) || current.Owner is not { } owner || owner.Source != r.Source) continue;
            var users = r.Kept.Where(d => UsesNetwork(d, current.Name)).Select(d => d.Name)
                .Concat(r.Resolved.Values.Where(d => d.Interfaces.Any(n => n.Network == current.Name)).Select(d => d.Name))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            if (users.Count > 0)
            {
                r.Diagnostics.Add(Diagnostic.Error("network-in-use",
                    $"network '{current.Name}' on node '{r.Node.Node}' is no longer in the specs but domain(s) {string.Join(", ", users)} still use it; it is kept",
                    hint: "put its Network spec back, or move those domains to another network first")
                    .About(ResourceKind.Network, current.Name, r.Node.Node));
                continue;
            }
            r.Changes.Add(new NetworkChange(r.Node.Node, current.Name, ChangeAction.Destroy, "no longer in the specs", [], current.Uuid, current.Fingerprint) { Spec = null });
        }
    }

    /// <summary>A network's subnet must not overlap another network on the node (libvirt refuses to start it).</summary>
    private void CheckOverlaps()
    {
        foreach (var spec in r.Networks)
        {
            if (spec.Ipv4 is not { } ip || !Ipv4.TryParse(ip.Address, out var a)) continue;
            foreach (var other in r.Node.Networks)
            {
                if (other.Name == spec.Name || other.Config?.Ipv4 is not { } o || !Ipv4.TryParse(o.Address, out var b)) continue;
                if (r.NetworksByName.ContainsKey(other.Name)) continue; // both in the specs: the loader checks those
                if (other.Owner is { } owner && owner.Source == r.Source) continue; // being destroyed by this plan
                if (!Ipv4.Overlaps(a, ip.Prefix, b, o.Prefix)) continue;
                r.Diagnostics.Add(Diagnostic.Error("overlapping-network",
                    $"network '{spec.Name}' ({ip.Address}/{ip.Prefix}) overlaps network '{other.Name}' ({o.Address}/{o.Prefix}) on node '{r.Node.Node}'",
                    spec.Meta.Origin.Find("spec.ipv4.address"), "spec.ipv4.address", "choose a subnet no other network on the node uses")
                    .About(ResourceKind.Network, spec.Name, r.Node.Node));
            }
        }
    }
    /// <summary>True when a live domain has an interface on the network.</summary>
    internal static bool UsesNetwork(LiveDomain domain, string network) =>
        (domain.Config?.Interfaces.Any(n => n.Network == network) ?? false)
        || (domain.Running?.Interfaces.Any(n => n.Network == network) ?? false);
}
