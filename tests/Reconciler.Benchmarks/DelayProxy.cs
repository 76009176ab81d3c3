using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Reconciler.Benchmarks;

/// <summary>
/// A TCP proxy on loopback that puts a node "far away": every chunk of bytes is forwarded in
/// order, each held until half of <see cref="RoundTrip"/> has passed since it arrived, in each
/// direction (so a request and its answer take at least one round trip more than without it).
/// Each direction of each connection is a queue of chunks stamped with when they are due: a reader
/// stamps and enqueues what it receives and goes on reading, a writer waits for the head's time and
/// sends it. Chunks that arrive together leave together, so pipelined calls share one delay
/// (throughput is not serialised by the delay). Not simulated: the TCP handshake (the proxy accepts
/// at once), bandwidth and loss.
/// Also counts libvirt RPC messages (<see cref="RpcCounter"/>) in each direction, so a run can say
/// how many calls a client made.
/// </summary>
internal sealed class DelayProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private long _calls;
    private long _replies;
    private long _connectionsAccepted;
    private long _inFlight;
    private long _peakInFlight;

    /// <param name="upstream">Where the bytes go (the daemon).</param>
    /// <param name="roundTrip">The round trip to add: half of it on each direction.</param>
    public DelayProxy(IPEndPoint upstream, TimeSpan roundTrip)
    {
        _upstream = upstream;
        RoundTrip = roundTrip;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>The round trip this proxy adds.</summary>
    public TimeSpan RoundTrip { get; }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    /// <summary>libvirt RPC calls (message type 0) seen from clients to the daemon since the last <see cref="ResetCounts"/>.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>libvirt RPC replies (message type 1) seen from the daemon to clients.</summary>
    public long Replies => Interlocked.Read(ref _replies);

    /// <summary>
    /// The most calls that were on their way at once, over all connections: calls that reached the
    /// proxy from clients minus replies that reached it from the daemon.
    /// </summary>
    public long PeakInFlight => Interlocked.Read(ref _peakInFlight);

    /// <summary>Client connections accepted.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Sets the counters back to zero.</summary>
    public void ResetCounts()
    {
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _replies, 0);
        Interlocked.Exchange(ref _connectionsAccepted, 0);
        Interlocked.Exchange(ref _peakInFlight, Interlocked.Read(ref _inFlight));
    }

    private void CallSeen()
    {
        Interlocked.Increment(ref _calls);
        var now = Interlocked.Increment(ref _inFlight);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, now, peak) != peak)
        {
        }
    }

    private void ReplySeen()
    {
        Interlocked.Increment(ref _replies);
        Interlocked.Decrement(ref _inFlight);
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connectionsAccepted);
            var task = ServeAsync(client, ct);
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        client.NoDelay = true;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await server.ConnectAsync(_upstream, ct).ConfigureAwait(false);
            var half = RoundTrip / 2;
            var up = new RpcCounter(type => { if (type == 0) CallSeen(); });
            var down = new RpcCounter(type => { if (type == 1) ReplySeen(); });
            await Task.WhenAll(Pump(client, server, half, up, ct), Pump(server, client, half, down, ct)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>One direction: read and stamp, and (concurrently) send each chunk when it is due; an end of stream is forwarded as a shutdown.</summary>
    private static async Task Pump(Socket from, Socket to, TimeSpan delay, RpcCounter counter, CancellationToken ct)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[]? Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);

        async Task Read()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var n = await from.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                    var due = Stopwatch.GetTimestamp() + delayTicks;
                    if (n == 0) break;
                    counter.Feed(buffer.AsSpan(0, n));
                    queue.Writer.TryWrite((due, buffer.AsSpan(0, n).ToArray()));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            queue.Writer.TryWrite((Stopwatch.GetTimestamp() + delayTicks, null));
            queue.Writer.TryComplete();
        }

        async Task Write()
        {
            try
            {
                await foreach (var (due, bytes) in queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await WaitUntil(due, ct).ConfigureAwait(false);
                    if (bytes is null)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    for (var sent = 0; sent < bytes.Length;)
                    {
                        sent += await to.SendAsync(bytes.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The other side went away: stop reading this side too.
                try { from.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            }
        }

        await Task.WhenAll(Read(), Write()).ConfigureAwait(false);
    }

    /// <summary>Returns no earlier than <paramref name="due"/> (a <see cref="Stopwatch"/> timestamp): timers may fire a little early, so the rest is waited out.</summary>
    internal static async Task WaitUntil(long due, CancellationToken ct)
    {
        while (true)
        {
            var left = due - Stopwatch.GetTimestamp();
            if (left <= 0) return;
            var ms = left * 1000.0 / Stopwatch.Frequency;
            if (ms >= 2) await Task.Delay(TimeSpan.FromMilliseconds(ms - 1), ct).ConfigureAwait(false);
            else await Task.Yield();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] left;
        lock (_gate) left = [.. _connections];
        await Task.WhenAll(left).ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>
/// Follows libvirt's RPC framing in a byte stream (each message: a 4-byte big-endian length that
/// counts itself, then program, version, procedure, type, serial, status as 4-byte words) and
/// reports each message's type (0 call, 1 reply, 2 message/event, 3 stream) once its header is in.
/// Bytes may come split anywhere. Not thread-safe: one counter per direction of a connection.
/// </summary>
internal sealed class RpcCounter(Action<int> onMessage)
{
    private const int HeaderBytes = 4 * 5; // length, program, version, procedure, type
    private readonly byte[] _header = new byte[HeaderBytes];
    private int _have;
    private long _left; // bytes of the current message still to skip after its header

    /// <summary>Messages whose header has been seen.</summary>
    public long Messages { get; private set; }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_left > 0)
            {
                var skip = (int)Math.Min(_left, bytes.Length);
                _left -= skip;
                bytes = bytes[skip..];
                continue;
            }
            var take = Math.Min(HeaderBytes - _have, bytes.Length);
            bytes[..take].CopyTo(_header.AsSpan(_have));
            _have += take;
            bytes = bytes[take..];
            if (_have < HeaderBytes) return;
            var length = BinaryPrimitives.ReadUInt32BigEndian(_header);
            var type = (int)BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(16));
            Messages++;
            onMessage(type);
            _left = Math.Max(0, (long)length - HeaderBytes);
            _have = 0;
        }
    }
}

