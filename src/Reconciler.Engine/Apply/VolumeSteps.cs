namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out the plan's volume steps: create (empty, from a base image copied in or as a qcow2
/// backing overlay), grow (live in running domains), adopt or take back, release (Retain) and
/// delete (Delete; only when no domain attaches it). The ledger records a volume as incomplete
/// before it is written and complete after, so an interrupted create is redone.
/// </summary>
/// <remarks>
/// The sandbox (libvirt's test driver) has no storage streams and cannot resize: there, volume
/// content (base images) is not uploaded and a grow recreates the (empty) volume.
/// </remarks>
internal static class VolumeSteps
{
    public static void Execute(NodeSession session, Plan plan, VolumeChange change, TextWriter progress)
    {
        if (change.Action == ChangeAction.Destroy)
        {
            Delete(session, plan, change.Pool, change.Name);
            return;
        }
        var store = LedgerStore.For(session.Target);
        using var pool = StorageSteps.ActivePool(session, change.Pool);
        switch (change.Action)
        {
            case ChangeAction.Create:
                CreateVolume(session, plan, pool, store, SpecOf(change), progress);
                break;
            case ChangeAction.Update when change.Release:
                StorageSteps.Edit(store, pool, change.Name, r => r is not null && pool.LookupVolumeByName(change.Name) is { } v ? Dispose(v, r with { Released = true }) : null);
                progress.WriteLine($"    volume {change.Name} is kept with its data and no longer managed");
                break;
            case ChangeAction.Update when change.Recreate:
            {
                var (ledger, _, _) = store.Read(pool);
                if (ledger?.Volumes.GetValueOrDefault(change.Name) is not { Complete: false } record || record.Source != plan.Source)
                {
                    throw new ApplyStepException($"volume {change.Name} is not a half-written volume of {plan.Source} any more; it is left alone");
                }
                using (var half = pool.LookupVolumeByName(change.Name)) half?.Delete();
                CreateVolume(session, plan, pool, store, SpecOf(change), progress);
                break;
            }
            case ChangeAction.Update:
            {
                var spec = SpecOf(change);
                using var volume = pool.LookupVolumeByName(change.Name) ?? throw new ApplyStepException($"volume {change.Name} is not in pool {pool.Name}");
                var want = StoragePlanner.RoundedSize(spec.SizeBytes, StorageXml.ParsePool(StorageReader.PoolXml(pool)).Type);
                var info = volume.GetInfo();
                if (info.CapacityBytes > want)
                {
                    throw new ApplyStepException($"volume {change.Name} is {ByteSize.Format(info.CapacityBytes)}; shrinking it to {ByteSize.Format(spec.SizeBytes)} is refused");
                }
                if (info.CapacityBytes < want)
                {
                    StorageSteps.EnsureRoom(session, pool, $"growing volume {change.Name} to {ByteSize.Format(want)}", want - info.CapacityBytes, $"it stays {ByteSize.Format(info.CapacityBytes)}");
                    Grow(session, pool, volume, want, progress);
                }
                StorageSteps.Edit(store, pool, change.Name, r => (r ?? new VolumeRecord(VolumeRole.Volume, spec.Name, plan.Source, plan.Revision, spec.DeletionPolicy, true)) with
                {
                    Role = VolumeRole.Volume,
                    SpecName = spec.Name,
                    Source = plan.Source,
                    Revision = plan.Revision,
                    DeletionPolicy = spec.DeletionPolicy,
                    Complete = true,
                    Released = false,
                });
                break;
            }
        }
    }

