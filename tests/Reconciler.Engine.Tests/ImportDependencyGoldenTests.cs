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
/// The example directories' pools and networks go through the same comparison (ImportTests).
/// </summary>
public sealed class ImportDependencyGoldenTests
{
    public static TheoryData<string> PoolCases() => new(PoolNetworkCases.Pools.Keys);

    public static TheoryData<string> NetworkCases() => new(PoolNetworkCases.Networks.Keys);

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Importing_a_defined_golden_pool_gives_back_the_same_model(string caseName)
    {
        var differences = PoolDifferences(PoolNetworkCases.Pools[caseName]);
        Assert.True(differences.Count == 0, $"{caseName}: {string.Join("; ", differences)}");
    }

    [Theory]
    [MemberData(nameof(NetworkCases))]
    public void Importing_a_defined_golden_network_gives_back_the_same_model(string caseName)
    {
        var differences = NetworkDifferences(PoolNetworkCases.Networks[caseName]);
        Assert.True(differences.Count == 0, $"{caseName}: {string.Join("; ", differences)}");
    }

    [Fact]
    public void A_pool_of_a_type_Reconciler_does_not_manage_is_refused_by_name()
    {
        var imported = DependencyImporter.Pool("zfs-1", "<pool type='zfs'><name>zfs-1</name><source><name>tank</name></source></pool>", true);

        Assert.Null(imported.Yaml);
        Assert.Contains("'zfs'", imported.Refused, StringComparison.Ordinal);
        Assert.Contains("write its spec by hand", imported.Refused, StringComparison.Ordinal);
    }

    /// <summary>
    /// How the import of <paramref name="spec"/>'s pool, defined on a scratch node as if by hand,
    /// differs from it (empty: the property holds): type, path, source, autostart. <c>build</c> is
    /// how a pool is created, not what it is: an imported pool exists and is never written as built.
    /// </summary>
    internal static List<string> PoolDifferences(StoragePoolSpec spec)
    {
        using var scratch = LibvirtConnection.Open("test:///default");
        using var pool = scratch.DefineStoragePool(StorageXml.Pool(spec));
        pool.Autostart = spec.Autostart;
        var imported = DependencyImporter.Pool(pool.Name, pool.GetXmlDesc(), pool.Autostart);
        if (imported.Refused is { } refused) return [$"not imported: {refused}"];
        var (back, errors) = Loaded(imported, s => s.Pools);
        if (back is null) return errors;
        var differences = new List<string>();
        void Compare(string field, object? want, object? got)
        {
            if (!Equals(want, got)) differences.Add($"{field} was {want}, import gives {got}");
        }
        Compare("name", spec.Name, back.Name);
        Compare("type", spec.Type, back.Type);
        Compare("path", spec.Path, back.Path);
        Compare("autostart", spec.Autostart, back.Autostart);
        Compare("source", spec.Source?.Canonical(spec.Type), back.Source?.Canonical(back.Type));
        Compare("build", false, back.Build);
        return differences;
    }

    /// <summary>How the import of <paramref name="spec"/>'s network, defined on a scratch node as if by hand, differs from it (empty: the property holds).</summary>
    internal static List<string> NetworkDifferences(NetworkSpec spec)
    {
        var xml = XDocument.Parse(NetworkXml.Render(spec, new OwnerRecord(spec.Name, "sha256:x", "/specs", "rev", false)));
        xml.Root!.Element("metadata")?.Remove();
        using var scratch = LibvirtConnection.Open("test:///default");
        using (var network = scratch.DefineNetwork(xml.ToString()))
        {
            network.Autostart = spec.Autostart;
        }
        var imported = DependencyImporter.Network(scratch, spec.Name);
        if (imported.Refused is { } refused) return [$"not imported: {refused}"];
        var (back, errors) = Loaded(imported, s => s.Networks);
        if (back is null) return errors;
        var differences = NetworkFields.Diff(spec, back).Select(d => $"{d.Field} differs (import: {d.Before})").ToList();
        if (spec.Autostart != back.Autostart) differences.Add($"autostart was {spec.Autostart}, import gives {back.Autostart}");
        return differences;
    }

    /// <summary>The one spec the written text loads to, or the loader's errors with the text.</summary>
    private static (T? Spec, List<string> Errors) Loaded<T>(ImportedDependency imported, Func<SpecSet, IReadOnlyList<T>> select)
        where T : class
    {
        var result = SpecLoader.LoadFiles("import", [(imported.Name + ".yaml", imported.Yaml!)]);
        if (result.HasErrors || result.Specs is null) return (null, [$"the written spec does not load: {string.Join("; ", result.Diagnostics)}\n{imported.Yaml}"]);
        return select(result.Specs) is [var one] ? (one, []) : (null, [$"the written spec is not one resource:\n{imported.Yaml}"]);
    }
}
