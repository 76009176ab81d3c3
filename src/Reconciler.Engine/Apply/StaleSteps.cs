namespace Reconciler.Engine.Apply;

/// <summary>
/// Checks a saved plan's pool, volume and network steps against the node before anything is
/// applied: a step whose object appeared, vanished or changed since the plan was made is stale.
/// </summary>
internal static class StaleSteps
{
    /// <summary>Why a saved plan's step is stale (the object changed since), or null.</summary>
    public static string? Stale(NodeSession session, ResourceChange change)
    {
        string? now = change.Kind switch
        {
            ResourceKind.StoragePool => StorageReader.ReadPool(session, change.Name)?.Fingerprint,
            ResourceKind.Network => StorageReader.ReadNetwork(session.Connection, change.Name)?.Fingerprint,
            ResourceKind.Volume => change.Storage?.Pool is { } pool
                ? StorageReader.ReadPool(session, pool)?.Volumes.FirstOrDefault(v => v.Name == change.Name)?.Fingerprint
                : null,
            _ => null,
        };
        if (change.LiveFingerprint is null) return now is null ? null : "now exists";
        if (now is null) return "no longer exists";
        return now == change.LiveFingerprint ? null : "changed since the plan was made";
    }
}
