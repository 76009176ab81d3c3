using System.Collections.Concurrent;
using System.Runtime.Loader;

namespace Reconciler.Libvirt.Tests;

public class EventTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void Open_with_events_starts_the_loop()
    {
        using var conn = LibvirtConnection.Open(TestDriver.DefaultUri, enableEvents: true);

        Assert.True(conn.EventsEnabled);
        Assert.True(LibvirtEventLoop.IsRunning);
        LibvirtEventLoop.EnsureStarted(); // idempotent
    }

    [Fact]
    public void Open_without_events_does_not_start_the_loop()
    {
        // The loop is process-wide once started (other tests start it), so check in a fresh copy
        // of the assembly: its managed state starts from scratch. Not collectible: that copy's
        // static initializer installs its own libvirt error handler, whose code must stay loaded.
        var alc = new AssemblyLoadContext(nameof(Open_without_events_does_not_start_the_loop), isCollectible: false);
        var asm = alc.LoadFromAssemblyPath(typeof(LibvirtConnection).Assembly.Location);
        var connType = asm.GetType(typeof(LibvirtConnection).FullName!)!;
        var loopType = asm.GetType(typeof(LibvirtEventLoop).FullName!)!;
        var open = connType.GetMethod(nameof(LibvirtConnection.Open), [typeof(string), typeof(bool), typeof(bool)])!;

        using var conn = (IDisposable)open.Invoke(null, [TestDriver.DefaultUri, false, false])!;
        Assert.False((bool)connType.GetProperty(nameof(LibvirtConnection.EventsEnabled))!.GetValue(conn)!);
        Assert.False((bool)loopType.GetProperty(nameof(LibvirtEventLoop.IsRunning))!.GetValue(null)!);
    }

    [Fact]
    public void Lifecycle_events_arrive_for_define_start_stop_undefine()
    {
        using var conn = LibvirtConnection.Open(TestDriver.DefaultUri, enableEvents: true);
        var name = TestDriver.UniqueName("ev");
        var events = new ConcurrentQueue<DomainLifecycleEvent>();
        using var registration = conn.RegisterDomainLifecycleEvents(e =>
        {
            if (e.DomainName == name)
            {
                events.Enqueue(e);
            }
        });

        string uuid;
        using (var dom = conn.DefineDomain(TestDriver.DomainXml(name)))
        {
            uuid = dom.Uuid;
            Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Defined), Timeout), "no Defined event");
            dom.Create();
            Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Started), Timeout), "no Started event");
            dom.Destroy();
            Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Stopped), Timeout), "no Stopped event");
            dom.Undefine();
        }

        Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Undefined), Timeout), "no Undefined event");

        var seen = events.ToArray();
        Assert.All(seen, e => Assert.Equal(uuid, e.DomainUuid));
        Assert.Equal(0, seen.First(e => e.Type == DomainEventType.Defined).Detail);  // VIR_DOMAIN_EVENT_DEFINED_ADDED
        Assert.Equal(1, seen.First(e => e.Type == DomainEventType.Stopped).Detail);  // VIR_DOMAIN_EVENT_STOPPED_DESTROYED
        Assert.Equal(
            [DomainEventType.Defined, DomainEventType.Started, DomainEventType.Stopped, DomainEventType.Undefined],
            seen.Select(e => e.Type).Distinct());
    }

    [Fact]
    public void Disposed_registration_gets_no_more_events_and_throwing_callbacks_are_contained()
    {
        using var conn = LibvirtConnection.Open(TestDriver.DefaultUri, enableEvents: true);
        var first = new ConcurrentQueue<string>();
        var second = new ConcurrentQueue<string>();
        var throwing = 0;
        var a = conn.RegisterDomainLifecycleEvents(e => first.Enqueue(e.DomainName));
        using var b = conn.RegisterDomainLifecycleEvents(e => second.Enqueue(e.DomainName));
        using var c = conn.RegisterDomainLifecycleEvents(_ =>
        {
            Interlocked.Increment(ref throwing);
            throw new InvalidOperationException("callback bug");
        });

        var name1 = TestDriver.UniqueName("evone");
        using (var d1 = conn.DefineDomain(TestDriver.DomainXml(name1)))
        {
            Assert.True(TestDriver.WaitUntil(() => first.Contains(name1) && second.Contains(name1), Timeout));
            d1.Undefine();
        }

        a.Dispose();
        a.Dispose(); // idempotent

        var name2 = TestDriver.UniqueName("evtwo");
        using (var d2 = conn.DefineDomain(TestDriver.DomainXml(name2)))
        {
            d2.Undefine();
        }

        // Events are delivered in order: once the second handler saw name2's undefine, the first
        // would have seen it too.
        Assert.True(TestDriver.WaitUntil(() => second.Count(n => n == name2) >= 2, Timeout));
        Assert.DoesNotContain(name2, first);
        Assert.True(Volatile.Read(ref throwing) >= 4);
        Assert.True(conn.IsAlive);
    }

    [Fact]
    public void Registration_keeps_working_after_the_connection_object_is_disposed()
    {
        var conn = LibvirtConnection.Open(TestDriver.DefaultUri, enableEvents: true);
        using var other = TestDriver.Open();
        var seen = new ConcurrentQueue<string>();
        var registration = conn.RegisterDomainLifecycleEvents(e => seen.Enqueue(e.DomainName));
        conn.Dispose();

        var name = TestDriver.UniqueName("evafter");
        using (var dom = other.DefineDomain(TestDriver.DomainXml(name)))
        {
            Assert.True(TestDriver.WaitUntil(() => seen.Contains(name), Timeout));
            dom.Undefine();
        }

        registration.Dispose(); // deregisters on the still-referenced native connection
    }

    [Fact]
    public void Keepalive_is_unsupported_in_process_and_close_callback_registers()
    {
        using var conn = LibvirtConnection.Open(TestDriver.DefaultUri, enableEvents: true);

        Assert.Throws<LibvirtUnsupportedException>(() => conn.SetKeepAlive(5, 3));

        using (conn.RegisterCloseCallback(_ => { }))
        {
            Assert.True(conn.IsAlive);
        }
    }
}

