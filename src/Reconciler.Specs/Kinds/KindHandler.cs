using Reconciler.Core.Model;
using Reconciler.Core.Fields;
using Reconciler.Specs.Parsing;

namespace Reconciler.Specs.Kinds;

/// <summary>
/// Everything the loader knows about one <c>kind</c>: its field table, documentation and how the
/// parsed fields become the model record. Adding a kind is one subclass plus one line in <see cref="KindRegistry"/>.
/// </summary>
internal abstract class KindHandler
{
    /// <summary>The <c>kind:</c> value.</summary>
    public abstract string Kind { get; }

    /// <summary>One paragraph for the reference.</summary>
    public abstract string Description { get; }

    /// <summary>The table of <c>spec</c> fields; null for a kind that is not supported yet.</summary>
    public abstract ObjectDef? Spec { get; }

    /// <summary>A complete example manifest (tested to load cleanly).</summary>
    public virtual string? Example => null;

    /// <summary>Whether manifests of this kind are loaded; false only reports "not supported yet".</summary>
    public bool Supported => Spec is not null;

    /// <summary>Turns the parsed spec (defaults not yet applied) into the model record.</summary>
    public abstract object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context);
}

/// <summary>A kind that is reserved (it is in <see cref="ResourceKind"/>) but not implemented yet.</summary>
internal sealed class NotSupportedKind(string kind, string description) : KindHandler
{
    public override string Kind => kind;
    public override string Description => description;
    public override ObjectDef? Spec => null;
    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context) =>
        throw new NotSupportedException($"{kind} is not supported yet");
}

/// <summary>The table of kinds.</summary>
internal static class KindRegistry
{
    public const string ApiVersion = "reconciler/v1";

    public static readonly IReadOnlyList<KindHandler> All =
    [
        new NodeKind(),
        new StoragePoolKind(),
        new VolumeKind(),
        new NetworkKind(),
        new DomainKind(),
    ];

    public static IEnumerable<KindHandler> SupportedKinds => All.Where(k => k.Supported);

    public static KindHandler? Find(string kind) => All.FirstOrDefault(k => k.Kind == kind);

    /// <summary>The <c>metadata</c> table, common to every kind.</summary>
    public static readonly ObjectDef Metadata = new("Metadata", "Name and labels of the resource.",
    [
        new FieldDef("name", FieldType.String, "The resource's name, unique per kind. For a Domain, the libvirt domain name.")
        {
            Required = true, Pattern = Patterns.Name, Example = "web-1", Libvirt = "<name>web-1</name> (Domain)",
        },
        OwnerFields.Labels.Row,
    ]);

    /// <summary>The top-level fields of every manifest.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> TopLevel =
    [
        ("apiVersion", $"Always `{ApiVersion}`."),
        ("kind", "The kind of resource: " + string.Join(", ", All.Where(k => k.Supported).Select(k => k.Kind)) + "."),
        ("metadata", "Name and labels."),
        ("spec", "The desired state; its fields depend on the kind."),
    ];
}
