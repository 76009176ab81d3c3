using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Import;
using Reconciler.Libvirt;
using Reconciler.Rendering;
using Reconciler.Rendering.Tests;
using Reconciler.Specs;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Issue 20's property over the golden pool and network cases (<see cref="PoolNetworkCases"/>, the
/// specs behind tests/Reconciler.Rendering.Tests/Golden/pools and Golden/networks): each rendering,
/// defined on libvirt's test driver as if written by hand (no owner record), imports with
/// <c>--with-dependencies</c>' writers to a spec that loads back to the same model, field for field.
/// </summary>
public sealed class ImportDependencyGoldenTests
{
    public static TheoryData<string> PoolCases() => new(PoolNetworkCases.Pools.Keys);

    public static TheoryData<string> NetworkCases() => new(PoolNetworkCases.Networks.Keys);

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Importing_a_defined_golden_pool_gives_back_the_same_model(string caseName)
    {
        var spec = PoolNetworkCases.Pools[caseName];
        using var scratch = LibvirtConnection.Open("test:///default");
        using var pool = scratch.DefineStoragePool(StorageXml.Pool(spec));
        pool.Autostart = spec.Autostart;

        var imported = DependencyImporter.Pool(pool.Name, pool.GetXmlDesc(), pool.Autostart);

        Assert.True(imported.Refused is null, imported.Refused);
        var back = Loaded<StoragePoolSpec>(imported).Single();
        Assert.Equal(spec.Name, back.Name);
        Assert.Equal(spec.Type, back.Type);
        Assert.Equal(spec.Path, back.Path);
        Assert.Equal(spec.Autostart, back.Autostart);
        Assert.Equal(spec.Source?.Canonical(spec.Type), back.Source?.Canonical(back.Type));
        // build: is how a pool is created, not what it is: an imported pool exists and is not built again.
        Assert.False(back.Build);
        Assert.DoesNotContain("build", imported.Yaml!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NetworkCases))]
    public void Importing_a_defined_golden_network_gives_back_the_same_model(string caseName)
    {
        var spec = PoolNetworkCases.Networks[caseName];
        var xml = XDocument.Parse(NetworkXml.Render(spec, new OwnerRecord(spec.Name, "sha256:x", "/specs", "rev", false)));
        xml.Root!.Element("metadata")?.Remove();
        using var scratch = LibvirtConnection.Open("test:///default");
        using (var network = scratch.DefineNetwork(xml.ToString()))
        {
            network.Autostart = spec.Autostart;
        }

        var imported = DependencyImporter.Network(scratch, spec.Name);

        Assert.True(imported.Refused is null, imported.Refused);
        var back = Loaded<NetworkSpec>(imported).Single();
        Assert.Equal(spec.Autostart, back.Autostart);
        var differences = NetworkFields.Diff(spec, back);
        Assert.True(differences.Count == 0, $"{caseName}: {string.Join(", ", differences.Select(d => d.Field))}\n{imported.Yaml}");
    }

    [Fact]
    public void A_pool_of_a_type_Reconciler_does_not_manage_is_refused_by_name()
    {
        var imported = DependencyImporter.Pool("zfs-1", "<pool type='zfs'><name>zfs-1</name><source><name>tank</name></source></pool>", true);

        Assert.Null(imported.Yaml);
        Assert.Contains("'zfs'", imported.Refused, StringComparison.Ordinal);
        Assert.Contains("write its spec by hand", imported.Refused, StringComparison.Ordinal);
    }

    private static IEnumerable<T> Loaded<T>(ImportedDependency imported)
    {
        var result = SpecLoader.LoadFiles("import", [(imported.Name + ".yaml", imported.Yaml!)]);
        Assert.False(result.HasErrors, string.Join("; ", result.Diagnostics) + "\n" + imported.Yaml);
        return result.Specs!.Pools.OfType<T>().Concat(result.Specs.Networks.OfType<T>());
    }
}
