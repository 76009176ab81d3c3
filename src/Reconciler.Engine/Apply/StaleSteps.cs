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
        string? now = change switch
        {
            PoolChange => StorageReader.ReadPool(session, change.Name)?.Fingerprint,
            NetworkChange => StorageReader.ReadNetwork(session.Connection, change.Name)?.Fingerprint,
            VolumeChange volume => VolumeFingerprint(session, volume.Pool, change.Name),
            SeedChange seed => VolumeFingerprint(session, seed.Pool, change.Name),
            _ => null,
        };
        if (change.LiveFingerprint is null) return now is null ? null : "now exists";
        if (now is null) return "no longer exists";
        return now == change.LiveFingerprint ? null : "changed since the plan was made";
    }

    private static string? VolumeFingerprint(NodeSession session, string pool, string name) =>
        StorageReader.ReadPool(session, pool)?.Volumes.FirstOrDefault(v => v.Name == name)?.Fingerprint;
}
