using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>The operation that carries a <see cref="Disruption.Live"/> change into the running domain.</summary>
public enum LiveOperation
{
    /// <summary>The field has no live operation.</summary>
    None,
    /// <summary>virDomainSetMemoryFlags(LIVE) to the desired memory (the balloon).</summary>
    SetMemory,
    /// <summary>virDomainSetVcpusFlags(LIVE) to the desired vCPUs (hotplug).</summary>
    SetVcpus,
    /// <summary>virDomainPinVcpuFlags(LIVE|CONFIG) of each online vCPU to its desired cpuset (all host CPUs when no longer pinned).</summary>
    PinVcpus,
    /// <summary>virDomainPinEmulator(LIVE|CONFIG) to the desired cpuset.</summary>
    PinEmulator,
    /// <summary>virDomainAttachDeviceFlags / virDomainDetachDeviceFlags(LIVE) of each host device added or removed.</summary>
    Hostdevs,
}

/// <summary>A live value that cannot be read back into the model (the parser names the domain).</summary>
internal sealed class LiveXmlException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One Domain field bound to a member of <see cref="DomainSpec"/>, declared once: its row (YAML
/// name, type, documentation, default and one-field validation, which the loader, the JSON Schema
/// and the reference read), the canonical text the planner compares, how it is written into
/// libvirt XML and read back from live XML, when two texts mean the same, and what changing it
/// costs a running domain with the live operation that applies it. The renderer, the live-XML
/// reader, <see cref="DomainFields"/>, <see cref="Disruptions"/> and apply's live updates loop over
/// <see cref="BoundFields.All"/> and name no field. Fields whose value lives only in
/// <see cref="DomainSpec.Declared"/> need no binding: see <see cref="DeclaredFields"/>.
/// </summary>
internal sealed class DomainField
{
    public DomainField(FieldPath path, FieldDef row)
    {
        Path = path;
        Row = row;
    }

    /// <summary>The manifest path (<c>spec.memory</c>).</summary>
    public FieldPath Path { get; }

    /// <summary>The field-table row.</summary>
    public FieldDef Row { get; }

    /// <summary>The canonical text the planner compares (null: not written, so not owned, never a difference); unset when <see cref="Values"/> is.</summary>
    public Func<DomainSpec, string?>? Value { get; init; }

    /// <summary>
    /// For a map or list compared item by item (labels, patches): the values to compare, each at
    /// its own path inside <see cref="Path"/>; null for a single value (<see cref="Value"/>).
    /// </summary>
    public Func<DomainSpec, IEnumerable<FieldValue>>? Values { get; init; }

    /// <summary>The values the planner compares: <see cref="Values"/>, else the one <see cref="Value"/> at <see cref="Path"/>.</summary>
    public IEnumerable<FieldValue> Flatten(DomainSpec spec) => Values?.Invoke(spec) ?? [new FieldValue(Path.Text, Value?.Invoke(spec))];

    /// <summary>Adds <see cref="Flatten"/>'s values to <paramref name="into"/> (without a sequence of one for a single value).</summary>
    public void FlattenInto(List<FieldValue> into, DomainSpec spec)
    {
        if (Values is { } values) into.AddRange(values(spec));
        else into.Add(new FieldValue(Path.Text, Value?.Invoke(spec)));
    }

    /// <summary>Writes the value into <c>&lt;domain&gt;</c>; elements are created at libvirt's position (<see cref="XmlOrder"/>).</summary>
    public required Action<XElement, DomainSpec> Render { get; init; }

    /// <summary>
    /// Reads the value from a live <c>&lt;domain&gt;</c> into the spec being built (starting from
    /// the parser's empty spec). Throws <see cref="LiveXmlException"/> for a value
    /// that cannot be read.
    /// </summary>
    public required Func<XElement, DomainSpec, DomainSpec> Read { get; init; }

    /// <summary>The children of <c>&lt;domain&gt;</c> that <see cref="Read"/> looks at (the live-XML reader loads only those).</summary>
    public required IReadOnlyList<string> Elements { get; init; }

    /// <summary>The children of <c>&lt;devices&gt;</c> that <see cref="Read"/> looks at (the live-XML reader loads only those).</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>When desired and live texts differ but mean the same (a machine alias); null: equal text only.</summary>
    public Func<string, string, bool>? Equivalent { get; init; }

    /// <summary>
    /// The cost of any change, whatever the domain's state, when it does not follow the general rule:
    /// <see cref="Disruption.None"/> for what the guest never sees (Reconciler's records, the
    /// description), <see cref="Disruption.Replace"/> when libvirt cannot redefine it in place.
    /// Null: the general rule — none when stopped; when running, <see cref="Disruption.Live"/> if
    /// <see cref="LiveWhen"/> allows it, else next boot.
    /// </summary>
    public Disruption? Change { get; init; }

    /// <summary>Whether this change can be applied to the running domain (given its persistent definition) by <see cref="Live"/>.</summary>
    public Func<FieldDiff, DomainSpec, bool>? LiveWhen { get; init; }

    /// <summary>The live operation for a <see cref="Disruption.Live"/> change.</summary>
    public LiveOperation Live { get; init; }

    /// <summary>
    /// The running instance's value moves by itself (the balloon's memory), so a running value that
    /// differs from the definition is not a change waiting for a restart.
    /// </summary>
    public bool RunningValueMoves { get; init; }

    /// <summary>Whether the guest runs with this field (false for <see cref="Disruption.None"/> fields: records and text).</summary>
    public bool GuestVisible => Change != Disruption.None;

    /// <summary>
    /// For <see cref="Read"/>: <paramref name="spec"/> itself when <paramref name="value"/> equals
    /// <paramref name="current"/> (the copy would equal it: records are immutable), else
    /// <paramref name="set"/>'s copy. Every live definition is read through every field, most of
    /// which find the parser's starting value, and each copy of a spec is a few hundred bytes.
    /// </summary>
    public static DomainSpec Keep<T>(DomainSpec spec, T current, T value, Func<DomainSpec, T, DomainSpec> set) =>
        EqualityComparer<T>.Default.Equals(current, value) ? spec : set(spec, value);
}
