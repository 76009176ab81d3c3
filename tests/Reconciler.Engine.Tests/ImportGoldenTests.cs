using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Engine.Import;
using Reconciler.Libvirt;
using Reconciler.Rendering;
using Reconciler.Rendering.Tests;
using Xunit.Abstractions;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Issue 20's property over the golden rendering cases (<see cref="Cases.All"/>, the specs behind
/// tests/Reconciler.Rendering.Tests/Golden): each case's rendering, defined on libvirt's test driver
/// as if written by hand, imports to the same model, field for field, with no <c>xml:</c> patch
/// unless the case itself has patches, and the import round-trips equal.
/// </summary>
public sealed class ImportGoldenTests(ITestOutputHelper output)
{
    /// <summary>
    /// The cases that do not import to the same model, each with why. Empty means every golden case
    /// holds; a case named here must still fail (<see cref="Every_exclusion_still_fails_and_is_a_case"/>),
    /// so the list cannot go stale.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Excluded = new Dictionary<string, string>(StringComparer.Ordinal)
    {
    };

    public static TheoryData<string> CaseNames() => new(Cases.All.Keys.Where(k => !Excluded.ContainsKey(k)));

    /// <summary>The property: for every golden case, import(define(render(spec))) gives back the same model (defaults may be written or left out).</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Importing_a_defined_golden_case_gives_back_the_same_model(string caseName)
    {
        var problems = Problems(caseName, output);
        Assert.True(problems.Count == 0, $"{caseName}:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void Every_exclusion_still_fails_and_is_a_case()
    {
        foreach (var (caseName, reason) in Excluded)
        {
            Assert.True(Cases.All.ContainsKey(caseName), $"excluded '{caseName}' is no golden case");
            Assert.False(string.IsNullOrWhiteSpace(reason), $"excluded '{caseName}' gives no reason");
            Assert.True(Problems(caseName, output).Count > 0, $"excluded '{caseName}' ({reason}) now round-trips: take it off the list");
        }
    }

    /// <summary>Every way the case's import differs from its spec (empty: the property holds).</summary>
    private static List<string> Problems(string caseName, ITestOutputHelper output)
    {
        var (spec, domainType) = Cases.All[caseName];
        // Written as if by hand: the owner record goes (import must read everything from the definition itself); other metadata (libosinfo) stays.
        var xml = XDocument.Parse(DomainRenderer.Render(spec, Cases.Options(caseName, domainType)));
        if (xml.Root!.Element("metadata") is { } metadata)
        {
            metadata.Elements(XName.Get(OwnerRecord.ElementName, OwnerRecord.Namespace)).Remove();
            if (!metadata.HasElements) metadata.Remove();
        }
        using var scratch = LibvirtConnection.Open("test:///default");
        var live = ImportTests.Defined(scratch, xml.ToString(), "gold-" + caseName);
        ImportedDomain imported;
        try
        {
            imported = DomainImporter.Import(live, new ImportOptions("test", KeepMacs: true, Running: spec.State == PowerState.Running, spec.Autostart));
        }
        catch (ImportRefusedException e)
        {
            return [$"not imported: {e.Message}"];
        }
        output.WriteLine($"{caseName}:\n{imported.Yaml}");
        var problems = ImportTests.ModelDifferences(spec, live, imported);
        // What the model expresses must come back as fields: a patch only where the case itself has patches.
        if (spec.Xml.Count == 0 && imported.Carried.Count > 0) problems.Add($"carried as xml: patches: {string.Join(", ", imported.Carried)}");
        // A case with patches: the import's patches are at places the case's own patches name (the rest came back as fields).
        var named = spec.Xml.Select(p => p.XPath).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(imported.Spec.Xml.Where(p => !named.Contains(p.XPath)).Select(p => $"patch at {p.XPath}, which the case's patches do not name"));
        using var roundTrip = new RoundTrip();
        problems.AddRange(roundTrip.Differences(imported).Select(d => "round trip: " + d));
        return problems;
    }
}
