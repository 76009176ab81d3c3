using System.Text;

namespace Reconciler.Engine.Guests;

/// <summary>
/// Watches a running domain's console (libvirt's console stream, so it works on remote nodes) for
/// a line holding a text. Sees only what the guest prints after the watch starts. The stream is
/// non-blocking and polled: between reads one cheap call on the domain (its state) lets a remote
/// connection take in the console's data without libvirt's event loop.
/// </summary>
internal sealed class ConsoleWatcher : IAsyncDisposable
{
    private const int Keep = 8192;
    private readonly LibvirtDomain _domain;
    private readonly string _text;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _seen;
    private volatile string? _error;

    private ConsoleWatcher(LibvirtDomain domain, string text, CancellationToken ct)
    {
        _domain = domain;
        _text = text;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        _loop = Task.Run(() => RunAsync(linked.Token), CancellationToken.None).ContinueWith(_ => linked.Dispose(), TaskScheduler.Default);
    }

    /// <summary>True once a console line held the text, until the console ends (the guest stopped).</summary>
    public bool Seen => _seen;

    /// <summary>Why the console cannot be read right now, or null.</summary>
    public string? Error => _error;

    /// <summary>Starts watching <paramref name="domain"/>'s console for <paramref name="text"/>.</summary>
    public static ConsoleWatcher Start(LibvirtDomain domain, string text, CancellationToken ct) => new(domain, text, ct);

    private async Task RunAsync(CancellationToken ct)
    {
        var buffer = new byte[16384];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        var window = new StringBuilder();
        LibvirtConsole? console = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (console is null)
                {
                    try
                    {
                        console = _domain.OpenConsole();
                        _error = null;
                    }
                    catch (LibvirtException e)
                    {
                        _error = $"the console cannot be opened: {e.Message}";
                        await Task.Delay(1000, ct).ConfigureAwait(false);
                        continue;
                    }
                }
                try
                {
                    while (true)
                    {
                        var got = console.Read(buffer, out var count);
                        if (got == ConsoleReadResult.WouldBlock) break;
                        if (got == ConsoleReadResult.End)
                        {
                            // The guest stopped (or another client took the console): its next boot must print the text again.
                            console.Dispose();
                            console = null;
                            _seen = false;
                            window.Clear();
                            break;
                        }
                        var n = decoder.GetChars(buffer, 0, count, chars, 0);
                        window.Append(chars, 0, n);
                        if (window.ToString().Contains(_text, StringComparison.Ordinal)) _seen = true;
                        if (window.Length > Keep + _text.Length) window.Remove(0, window.Length - _text.Length);
                    }
                    // One round trip on the connection: a remote stream's data arrives meanwhile.
                    _ = _domain.GetState();
                }
                catch (LibvirtException e)
                {
                    _error = $"the console stream failed: {e.Message}";
                    console?.Dispose();
                    console = null;
                }
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            console?.Dispose();
        }
    }

    /// <summary>Stops watching and closes the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