    /// <summary>
    /// Deletes a volume or a cloud-init seed this source created, with its ledger record: only when
    /// the ledger still says so, a volume's deletionPolicy is Delete, and no domain attaches it.
    /// </summary>
    public static void Delete(NodeSession session, Plan plan, string poolName, string name)
    {
        var store = LedgerStore.For(session.Target);
        using var pool = StorageSteps.ActivePool(session, poolName);
        var (ledger, error, _) = store.Read(pool);
        var record = ledger?.Volumes.GetValueOrDefault(name);
        if (error is not null || record is null || record.Source != plan.Source || record.Released)
        {
            throw new ApplyStepException($"volume {name} is not a volume {plan.Source} created; it is not deleted");
        }
        if (record.Role == VolumeRole.Volume && record.DeletionPolicy != DeletionPolicy.Delete)
        {
            throw new ApplyStepException($"volume {name} has deletionPolicy {record.DeletionPolicy}; it is not deleted");
        }
        using var volume = pool.LookupVolumeByName(name);
        if (volume is not null)
        {
            var users = StorageSteps.Users(session, pool.Name, [new LiveVolume(name, volume.Path, 0, null, null)]);
            if (users.Count > 0) throw new ApplyStepException($"volume {name} is attached to domain(s) {string.Join(", ", users)}; it is not deleted");
            volume.Delete();
        }
        StorageSteps.Edit(store, pool, name, _ => null);
    }

    private static VolumeSpec SpecOf(VolumeChange change) =>
        change.Spec ?? throw new ApplyStepException($"volume {change.Name}: the plan has no spec to create or update it from");

    private static VolumeRecord? Dispose(LibvirtStorageVolume volume, VolumeRecord? record)
    {
        volume.Dispose();
        return record;
    }

