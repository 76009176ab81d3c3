namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out the plan's storage pool steps: create (define, build, start, record ownership in
/// the pool's ledger), start/update (autostart, adoption) and destroy (only a pool this source
/// owns that no domain uses; its directory and files are kept).
/// </summary>
internal static class PoolSteps
{
    public static void Execute(NodeSession session, Plan plan, PoolChange change)
    {
        var store = LedgerStore.For(session.Target);
        var conn = session.Connection;
        switch (change.Action)
        {
            case ChangeAction.Create:
            {
                var spec = change.Spec ?? throw new ApplyStepException($"storage pool {change.Name}: the plan has no spec to create it from");
                using var pool = conn.DefineStoragePool(StorageXml.Pool(spec), validate: true);
                try
                {
                    // dir and netfs: mkdir of the target; logical: vgcreate, only when the spec says build
                    // (NO_OVERWRITE: never on a device with a file system or another volume group).
                    if (spec.Type is StoragePoolType.Dir or StoragePoolType.Netfs) pool.Build(StoragePoolBuildFlags.New);
                    else if (spec.Type == StoragePoolType.Logical && spec.Build) pool.Build(StoragePoolBuildFlags.NoOverwrite);
                    pool.Create();
                }
                catch (LibvirtException e)
                {
                    // Nothing of ours stays behind a pool that cannot start: the definition goes, its storage is left as it was.
                    try { pool.Undefine(); } catch (LibvirtException) { }
                    throw new ApplyStepException($"storage pool {change.Name}: {e.Message}; its definition was removed again");
                }
                pool.Autostart = spec.Autostart;
                // A pool defined again on a directory Reconciler used before finds its old ledger: the records stay.
                var (old, _, _) = store.Read(pool);
                store.Write(pool, (old ?? StorageLedger.Empty) with { Pool = Owner(spec.Name, plan) });
                break;
            }
            case ChangeAction.Start:
            case ChangeAction.Update:
            {
                using var pool = conn.LookupStoragePoolByName(change.Name) ?? throw new ApplyStepException($"storage pool {change.Name} is not on node {session.Target.Name}");
                if (!pool.IsActive) pool.Create();
                if (change.Spec is { } spec)
                {
                    if (pool.Autostart != spec.Autostart) pool.Autostart = spec.Autostart;
                    if (change.Adopt)
                    {
                        var (old, error, _) = store.Read(pool);
                        if (error is not null) throw new ApplyStepException($"storage pool {change.Name}: its ledger cannot be read ({error})");
                        store.Write(pool, (old ?? StorageLedger.Empty) with { Pool = Owner(spec.Name, plan) });
                    }
                }
                break;
            }
            case ChangeAction.Destroy:
            {
                using var pool = conn.LookupStoragePoolByName(change.Name) ?? throw new ApplyStepException($"storage pool {change.Name} is already gone");
                var live = StorageReader.ReadPool(session, change.Name)!;
                if (live.Ledger?.Pool?.Source != plan.Source) throw new ApplyStepException($"storage pool {change.Name} is not owned by {plan.Source} any more; it is kept");
                var users = StorageSteps.Users(session, live.Name, live.Volumes);
                if (users.Count > 0) throw new ApplyStepException($"storage pool {change.Name} is still used by domain(s) {string.Join(", ", users)}; it is kept");
                // Forget the pool's ownership (not its volume records: the files stay) before it goes.
                store.Write(pool, live.Ledger with { Pool = null });
                if (pool.IsActive) pool.Destroy();
                pool.Undefine();
                break;
            }
        }
    }

    private static OwnerRecord Owner(string name, Plan plan) => new(name, "", plan.Source, plan.Revision, false);
}
