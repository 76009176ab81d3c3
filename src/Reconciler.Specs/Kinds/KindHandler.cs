namespace Reconciler.Specs.Kinds;

/// <summary>
/// Everything the loader knows about one <c>kind</c>: its field table, documentation and how the
/// parsed fields become the model record. Adding a kind is one subclass plus one line in <see cref="KindRegistry"/>.
/// </summary>
/// <param name="kind">The <c>kind:</c> value.</param>
/// <param name="spec">The table of <c>spec</c> fields; null for a kind that is not supported yet.</param>
internal abstract class KindHandler(string kind, ObjectDef? spec)
{
    /// <summary>The <c>kind:</c> value.</summary>
    public string Kind => kind;

    /// <summary>One paragraph for the reference.</summary>
    public abstract string Description { get; }

    /// <summary>The table of <c>spec</c> fields; null for a kind that is not supported yet.</summary>
    public ObjectDef? Spec => spec;

    /// <summary>A complete example manifest (tested to load cleanly): the apiVersion and kind lines, then <see cref="ExampleBody"/>.</summary>
    public string? Example => ExampleBody is { } body ? $"apiVersion: {KindRegistry.ApiVersion}\nkind: {Kind}\n{body}" : null;

    /// <summary>The example manifest's <c>metadata</c> and <c>spec</c> (and any further documents); null for no example.</summary>
    protected virtual string? ExampleBody => null;

    /// <summary>Whether manifests of this kind are loaded; false only reports "not supported yet".</summary>
    public bool Supported => Spec is not null;

    /// <summary>Turns the parsed spec (defaults not yet applied) into the model record.</summary>
    public abstract object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context);
}

/// <summary>A kind that is reserved (it is in <see cref="ResourceKind"/>) but not implemented yet.</summary>
internal sealed class NotSupportedKind(string kind, string description) : KindHandler(kind, null)
{
    public override string Description => description;
    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context) =>
        throw new NotSupportedException($"{Kind} is not supported yet");
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