    private static void CreateVolume(NodeSession session, Plan plan, LibvirtStoragePool pool, LedgerStore store, VolumeSpec spec, TextWriter progress)
    {
        var format = spec.Format.ToString().ToLowerInvariant();
        var poolType = StorageXml.ParsePool(StorageReader.PoolXml(pool)).Type;
        var size = StoragePlanner.RoundedSize(spec.SizeBytes, poolType);
        // A logical pool makes a sparse volume an LVM snapshot: its volumes are allocated in full.
        var allocated = poolType == "logical";
        // The base image is fetched and verified before anything exists on the node.
        using var image = spec.BaseImage is { } b ? BaseImages.Fetch(b, progress) : null;
        if (image is not null && image.VirtualSize > size && spec.BaseImage!.Mode == BaseImageMode.Backing)
        {
            throw new ApplyStepException($"volume {spec.Name}: the base image is {ByteSize.Format(image.VirtualSize)}, larger than size {ByteSize.Format(spec.SizeBytes)}; nothing was created");
        }
        StorageSteps.EnsureRoom(session, pool, $"volume {spec.Name}", image is not null && spec.BaseImage!.Mode != BaseImageMode.Backing ? Math.Max(size, image.VirtualSize) : size,
            "nothing was created");
        var record = new VolumeRecord(VolumeRole.Volume, spec.Name, plan.Source, plan.Revision, spec.DeletionPolicy, Complete: false,
            BaseImage: spec.BaseImage is { } bi ? $"{bi.Source} {image!.Sha256}" : null);
        // Recorded as incomplete first: if Reconciler dies half-way, the next plan knows the volume is half-written.
        StorageSteps.Edit(store, pool, spec.Name, _ => record);
        var sandbox = session.Target.IsSandbox;
        try
        {
            if (image is null)
            {
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, format, allocated: allocated)).Dispose();
            }
            else if (spec.BaseImage!.Mode == BaseImageMode.Backing)
            {
                var basePath = EnsureBase(session, plan, pool, store, image, progress);
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, "qcow2", basePath, image.Format)).Dispose();
            }
            else if (sandbox)
            {
                pool.CreateVolume(StorageXml.Volume(spec.Name, size, format)).Dispose();
                progress.WriteLine("    sandbox: the base image's content is not uploaded (the test driver has no storage streams)");
            }
            else if (image.Format == format)
            {
                using var volume = pool.CreateVolume(StorageXml.Volume(spec.Name, Math.Max(size, image.VirtualSize), format));
                Upload(volume, image.Path, progress);
                pool.Refresh();
                using var again = pool.LookupVolumeByName(spec.Name)!;
                if (again.GetInfo().CapacityBytes < size) again.Resize(size);
            }
            else
            {
                // Another format: upload as it is into a temporary volume, let libvirt convert (qemu-img), drop the temporary.
                var temp = spec.Name + ".upload";
                using var staging = pool.CreateVolume(StorageXml.Volume(temp, image.VirtualSize, image.Format));
                try
                {
                    Upload(staging, image.Path, progress);
                    pool.Refresh();
                    using var staged = pool.LookupVolumeByName(temp)!;
                    using var volume = pool.CreateVolumeFrom(StorageXml.Volume(spec.Name, Math.Max(size, image.VirtualSize), format), staged);
                    if (volume.GetInfo().CapacityBytes < size) volume.Resize(size);
                }
                finally
                {
                    using var leftover = pool.LookupVolumeByName(temp);
                    leftover?.Delete();
                }
            }
        }
        catch (Exception e) when (e is LibvirtException or ApplyStepException or IOException)
        {
            // Never leave a half-written volume: remove it and its record.
            try
            {
                using var partial = pool.LookupVolumeByName(spec.Name);
                partial?.Delete();
                StorageSteps.Edit(store, pool, spec.Name, _ => null);
            }
            catch (LibvirtException)
            {
                // The record stays incomplete: the next plan recreates the volume.
            }
            throw new ApplyStepException($"volume {spec.Name}: {e.Message}; the half-written volume was removed");
        }
        StorageSteps.Edit(store, pool, spec.Name, _ => record with { Complete = true });
    }

    /// <summary>The pool's shared copy of a base image (base-SHA256[..16].FORMAT), uploaded once; its path.</summary>
    private static string EnsureBase(NodeSession session, Plan plan, LibvirtStoragePool pool, LedgerStore store, BaseImages.Fetched image, TextWriter progress)
    {
        var name = $"base-{image.Sha256[..16]}.{image.Format}";
        var (ledger, _, _) = store.Read(pool);
        using (var existing = pool.LookupVolumeByName(name))
        {
            if (existing is not null && ledger?.Volumes.GetValueOrDefault(name) is { Complete: true }) return existing.Path;
            existing?.Delete(); // a half-written base from an interrupted run
        }
        var record = new VolumeRecord(VolumeRole.Base, name, plan.Source, plan.Revision, DeletionPolicy.Retain, Complete: false, BaseImage: image.Sha256);
        StorageSteps.Edit(store, pool, name, _ => record);
        using var volume = pool.CreateVolume(StorageXml.Volume(name, image.VirtualSize, image.Format));
        if (session.Target.IsSandbox) progress.WriteLine("    sandbox: the base image's content is not uploaded (the test driver has no storage streams)");
        else Upload(volume, image.Path, progress);
        StorageSteps.Edit(store, pool, name, _ => record with { Complete = true });
        return volume.Path;
    }

    private static void Upload(LibvirtStorageVolume volume, string path, TextWriter progress)
    {
        using var file = File.OpenRead(path);
        progress.WriteLine($"    uploading {ByteSize.Format((ulong)file.Length)} into volume {volume.Name}…");
        if (file.Length > 0) volume.Upload(file, 0, (ulong)file.Length);
    }

    /// <summary>Grows a volume: through the running domains that use it (QEMU owns the image then), else in the pool.</summary>
    private static void Grow(NodeSession session, LibvirtStoragePool pool, LibvirtStorageVolume volume, ulong size, TextWriter progress)
    {
        var grown = false;
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    if (!domain.IsActive) continue;
                    foreach (var target in StorageSteps.Targets(domain.GetXmlDesc(DomainXmlFlags.None), pool.Name, volume.Name, volume.Path))
                    {
                        if (grown) continue;
                        domain.BlockResize(target, size);
                        progress.WriteLine($"    grown live through running domain {domain.Name} ({target})");
                        grown = true;
                    }
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing: it uses nothing any more.
                }
            }
        }
        if (grown)
        {
            pool.Refresh();
            return;
        }
        if (session.Target.IsSandbox)
        {
            // The test driver cannot resize: its volumes hold no data, so an empty one of the new size stands in.
            var name = volume.Name;
            var format = StorageXml.ParseVolume(volume.GetXmlDesc()).Format ?? "raw";
            volume.Delete();
            pool.CreateVolume(StorageXml.Volume(name, size, format)).Dispose();
            return;
        }
        volume.Resize(size);
    }
}
