using System.Globalization;
using System.Net;
using System.Text;
using Reconciler.Benchmarks;
using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Reading a node far away: a private libvirtd serves a test-driver node file over plain TCP
/// (<c>test+tcp://</c>) through the latency benchmark's delaying proxy (100 ms round trip). The read
/// keeps its readConcurrency calls in flight on the one connection (the proxy sees more calls on
/// their way at once than the old fixed 4 threads could make), and reads every domain with the
/// state the node file gives it. Port 16875 (the latency benchmark's range, 16870–16879).
/// </summary>
public sealed class RemoteReadTests
{
    [Fact]
    public async Task A_remote_read_keeps_readConcurrency_calls_in_flight_and_reads_every_domain()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rc-remote-read-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "node.xml");
            File.WriteAllText(file, NodeFile(64));
            using var daemon = new PrivateLibvirtd("rr-node", 16875);
            await using var proxy = new DelayProxy(new IPEndPoint(IPAddress.Loopback, 16875), TimeSpan.FromMilliseconds(100));
            var target = new NodeTarget("far", $"test+tcp://127.0.0.1:{proxy.Port}{file}", "test") { ReadConcurrency = 16 };

            using var session = NodeSession.Open(target);
            proxy.ResetCounts();
            var live = session.Read();

            Assert.Equal(64, live.Domains.Count);
            Assert.Equal(Enumerable.Range(0, 64).Select(Name), live.Domains.Select(d => d.Name).Order(StringComparer.Ordinal));
            Assert.All(live.Domains, d => Assert.Equal(Index(d.Name) % 4 == 0 ? LiveRunState.Running : LiveRunState.Stopped, d.RunState));
            Assert.True(proxy.PeakInFlight > 4,
                $"at most {proxy.PeakInFlight} calls were on their way at once ({proxy.Calls} calls in all); readConcurrency 16 should keep more than 4 in flight");
            Assert.True(proxy.Calls >= 64, $"{proxy.Calls} calls for 64 definitions");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"rr-{i:D3}");

    private static int Index(string name) => int.Parse(name[3..], CultureInfo.InvariantCulture);

    /// <summary>A test-driver node file with <paramref name="n"/> domains, every fourth running.</summary>
    private static string NodeFile(int n)
    {
        var s = new StringBuilder("<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>8</active><mhz>2000</mhz><model>x86_64</model></cpu><memory>16777216</memory>\n");
        for (var i = 0; i < n; i++)
        {
            s.Append(CultureInfo.InvariantCulture,
                $"<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>{Name(i)}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os><test:runstate>{(i % 4 == 0 ? 1 : 5)}</test:runstate></domain>\n");
        }
        return s.Append("</node>\n").ToString();
    }
}
