using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs;

/// <summary>Checks across manifests: duplicate names per kind, and MAC addresses used by two interfaces.</summary>
public static partial class SpecLoader
{
    private static void CheckDuplicateNames(List<Loaded> loaded, List<Diagnostic> diagnostics)
    {
        var groups = loaded
            .Select(l => (Item: l, Name: l.Resource switch
            {
                NodeSpec n => n.Name,
                DomainSpec d => d.Name,
                StoragePoolSpec p => p.Name,
                VolumeSpec v => v.Name,
                NetworkSpec w => w.Name,
                _ => "",
            }))
            .Where(x => x.Name.Length > 0)
            .GroupBy(x => (x.Item.Kind.Kind, x.Name));
        foreach (var group in groups)
        {
            var items = group.ToList();
            for (var i = 1; i < items.Count; i++)
            {
                var first = items[0].Item.NameLocation;
                var again = items[i].Item.NameLocation;
                diagnostics.Add(Diagnostic.Error(DuplicateName,
                    $"{group.Key.Kind} '{group.Key.Name}' is defined more than once: at {first} and at {again}",
                    again, "metadata.name", $"names are unique per kind; rename or delete one of them (first defined at {first})"));
            }
        }
    }

    private static void CheckMacsAcrossDomains(List<Loaded> loaded, List<Diagnostic> diagnostics)
    {
        var seen = new Dictionary<string, (string Domain, SourceLocation Where)>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in loaded)
        {
            if (item.Resource is not DomainSpec domain) continue;
            for (var i = 0; i < domain.Interfaces.Count; i++)
            {
                if (domain.Interfaces[i].Mac is not { } mac) continue;
                var path = $"spec.interfaces[{i}].mac";
                var where = domain.Meta.Origin.Find(path);
                if (!seen.TryGetValue(mac, out var first))
                {
                    seen[mac] = (domain.Name, where);
                }
                else if (first.Domain != domain.Name && !item.Context.IsBad(path))
                {
                    diagnostics.Add(Diagnostic.Error(DuplicateMac, $"MAC {mac} is also used by domain '{first.Domain}' at {first.Where}", where, path,
                        "each interface needs its own MAC (or leave mac out to let libvirt pick one)"));
                }
            }
        }
    }
}
