namespace Reconciler.Rendering;

/// <summary>What the renderer needs besides the spec.</summary>
/// <param name="DomainType">The libvirt domain type to render: <c>kvm</c>, <c>qemu</c>, or <c>test</c> (libvirt's test driver).
/// The caller resolves it (spec override, node override, node capabilities); the spec's own
/// <see cref="DomainSpec.DomainType"/> is not consulted here.</param>
/// <param name="Owner">Our ownership record, written into <c>&lt;metadata&gt;</c>. Its
/// <see cref="OwnerRecord.Protect"/> is ignored: the rendered <c>protect</c> is the spec's
/// <see cref="DomainSpec.Protect"/>, so that the metadata always reads back as the spec.</param>
/// <param name="Uuid">The UUID of the existing domain when redefining it (libvirt treats a define without
/// the UUID of an existing domain of the same name as an error); null for a new domain.</param>
/// <param name="Live">The current definition parsed by <see cref="DomainXmlParser"/>, when redefining:
/// values libvirt (or an earlier render) assigned and the spec leaves unspecified are carried over
/// (interface MACs; disk targets), so a redefine never changes them.</param>
public sealed record RenderOptions(string DomainType, OwnerRecord Owner, string? Uuid = null, DomainSpec? Live = null);
