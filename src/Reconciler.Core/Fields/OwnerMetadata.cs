using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// The layout of our element inside <c>&lt;metadata&gt;</c>, shared by the renderer and the parser:
/// <code>
/// &lt;reconciler:owner name="web-1" specHash="sha256:…" source="…" revision="…" protect="false" state="running" autostart="false"&gt;
///   &lt;reconciler:label key="tier" value="web"/&gt;
///   &lt;reconciler:patch index="0" xpath="/domain/devices" add="&lt;watchdog …/&gt;"/&gt;
///   &lt;reconciler:patch index="1" xpath="/domain/clock/@offset" set="localtime"/&gt;
///   &lt;reconciler:patch index="2" xpath="/domain/devices/memballoon" remove="true"/&gt;
///   &lt;reconciler:placement node="hv2" antiAffinity="web" spread="memory"&gt;
///     &lt;reconciler:selector key="rack" value="r1"/&gt;
///   &lt;/reconciler:placement&gt;
/// &lt;/reconciler:owner&gt;
/// </code>
/// Every value is an attribute: libvirt re-indents metadata and drops whitespace-only text nodes,
/// but it keeps attribute values byte for byte. <c>state</c> and <c>autostart</c> are the power state
/// the spec asked for when it was last applied (rewritten by Reconciler.Rendering's OwnerPower after a
/// start or stop that does not redefine the domain); metadata written before they existed lacks them.
/// </summary>
internal static class OwnerMetadata
{
    public static readonly XNamespace Ns = OwnerRecord.Namespace;
    public static readonly XName Owner = Ns + OwnerRecord.ElementName;
    public static readonly XName Label = Ns + "label";
    public static readonly XName Patch = Ns + "patch";

    /// <summary>
    /// The spec's placement and the node Reconciler chose for it (only for domains placed by
    /// <c>spec.placement</c>): later plans keep the domain on that node.
    /// </summary>
    public static readonly XName Placement = Ns + "placement";
    public static readonly XName Selector = Ns + "selector";

    public const string NameAttr = "name";
    public const string SpecHashAttr = "specHash";
    public const string SourceAttr = "source";
    public const string RevisionAttr = "revision";
    public const string ProtectAttr = "protect";
    public const string StateAttr = "state";
    public const string AutostartAttr = "autostart";
    public const string KeyAttr = "key";
    public const string ValueAttr = "value";
    public const string IndexAttr = "index";
    public const string XPathAttr = "xpath";
    public const string AddAttr = "add";
    public const string SetAttr = "set";
    public const string RemoveAttr = "remove";
    public const string NodeAttr = "node";
    public const string AntiAffinityAttr = "antiAffinity";
    public const string SpreadAttr = "spread";
}
