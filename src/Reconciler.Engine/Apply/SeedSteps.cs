namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out the plan's cloud-init seed steps: builds the seed image and writes it as a raw
/// volume, replacing the old seed only when the new one fits beside it; the ledger records the
/// seed's content hash and instance-id. A seed not written by this source is only overwritten when
/// adopted. In the sandbox the image is built but not uploaded.
/// </summary>
internal static class SeedSteps
{
    public static void Execute(NodeSession session, Plan plan, SeedChange change, TextWriter progress)
    {
        if (change.Action == ChangeAction.Destroy)
        {
            VolumeSteps.Delete(session, plan, change.Pool, change.Name);
            return;
        }
        var ci = change.CloudInit ?? throw new ApplyStepException($"seed {change.Name}: the plan has no cloud-init content to write");
        var store = LedgerStore.For(session.Target);
        using var pool = StorageSteps.ActivePool(session, change.Pool);
        var (ledger, _, _) = store.Read(pool);
        var existing = ledger?.Volumes.GetValueOrDefault(ci.SeedVolume);
        if (change.Action == ChangeAction.Update && !change.Adopt && (existing is null || existing.Role != VolumeRole.Seed || existing.Source != plan.Source))
        {
            throw new ApplyStepException($"volume {ci.SeedVolume} is not a seed {plan.Source} wrote; it is left alone");
        }
        var iso = CloudInitSeed.Build(ci);
        // The old seed is deleted only when the new one fits beside it: a full pool keeps the old seed.
        StorageSteps.EnsureRoom(session, pool, $"seed {ci.SeedVolume}", (ulong)iso.Length, existing is null ? "nothing was written" : "the old seed is kept");
        var record = new VolumeRecord(VolumeRole.Seed, change.Domain, plan.Source, plan.Revision, DeletionPolicy.Delete, Complete: false,
            ContentHash: ci.ContentHash, InstanceId: ci.InstanceId);
        StorageSteps.Edit(store, pool, ci.SeedVolume, _ => record);
        using (var old = pool.LookupVolumeByName(ci.SeedVolume))
        {
            // A running guest keeps its open copy; the new seed is read at its next boot.
            old?.Delete();
        }
        using var volume = pool.CreateVolume(StorageXml.Volume(ci.SeedVolume, (ulong)iso.Length, "raw"));
        if (session.Target.IsSandbox)
        {
            progress.WriteLine("    sandbox: the seed image is built but not uploaded (the test driver has no storage streams)");
        }
        else
        {
            volume.Upload(new MemoryStream(iso), 0, (ulong)iso.Length);
            progress.WriteLine($"    seed for {change.Domain} written ({iso.Length / 1024} KiB, instance-id {ci.InstanceId})");
        }
        StorageSteps.Edit(store, pool, ci.SeedVolume, _ => record with { Complete = true });
    }
}
