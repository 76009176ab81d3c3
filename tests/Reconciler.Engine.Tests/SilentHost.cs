using System.Net;
using System.Net.Sockets;

namespace Reconciler.Engine.Tests;

/// <summary>A loopback listener (port from this worktree's range) that accepts and holds every connection, never writing.</summary>
internal sealed class SilentHost : IDisposable
{
    private readonly TcpListener _listener;
    private readonly List<Socket> _accepted = [];
    private readonly Task _loop;

    public SilentHost(int port)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var s = await _listener.AcceptSocketAsync();
                    lock (_accepted) _accepted.Add(s);
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    public int Accepted
    {
        get
        {
            lock (_accepted) return _accepted.Count;
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        lock (_accepted)
        {
            foreach (var s in _accepted) s.Dispose();
        }
    }
}
