using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// A session kept open across passes (the controller's) fetches every definition afresh on each
/// read but parses only the ones whose text changed.
/// </summary>
public sealed class NodeReadTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"reconciler-noderead-{Guid.NewGuid():N}.xml");

    private static string Domain(string name, int memoryKib) =>
        $"<domain type='test'><name>{name}</name><uuid>6f1c0000-0000-4000-8000-00000000000{name[0] - 'a'}</uuid><memory unit='KiB'>{memoryKib}</memory><currentMemory unit='KiB'>{memoryKib}</currentMemory>"
        + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

    public NodeReadTests() =>
        File.WriteAllText(_file, "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active>"
            + "<mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory>" + Domain("a", 65536) + Domain("b", 65536) + "</node>");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void A_logical_pool_on_a_driver_without_secrets_reads_as_unrecorded_not_as_an_unreadable_node()
    {
        // Its ledger would be a node secret, which libvirt's test driver does not have (virSecretLookupByUUID: not supported).
        using var session = NodeSession.Open(new NodeTarget("t", "test://" + _file));
        session.Connection.DefineStoragePool("<pool type='logical'><name>vg-read</name><source><name>vg-read</name></source><target><path>/dev/vg-read</path></target></pool>").Dispose();
        var live = session.Read();
        Assert.Null(live.Error);
        Assert.Contains(live.Pools, p => p.Name == "vg-read");
        Assert.Equal(2, live.Domains.Count);
    }

    [Fact]
    public void Unchanged_definitions_are_reused_and_a_changed_one_is_parsed_again()
    {
        using var session = NodeSession.Open(new NodeTarget("t", "test://" + _file));
        var first = session.Read().Domains.ToDictionary(d => d.Name);
        var second = session.Read().Domains.ToDictionary(d => d.Name);
        Assert.Same(first["a"].Config, second["a"].Config);
        Assert.Same(first["b"].Config, second["b"].Config);
        Assert.Equal(first["a"].Fingerprint, second["a"].Fingerprint);

        // Redefined out of band with more memory: the next read sees it, the other domain is still reused.
        session.Connection.DefineDomain(Domain("b", 98304)).Dispose();
        var third = session.Read().Domains.ToDictionary(d => d.Name);
        Assert.Same(second["a"].Config, third["a"].Config);
        Assert.NotSame(second["b"].Config, third["b"].Config);
        Assert.Equal(98304UL * 1024, third["b"].Config!.MemoryBytes);
        Assert.NotEqual(second["b"].Fingerprint, third["b"].Fingerprint);
        Assert.Equal(NodeSession.Fingerprint(session.Connection.LookupDomainByName("b")!.GetXmlDesc(Libvirt.DomainXmlFlags.Inactive),
            third["b"].RunState, third["b"].Autostart), third["b"].Fingerprint);

        // A fresh session (a new test-driver state from the file, without the redefinition) parses everything and agrees.
        using var fresh = NodeSession.Open(new NodeTarget("t2", "test://" + _file));
        var again = fresh.Read().Domains.ToDictionary(d => d.Name);
        Assert.Equal(Core.Planning.SpecHash.Compute(third["a"].Config!), Core.Planning.SpecHash.Compute(again["a"].Config!));
        Assert.Equal(Core.Planning.SpecHash.Compute(first["b"].Config!), Core.Planning.SpecHash.Compute(again["b"].Config!));
        Assert.Equal(first["b"].Fingerprint, again["b"].Fingerprint);
    }
}