/// <summary>
/// Delaying proxies in a child process (<c>Reconciler.Benchmarks proxy</c>), so that neither the
/// measured process's thread pool (blocked by synchronous libvirt calls) nor its garbage
/// collections hold up the "network". Protocol on the child's standard streams: it prints
/// <c>ports P1,P2,…</c> once listening; <c>reset</c> zeroes the counters (answer <c>ok</c>);
/// <c>count</c> answers <c>calls C1,C2,… connections K1,K2,… peak P1,P2,…</c> (most calls in flight
/// at once through each proxy); end of input stops it.
/// </summary>
internal sealed class ProxyProcess : IDisposable
{
    private readonly System.Diagnostics.Process _process;

    public ProxyProcess(int upstreamPort, int count, TimeSpan roundTrip)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var psi = new System.Diagnostics.ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(ProxyProcess).Assembly.Location);
        foreach (var a in new[] { "proxy", upstreamPort.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            roundTrip.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        _process = System.Diagnostics.Process.Start(psi)!;
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the proxy process exited before listening");
        Ports = [.. line["ports ".Length..].Split(',').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>The proxies' ports, one per node.</summary>
    public IReadOnlyList<int> Ports { get; }

    public void Reset()
    {
        _process.StandardInput.WriteLine("reset");
        _process.StandardInput.Flush();
        _process.StandardOutput.ReadLine();
    }

    /// <summary>Calls, connections and the most calls in flight at once, of each proxy since the last <see cref="Reset"/>.</summary>
    public (long[] Calls, long[] Connections, long[] PeakInFlight) Count()
    {
        _process.StandardInput.WriteLine("count");
        _process.StandardInput.Flush();
        var parts = (_process.StandardOutput.ReadLine() ?? "").Split(' ');
        long[] Longs(string s) => [.. s.Split(',').Select(x => long.Parse(x, System.Globalization.CultureInfo.InvariantCulture))];
        return (Longs(parts[1]), Longs(parts[3]), Longs(parts[5]));
    }

    /// <summary>The child's side: <c>proxy UPSTREAMPORT COUNT RTTMS</c>.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var upstream = new IPEndPoint(IPAddress.Loopback, int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture));
        var proxies = Enumerable.Range(0, int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))
            .Select(_ => new DelayProxy(upstream, TimeSpan.FromMilliseconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)))).ToList();
        Console.WriteLine("ports " + string.Join(',', proxies.Select(p => p.Port)));
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } command)
        {
            if (command == "reset")
            {
                foreach (var p in proxies) p.ResetCounts();
                Console.WriteLine("ok");
            }
            else if (command == "count")
            {
                Console.WriteLine($"calls {string.Join(',', proxies.Select(p => p.Calls))} connections {string.Join(',', proxies.Select(p => p.ConnectionsAccepted))} peak {string.Join(',', proxies.Select(p => p.PeakInFlight))}");
            }
        }
        foreach (var p in proxies) await p.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
