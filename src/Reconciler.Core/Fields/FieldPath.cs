using System.Globalization;

namespace Reconciler.Core.Fields;

/// <summary>
/// The typed identity of a manifest field (<c>spec.memory</c>, <c>spec.disks[2].bus</c>). Decisions
/// compare paths with the constants of <see cref="DomainPaths"/>; list indices are read here and
/// nowhere else.
/// </summary>
/// <param name="Text">The path as written in diagnostics and plans.</param>
public readonly record struct FieldPath(string Text)
{
    /// <summary>The path of the field <paramref name="name"/> inside this one.</summary>
    public FieldPath Field(string name) => new(Text.Length == 0 ? name : Text + "." + name);

    /// <summary>The path of item <paramref name="index"/> of this list.</summary>
    public FieldPath Item(int index) => new(Text + "[" + index.ToString(CultureInfo.InvariantCulture) + "]");

    /// <summary>True when this path is <paramref name="other"/> or a field or item inside it.</summary>
    public bool IsWithin(FieldPath other) =>
        Text.StartsWith(other.Text, StringComparison.Ordinal)
        && (Text.Length == other.Text.Length || Text[other.Text.Length] is '.' or '[');

    /// <summary>
    /// When this path is an item of <paramref name="list"/> or a field inside one
    /// (<c>spec.disks[2]</c>, <c>spec.disks[2].bus</c>), the item's path and index.
    /// </summary>
    public bool TryItemOf(FieldPath list, out FieldPath item, out int index)
    {
        item = default;
        index = -1;
        var start = list.Text.Length;
        if (!Text.StartsWith(list.Text, StringComparison.Ordinal) || Text.Length <= start || Text[start] != '[') return false;
        var end = Text.IndexOf(']', start);
        if (end < 0 || !int.TryParse(Text.AsSpan(start + 1, end - start - 1), NumberStyles.None, CultureInfo.InvariantCulture, out index)) return false;
        item = new FieldPath(Text[..(end + 1)]);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}

/// <summary>The identities of the Domain fields that the planner, the disruption rules and apply decide on.</summary>
public static class DomainPaths
{
    /// <summary><c>metadata</c>: name and labels.</summary>
    public static readonly FieldPath Metadata = new("metadata");
    /// <summary><c>metadata.labels</c>.</summary>
    public static readonly FieldPath Labels = Metadata.Field("labels");
    /// <summary><c>spec</c>.</summary>
    public static readonly FieldPath Spec = new("spec");
    /// <summary><c>spec.node</c>.</summary>
    public static readonly FieldPath Node = Spec.Field("node");
    /// <summary><c>spec.placement</c> and the choice recorded under it.</summary>
    public static readonly FieldPath Placement = Spec.Field("placement");
    /// <summary><c>spec.state</c>: the power state (not part of the definition).</summary>
    public static readonly FieldPath State = Spec.Field("state");
    /// <summary><c>spec.autostart</c> (not part of the definition).</summary>
    public static readonly FieldPath Autostart = Spec.Field("autostart");
    /// <summary><c>spec.vcpus</c>.</summary>
    public static readonly FieldPath Vcpus = Spec.Field("vcpus");
    /// <summary><c>spec.maxVcpus</c>.</summary>
    public static readonly FieldPath MaxVcpus = Spec.Field("maxVcpus");
    /// <summary><c>spec.memory</c>.</summary>
    public static readonly FieldPath Memory = Spec.Field("memory");
    /// <summary><c>spec.maxMemory</c>.</summary>
    public static readonly FieldPath MaxMemory = Spec.Field("maxMemory");
    /// <summary><c>spec.machine</c>.</summary>
    public static readonly FieldPath Machine = Spec.Field("machine");
    /// <summary><c>spec.arch</c>.</summary>
    public static readonly FieldPath Arch = Spec.Field("arch");
    /// <summary><c>spec.firmware</c>.</summary>
    public static readonly FieldPath Firmware = Spec.Field("firmware");
    /// <summary><c>spec.secureBoot</c>.</summary>
    public static readonly FieldPath SecureBoot = Spec.Field("secureBoot");
    /// <summary><c>spec.cpu</c>.</summary>
    public static readonly FieldPath Cpu = Spec.Field("cpu");
    /// <summary><c>spec.domainType</c>.</summary>
    public static readonly FieldPath DomainType = Spec.Field("domainType");
    /// <summary><c>spec.disks</c>.</summary>
    public static readonly FieldPath Disks = Spec.Field("disks");
    /// <summary><c>spec.interfaces</c>.</summary>
    public static readonly FieldPath Interfaces = Spec.Field("interfaces");
    /// <summary><c>spec.graphics</c>.</summary>
    public static readonly FieldPath Graphics = Spec.Field("graphics");
    /// <summary><c>spec.description</c>.</summary>
    public static readonly FieldPath Description = Spec.Field("description");
    /// <summary><c>spec.protect</c>.</summary>
    public static readonly FieldPath Protect = Spec.Field("protect");
    /// <summary><c>spec.xml</c>: the escape-hatch patches.</summary>
    public static readonly FieldPath Xml = Spec.Field("xml");
}

/// <summary>The identities of the Network fields that the network planner decides on.</summary>
public static class NetworkPaths
{
    /// <summary><c>spec.mode</c>.</summary>
    public static readonly FieldPath Mode = DomainPaths.Spec.Field("mode");
    /// <summary><c>spec.bridge</c>.</summary>
    public static readonly FieldPath Bridge = DomainPaths.Spec.Field("bridge");
    /// <summary><c>spec.ipv4.address</c>.</summary>
    public static readonly FieldPath Ipv4Address = DomainPaths.Spec.Field("ipv4").Field("address");
}

/// <summary>The identities of the Volume fields that the volume planner decides on.</summary>
public static class VolumePaths
{
    /// <summary><c>spec.size</c>.</summary>
    public static readonly FieldPath Size = DomainPaths.Spec.Field("size");
}
