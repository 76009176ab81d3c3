using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>
/// The Domain fields kept in Reconciler's owner record inside <c>&lt;metadata&gt;</c>
/// (<see cref="OwnerMetadata"/>), each declared once: the labels, the placement and the node chosen
/// for it, and the XML patches. They render as children of the owner element (which the renderer
/// writes with its attributes first) and are read back from it. Each compares as several values
/// (a label, a placement field, a patch per item): <see cref="DomainField.Values"/>.
/// </summary>
internal static class OwnerFields
{
    public static readonly IReadOnlyList<string> Spreads = ["memory", "domains"];

    public static readonly ObjectDef Placement = new("Placement",
        "How Reconciler chooses a node for a domain without spec.node. The choice is made once, recorded in the domain's metadata and kept on later plans (even if capacity changes); setting spec.node later moves the domain (a migration).",
    [
        new FieldDef("nodeSelector", FieldType.StringMap, "Labels a Node must carry (its metadata.labels), all of them.")
        {
            DefaultText = "{} (any node)", KeyPattern = Patterns.LabelKey, Pattern = Patterns.LabelValue, Example = "{rack: r1, ssd: \"true\"}",
            Libvirt = "none (Reconciler only)",
        },
        new FieldDef("antiAffinity", FieldType.String, "A group name: never two domains of the same group on one node.")
        {
            Pattern = Patterns.Name, DefaultText = "no group", Example = "web", Libvirt = "none (Reconciler only)",
        },
        new FieldDef("spread", FieldType.Enum, "How the node is picked among those that fit: memory — most memory left after Reconciler's domains; domains — fewest domains of this source. Ties go to the other criterion, then to the node name.")
        {
            Allowed = Spreads, Default = "memory", Example = "domains", Libvirt = "capacity from virNodeGetInfo and virNodeGetFreeMemory",
        },
    ]);

    public static readonly ObjectDef XmlPatch = new("XmlPatch",
        "An edit of the rendered XML, applied in order after rendering: exactly one of add, set or remove.",
    [
        new FieldDef("xpath", FieldType.String, "XPath selecting the element(s) or attribute to edit; must start with /domain and match at least one node.")
        {
            Required = true, Example = "/domain/devices", Libvirt = "selects nodes of the rendered <domain>",
        },
        new FieldDef("add", FieldType.String, "An XML fragment appended as the last child(ren) of each selected element.")
        {
            Multiline = true, Example = "\"<watchdog model='i6300esb' action='reset'/>\"", Libvirt = "the fragment itself",
        },
        new FieldDef("set", FieldType.String, "New text of each selected attribute or element.")
        {
            Multiline = true, Example = "\"on\"", Libvirt = "the attribute value or element text",
        },
        new FieldDef("remove", FieldType.Boolean, "Remove each selected node.")
        {
            Default = false, Example = "true", Libvirt = "removes the node",
        },
    ], [["add", "set", "remove"]]);

