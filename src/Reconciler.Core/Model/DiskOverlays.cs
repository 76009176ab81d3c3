namespace Reconciler.Core.Model;

/// <summary>
/// The overlays of Reconciler's external snapshots above a disk's own file, as read from a live
/// definition (never from a spec): while they are active the disk's source is the newest overlay,
/// and the definition's <c>&lt;backingStore&gt;</c> chain leads down to the spec's path.
/// </summary>
/// <param name="Files">The overlay files, the active one first, each backed by the next and the last by the disk's own path. All qcow2.</param>
public sealed record DiskOverlayChain(IReadOnlyList<string> Files)
{
    /// <summary>Value equality over the files.</summary>
    public bool Equals(DiskOverlayChain? other) => other is not null && Files.SequenceEqual(other.Files);

    /// <inheritdoc/>
    public override int GetHashCode() => string.Join("\n", Files).GetHashCode(StringComparison.Ordinal);
}

public sealed partial record DiskSpec
{
    /// <summary>
    /// The external-snapshot overlays above <see cref="Path"/> in a live definition (the parser
    /// reads the chain back to the spec's path, so they are no diff); null in specs and when there
    /// are none. Not a field: the renderer writes them back on a redefine so the overlays stay.
    /// </summary>
    public DiskOverlayChain? Overlays { get; init; }
}
