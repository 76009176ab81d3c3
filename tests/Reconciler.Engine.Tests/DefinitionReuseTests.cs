using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The controller's reads reuse a definition libvirt sent no lifecycle event for since it was read
/// (NodeSession.Reuse.cs): a change with an event is seen by the next read; a change libvirt sends
/// no event for (<c>setmem --config</c>) is seen only by a full read (the resync); without the watch
/// nothing is reused; a reconnect (the daemon closing our connection) starts with nothing cached.
/// Real libvirt: the in-process test driver and qemu:///system (domains named <c>pc-reuse-*</c>).
/// </summary>
[Collection(DefinitionReuseCollection.Name)]
public sealed class DefinitionReuseTests : IDisposable
{
    private const string Prefix = "pc-reuse-";
    private const string SystemUri = "qemu:///system";
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"reconciler-reuse-{Guid.NewGuid():N}.xml");

    public DefinitionReuseTests()
    {
        File.WriteAllText(_file, "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active>"
            + "<mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory>" + TestDomain("a", 65536) + TestDomain("b", 65536) + "</node>");
        Cleanup();
    }

    public void Dispose()
    {
        File.Delete(_file);
        Cleanup();
    }

    private static string TestDomain(string name, int memoryKib) =>
        $"<domain type='test'><name>{name}</name><uuid>7a1c0000-0000-4000-8000-00000000000{name[0] - 'a'}</uuid><memory unit='KiB'>{memoryKib}</memory><currentMemory unit='KiB'>{memoryKib}</currentMemory>"
        + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

    private static string QemuDomain(string name, int memoryKib) =>
        $"<domain type='qemu'><name>{name}</name><memory unit='KiB'>131072</memory><currentMemory unit='KiB'>{memoryKib}</currentMemory>"
        + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

    private static NodeTarget Watched(string name, string uri) => new(name, uri) { KeepAliveInterval = 5, KeepAliveCount = 3 };

    private static ulong? CurrentKib(LiveNode node, string name) =>
        node.Domains.Single(d => d.Name == name).Config?.MemoryBytes / 1024;

    /// <summary>Blocks until <paramref name="connection"/> delivered a lifecycle event of <paramref name="name"/> (events of one connection arrive in order).</summary>
    private static IDisposable EventOf(LibvirtConnection connection, string name, out SemaphoreSlim seen)
    {
        var signal = new SemaphoreSlim(0);
        seen = signal;
        return connection.RegisterDomainLifecycleEvents(e =>
        {
            if (e.DomainName == name) signal.Release();
        });
    }

    [Fact]
    public void A_definition_changed_with_an_event_is_read_again_by_the_next_reusing_read_and_the_others_are_reused()
    {
        using var session = NodeSession.Open(Watched("t", "test://" + _file));
        Assert.True(session.WatchChanges());
        var first = session.Read(reuse: true).Domains.ToDictionary(d => d.Name);
        var second = session.Read(reuse: true).Domains.ToDictionary(d => d.Name);
        Assert.Same(first["a"].Config, second["a"].Config);
        Assert.Same(first["b"].Config, second["b"].Config);
        Assert.Equal(first["a"].Fingerprint, second["a"].Fingerprint);

        // Registered after the session's watch: when this one has the event, the watch has it too.
        using var watch = EventOf(session.Connection, "b", out var seen);
        session.Connection.DefineDomain(TestDomain("b", 98304)).Dispose();
        Assert.True(seen.Wait(TimeSpan.FromSeconds(30)), "libvirt delivered no event for the redefinition");
        var third = session.Read(reuse: true);
        Assert.Equal(98304UL, CurrentKib(third, "b"));
        Assert.Same(second["a"].Config, third.Domains.Single(d => d.Name == "a").Config);
        Assert.NotEqual(second["b"].Fingerprint, third.Domains.Single(d => d.Name == "b").Fingerprint);
        seen.Dispose();
    }

    [Fact]
    public void A_change_libvirt_sends_no_event_for_is_seen_by_the_full_read_only_and_a_session_without_the_watch_reuses_nothing()
    {
        using (var setup = LibvirtConnection.Open(SystemUri))
        {
            setup.DefineDomain(QemuDomain(Prefix + "x", 65536)).Dispose();
        }
        using var session = NodeSession.Open(Watched("sys", SystemUri));
        Assert.True(session.WatchChanges());
        using var unwatched = NodeSession.Open(new NodeTarget("sys2", SystemUri));
        Assert.Equal(65536UL, CurrentKib(session.Read(reuse: true), Prefix + "x"));
        Assert.Equal(65536UL, CurrentKib(unwatched.Read(reuse: true), Prefix + "x"));

        using (var other = LibvirtConnection.Open(SystemUri))
        {
            using var x = other.LookupDomainByName(Prefix + "x")!;
            x.SetMemory(98304, DomainModificationImpact.Config); // virsh setmem --config: no lifecycle event
            // A define after it: once its event is here, any event of the change before it would be too.
            using var watch = EventOf(session.Connection, Prefix + "marker", out var seen);
            other.DefineDomain(QemuDomain(Prefix + "marker", 65536)).Dispose();
            Assert.True(seen.Wait(TimeSpan.FromSeconds(30)), "libvirt delivered no event for the marker's definition");
            seen.Dispose();
        }

        Assert.Equal(65536UL, CurrentKib(session.Read(reuse: true), Prefix + "x")); // reused: nothing said it changed
        Assert.Equal(98304UL, CurrentKib(unwatched.Read(reuse: true), Prefix + "x")); // no watch: always fetched
        Assert.Equal(98304UL, CurrentKib(session.Read(reuse: false), Prefix + "x")); // the resync's full read
        Assert.Equal(98304UL, CurrentKib(session.Read(reuse: true), Prefix + "x")); // and reuses what that read
    }

    [Fact]
    public async Task A_reconnect_drops_what_the_dropped_connection_had_read()
    {
        using (var setup = LibvirtConnection.Open(SystemUri))
        {
            setup.DefineDomain(QemuDomain(Prefix + "y", 65536)).Dispose();
        }
        var before = OwnClients();
        using var pool = new NodeConnections(_ => TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(15));
        var target = new NodeTarget("sys", SystemUri);
        var (sessions, errors) = await pool.AcquireAsync([target], CancellationToken.None);
        Assert.Empty(errors);
        var held = sessions["sys"];
        Assert.True(held.WatchesChanges, "the pool watches the lifecycle events of each connection it opens");
        Assert.Equal(65536UL, CurrentKib(held.Read(reuse: true), Prefix + "y"));
        Assert.True(held.Cached > 0);
        pool.Release(sessions);

        using (var other = LibvirtConnection.Open(SystemUri))
        {
            using var y = other.LookupDomainByName(Prefix + "y")!;
            y.SetMemory(98304, DomainModificationImpact.Config); // no lifecycle event
        }
        Assert.Equal(65536UL, CurrentKib(held.Read(reuse: true), Prefix + "y"));

        // The daemon closes the pool's connection (virt-admin client-disconnect), as a daemon going away would.
        var ours = OwnClients().Except(before).ToList();
        Assert.Single(ours);
        VirtAdmin("client-disconnect", "libvirtd", ours[0].ToString(CultureInfo.InvariantCulture));

        var clock = Stopwatch.StartNew();
        NodeSession? fresh = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            (sessions, errors) = await pool.AcquireAsync([target], CancellationToken.None);
            if (sessions.TryGetValue("sys", out var s) && !ReferenceEquals(s, held))
            {
                fresh = s;
                break;
            }
            pool.Release(sessions);
            await Task.Delay(100);
        }
        Assert.NotNull(fresh);
        Assert.True(fresh.WatchesChanges);
        Assert.Equal(0, fresh.Cached);
        Assert.Equal(98304UL, CurrentKib(fresh.Read(reuse: true), Prefix + "y"));
        pool.Release(sessions);
    }

    /// <summary>The system daemon's client ids whose peer is this process.</summary>
    private static HashSet<long> OwnClients()
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var ids = new HashSet<long>();
        foreach (Match m in Regex.Matches(VirtAdmin("client-list", "libvirtd"), @"^\s*(\d+)\s", RegexOptions.Multiline))
        {
            var id = m.Groups[1].Value;
            string info;
            try
            {
                info = VirtAdmin("client-info", "libvirtd", id);
            }
            catch (InvalidOperationException)
            {
                continue; // gone meanwhile
            }
            if (Regex.IsMatch(info, @"unix_process_id\s*:\s*" + pid + @"\s*$", RegexOptions.Multiline)) ids.Add(long.Parse(id, CultureInfo.InvariantCulture));
        }
        return ids;
    }

    private static string VirtAdmin(params string[] args)
    {
        var psi = new ProcessStartInfo("virt-admin") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"virt-admin {string.Join(' ', args)}: {stderr}");
        return stdout.Result;
    }

    private static void Cleanup() => SystemDomains.Remove(Prefix);
}

/// <summary>The tests' domains on qemu:///system.</summary>
internal static class SystemDomains
{
    /// <summary>Destroys and undefines every domain whose name starts with <paramref name="prefix"/>.</summary>
    public static void Remove(string prefix)
    {
        using var conn = LibvirtConnection.Open("qemu:///system");
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (!d.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                try { d.Undefine(); } catch (LibvirtException) { }
            }
        }
    }
}

/// <summary>Runs alone: the reconnect test tells its own connection to the system daemon from the others of this process by appearing while no other test opens one.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefinitionReuseCollection
{
    public const string Name = "definition reuse (alone)";
}
