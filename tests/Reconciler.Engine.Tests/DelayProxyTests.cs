using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reconciler.Benchmarks;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The latency benchmark's delaying proxy (tests/Reconciler.Benchmarks/DelayProxy.cs): bytes
/// arrive complete and in order in both directions, and each direction holds them at least half
/// the round trip (a lower bound measured on one clock; no upper bound is asserted). Its libvirt
/// RPC counter finds every message however the stream is split.
/// </summary>
public sealed class DelayProxyTests
{
    [Fact]
    public async Task Forwards_bytes_in_order_and_holds_each_direction_at_least_half_the_round_trip()
    {
        var roundTrip = TimeSpan.FromMilliseconds(80);
        var half = (long)(roundTrip.TotalSeconds / 2 * Stopwatch.Frequency);
        // 40 chunks of different sizes (1 byte … 40 KiB), each byte a function of its position.
        var chunks = Enumerable.Range(0, 40).Select(i => Enumerable.Range(0, 1 + i * i * 25).Select(k => (byte)((k * 7 + i) % 251)).ToArray()).ToList();
        var payload = chunks.SelectMany(c => c).ToArray();

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var proxy = new DelayProxy(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port), roundTrip);
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var received = await ReceiveExactly(socket, payload.Length);
            var repliedAt = Stopwatch.GetTimestamp();
            await socket.SendAsync(received.Bytes);
            socket.Shutdown(SocketShutdown.Send);
            return (received.Bytes, received.FirstAt, repliedAt);
        });

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var sentAt = Stopwatch.GetTimestamp();
        foreach (var chunk in chunks) await client.SendAsync(chunk);
        var back = await ReceiveExactly(client, payload.Length);
        var (atServer, serverFirstAt, repliedAt) = await server;

        Assert.Equal(payload, atServer);
        Assert.Equal(payload, back.Bytes);
        Assert.True(serverFirstAt - sentAt >= half,
            $"client → server took {Ms(serverFirstAt - sentAt)} ms, less than half the round trip ({roundTrip.TotalMilliseconds / 2} ms)");
        Assert.True(back.FirstAt - repliedAt >= half,
            $"server → client took {Ms(back.FirstAt - repliedAt)} ms, less than half the round trip");
        Assert.Equal(0, await client.ReceiveAsync(new byte[1])); // the server's shutdown is forwarded as an end of stream
    }

    [Fact]
    public void RpcCounter_reports_each_message_type_however_the_stream_is_split()
    {
        // call (type 0) with a 100-byte body, reply (1) with none, event message (2) with 3 bytes.
        var stream = Message(0, 100).Concat(Message(1, 0)).Concat(Message(2, 3)).Concat(Message(0, 5)).ToArray();
        foreach (var piece in new[] { 1, 3, 7, 24, 28, stream.Length })
        {
            var types = new List<int>();
            var counter = new RpcCounter(types.Add);
            for (var at = 0; at < stream.Length; at += piece) counter.Feed(stream.AsSpan(at, Math.Min(piece, stream.Length - at)));
            Assert.Equal([0, 1, 2, 0], types);
            Assert.Equal(4, counter.Messages);
        }
    }

    /// <summary>A libvirt RPC message: length (itself included), program, version, procedure, type, serial, status, then <paramref name="body"/> bytes.</summary>
    private static byte[] Message(int type, int body)
    {
        var bytes = new byte[28 + body];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 0x20008086);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), 42);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)type);
        // Body bytes that look like another header must not be counted.
        for (var i = 28; i < bytes.Length; i++) bytes[i] = (byte)(i % 4 == 3 ? 28 : 0);
        return bytes;
    }

    private static async Task<(byte[] Bytes, long FirstAt)> ReceiveExactly(Socket socket, int length)
    {
        var bytes = new byte[length];
        var firstAt = 0L;
        for (var got = 0; got < length;)
        {
            var n = await socket.ReceiveAsync(bytes.AsMemory(got));
            if (n == 0) throw new InvalidOperationException($"end of stream after {got} of {length} bytes");
            if (got == 0) firstAt = Stopwatch.GetTimestamp();
            got += n;
        }
        return (bytes, firstAt);
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