    /// <summary><c>metadata.labels</c>: owned as a whole (a live label the spec no longer has is a difference); the guest never sees them.</summary>
    public static readonly DomainField Labels = new(DomainPaths.Labels,
        new FieldDef("labels", FieldType.StringMap, "Free key/value labels used for selection (e.g. --selector tier=web).")
        {
            DefaultText = "{}", KeyPattern = Patterns.LabelKey, Pattern = Patterns.LabelValue, Example = "{tier: web, env: prod}", Libvirt = "not rendered",
        })
    {
        Values = s => s.Meta.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new FieldValue(DomainPaths.Labels.Field(l.Key).Text, l.Value)),
        Elements = ["metadata"],
        Render = (domain, s) =>
        {
            foreach (var (key, value) in s.Meta.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                Owner(domain).Add(new XElement(OwnerMetadata.Label, new XAttribute(OwnerMetadata.KeyAttr, key), new XAttribute(OwnerMetadata.ValueAttr, value)));
            }
        },
        Read = (domain, s) => OwnerOf(domain) is not { } owner ? s : s with
        {
            Meta = s.Meta with { Labels = Pairs(owner.Elements(OwnerMetadata.Label), new Dictionary<string, string>(StringComparer.Ordinal)) },
        },
        Change = Disruption.None,
    };

    /// <summary><c>spec.placement</c> and the node chosen for it: Reconciler's record, never seen by the guest.</summary>
    public static readonly DomainField PlacementField = new(DomainPaths.Placement,
        new FieldDef("placement", FieldType.Object, "Let Reconciler choose the node (when spec.node is not set): by Node labels, an anti-affinity group, capacity (memory, CPUs) and where the domain's volumes and networks are. Ignored when spec.node is set.")
        {
            Item = Placement, DefaultText = "none", Example = "{nodeSelector: {rack: r1}, antiAffinity: web, spread: domains}",
            Libvirt = "which connection the domain is defined on; the choice is kept in Reconciler's owner record in <metadata>",
        })
    {
        // Null desired values (no choice yet) are never diffed.
        Values = s => s.Placement is not { } p ? [] :
        [
            new(DomainPaths.Placement.Field("node").Text, p.Node),
            new(DomainPaths.Placement.Field("nodeSelector").Text, p.SelectorText),
            new(DomainPaths.Placement.Field("antiAffinity").Text, p.AntiAffinity ?? ""),
            new(DomainPaths.Placement.Field("spread").Text, p.Spread.ToString().ToLowerInvariant()),
        ],
        Elements = ["metadata"],
        Render = (domain, s) =>
        {
            if (s.Placement is not { } placement) return;
            Owner(domain).Add(new XElement(OwnerMetadata.Placement,
                placement.Node is null ? null : new XAttribute(OwnerMetadata.NodeAttr, placement.Node),
                placement.AntiAffinity is null ? null : new XAttribute(OwnerMetadata.AntiAffinityAttr, placement.AntiAffinity),
                new XAttribute(OwnerMetadata.SpreadAttr, placement.Spread.ToString().ToLowerInvariant()),
                placement.NodeSelector.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new XElement(OwnerMetadata.Selector,
                    new XAttribute(OwnerMetadata.KeyAttr, l.Key), new XAttribute(OwnerMetadata.ValueAttr, l.Value)))));
        },
        Read = (domain, s) => OwnerOf(domain)?.Element(OwnerMetadata.Placement) is not { } p ? DomainField.Keep(s, s.Placement, null, static (s, v) => s with { Placement = v }) : s with
        {
            Placement = new PlacementSpec(
                Pairs(p.Elements(OwnerMetadata.Selector), new SortedDictionary<string, string>(StringComparer.Ordinal)),
                (string?)p.Attribute(OwnerMetadata.AntiAffinityAttr),
                (string?)p.Attribute(OwnerMetadata.SpreadAttr) == "domains" ? PlacementSpread.Domains : PlacementSpread.Memory,
                (string?)p.Attribute(OwnerMetadata.NodeAttr)),
        },
        Change = Disruption.None,
    };

    /// <summary><c>spec.xml</c>: the patches, recorded so that a removed patch is seen; a change takes the general rule (it edits the definition).</summary>
    public static readonly DomainField XmlPatches = new(DomainPaths.Xml,
        new FieldDef("xml", FieldType.ObjectList, "Escape hatch: edits applied to the rendered XML, in order.")
        {
            Item = XmlPatch, DefaultText = "[]", Example = "[{xpath: /domain/devices, add: \"<watchdog model='i6300esb'/>\"}]",
            Libvirt = "any part of the domain XML",
        })
    {
        Values = s => s.Xml.Select((x, i) => new FieldValue(DomainPaths.Xml.Item(i).Text,
            x.Remove ? $"remove {x.XPath}" : x.Add is not null ? $"add {x.XPath} {x.Add}" : $"set {x.XPath} {x.Set}")),
        Elements = ["metadata"],
        Render = (domain, s) =>
        {
            for (var i = 0; i < s.Xml.Count; i++)
            {
                var patch = s.Xml[i];
                Owner(domain).Add(new XElement(OwnerMetadata.Patch,
                    new XAttribute(OwnerMetadata.IndexAttr, i.ToString(CultureInfo.InvariantCulture)),
                    new XAttribute(OwnerMetadata.XPathAttr, patch.XPath),
                    patch.Add is null ? null : new XAttribute(OwnerMetadata.AddAttr, patch.Add),
                    patch.Set is null ? null : new XAttribute(OwnerMetadata.SetAttr, patch.Set),
                    patch.Remove ? new XAttribute(OwnerMetadata.RemoveAttr, "true") : null));
            }
        },
        Read = (domain, s) => OwnerOf(domain) is not { } owner ? s : s with
        {
            Xml = [.. owner.Elements(OwnerMetadata.Patch)
                .Select((p, i) => (Index: int.TryParse((string?)p.Attribute(OwnerMetadata.IndexAttr), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : i, Patch: ReadPatch(p)))
                .OrderBy(p => p.Index)
                .Select(p => p.Patch)],
        },
    };

    /// <summary>In the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Labels, PlacementField, XmlPatches];

    /// <summary>The owner element the renderer wrote into <c>&lt;metadata&gt;</c>.</summary>
    private static XElement Owner(XElement domain) =>
        OwnerOf(domain) ?? throw new InvalidOperationException("the owner element is rendered before the fields it holds");

    private static XElement? OwnerOf(XElement domain) => domain.Element("metadata")?.Element(OwnerMetadata.Owner);

    private static T Pairs<T>(IEnumerable<XElement> elements, T into) where T : IDictionary<string, string>
    {
        foreach (var e in elements) into[(string?)e.Attribute(OwnerMetadata.KeyAttr) ?? ""] = (string?)e.Attribute(OwnerMetadata.ValueAttr) ?? "";
        return into;
    }

    private static Model.XmlPatch ReadPatch(XElement patch) => new(
        XPath: (string?)patch.Attribute(OwnerMetadata.XPathAttr) ?? "",
        Add: (string?)patch.Attribute(OwnerMetadata.AddAttr),
        Set: (string?)patch.Attribute(OwnerMetadata.SetAttr),
        Remove: (string?)patch.Attribute(OwnerMetadata.RemoveAttr) is "true" or "yes" or "1");
}