/// <summary>Events, keep-alive and close callbacks over a real remote connection.</summary>
public class RemoteEventTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal static string QemuDomainXml(string name) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """;

    [SessionDaemonFact]
    public void Close_callback_reports_a_daemon_that_went_away()
    {
        using var daemon = new SessionDaemon();
        using var conn = LibvirtConnection.Open(daemon.Uri, enableEvents: true);
        var first = new ConcurrentQueue<ConnectionCloseReason>();
        var second = new ConcurrentQueue<ConnectionCloseReason>();
        var dropped = new ConcurrentQueue<ConnectionCloseReason>();
        using var a = conn.RegisterCloseCallback(first.Enqueue);
        using var b = conn.RegisterCloseCallback(second.Enqueue);
        conn.RegisterCloseCallback(dropped.Enqueue).Dispose();
        using var events = conn.RegisterDomainLifecycleEvents(_ => { });

        Assert.True(conn.SetKeepAlive(1, 3));
        Assert.True(conn.IsAlive);

        daemon.Kill();

        Assert.True(TestDriver.WaitUntil(() => !first.IsEmpty && !second.IsEmpty, Timeout), "close callback not called");
        Assert.Contains(first.First(), new[] { ConnectionCloseReason.Eof, ConnectionCloseReason.Error, ConnectionCloseReason.KeepAlive });
        Assert.Equal(first.First(), second.First());
        Assert.Empty(dropped);
        Assert.False(conn.IsAlive);
        Assert.Throws<LibvirtOperationFailedException>(() => conn.ListAllStoragePools());

        // Unsubscribing from a dead connection does not throw (disposals at the end of the test).
    }

    [SessionDaemonFact]
    public void Remote_lifecycle_events_for_define_and_undefine()
    {
        using var daemon = new SessionDaemon();
        using var conn = LibvirtConnection.Open(daemon.Uri, enableEvents: true);
        var name = TestDriver.UniqueName("remote");
        var events = new ConcurrentQueue<DomainLifecycleEvent>();
        using var registration = conn.RegisterDomainLifecycleEvents(e =>
        {
            if (e.DomainName == name)
            {
                events.Enqueue(e);
            }
        });

        using (var dom = conn.DefineDomain(QemuDomainXml(name)))
        {
            Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Defined), Timeout), "no Defined event");
            dom.Undefine();
        }

        Assert.True(TestDriver.WaitUntil(() => events.Any(e => e.Type == DomainEventType.Undefined), Timeout), "no Undefined event");
    }
}
