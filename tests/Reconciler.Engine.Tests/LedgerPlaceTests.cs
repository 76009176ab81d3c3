using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Where each pool type's ledger lives (issue 19, point 5; specs/storage.md): in the pool for dir
/// and netfs, in a node secret for logical, rbd and iscsi, whose UUID is a stable name-based UUID
/// of the pool's name (found again without listing, different for every pool).
/// </summary>
public sealed class LedgerPlaceTests
{
    [Theory]
    [InlineData(StoragePoolType.Dir, LedgerPlace.InPool, true, true)]
    [InlineData(StoragePoolType.Netfs, LedgerPlace.InPool, true, true)]
    [InlineData(StoragePoolType.Logical, LedgerPlace.NodeSecret, true, false)]
    [InlineData(StoragePoolType.Rbd, LedgerPlace.NodeSecret, true, false)]
    [InlineData(StoragePoolType.Iscsi, LedgerPlace.NodeSecret, false, false)]
    public void Each_pool_type_has_its_ledger_place_and_volume_rules(StoragePoolType type, LedgerPlace place, bool volumes, bool qcow2)
    {
        Assert.Equal(place, PoolTypes.LedgerOf(type));
        Assert.Equal(volumes, PoolTypes.HoldsVolumes(type));
        Assert.Equal(qcow2, PoolTypes.HoldsQcow2(type));
        Assert.Equal(type, PoolTypes.Parse(PoolTypes.Xml(type)));
    }

    [Fact]
    public void The_ledger_secret_uuid_is_stable_per_pool_and_a_version_5_uuid()
    {
        var a = LedgerStore.SecretUuid("vg-vms");
        Assert.Equal(a, LedgerStore.SecretUuid("vg-vms"));
        Assert.NotEqual(a, LedgerStore.SecretUuid("vg-vms2"));
        var uuid = Guid.Parse(a);
        Assert.Equal(a, uuid.ToString());
        Assert.Equal('5', a[14]);                 // version
        Assert.Contains(a[19], "89ab");           // RFC 4122 variant
    }
}
