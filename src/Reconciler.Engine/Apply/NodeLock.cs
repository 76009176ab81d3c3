using System.Security.Cryptography;
using System.Text;

namespace Reconciler.Engine.Apply;

/// <summary>Raised when another apply holds a node's lock for longer than the caller waits.</summary>
/// <param name="message">Who holds it and since when.</param>
public sealed class NodeLockedException(string message) : Exception(message);

/// <summary>
/// Only one apply per node at a time on this machine: an advisory lock file per node URI (the
/// runtime takes an exclusive <c>flock</c> for <see cref="FileShare.None"/>), released when the
/// holder disposes it or dies. The file names the holder so a waiting apply can say who it is.
/// </summary>
internal sealed class NodeLock : IDisposable
{
    private readonly FileStream _stream;

    private NodeLock(FileStream stream) => _stream = stream;

    /// <summary>The directory lock files live in (overridable with RECONCILER_LOCK_DIR).</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("RECONCILER_LOCK_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "reconciler-locks");

    /// <summary>Takes the lock for <paramref name="uri"/>, waiting at most <paramref name="wait"/>.</summary>
    /// <exception cref="NodeLockedException">The lock is still held after the wait.</exception>
    public static async Task<NodeLock> AcquireAsync(string uri, string holder, TimeSpan wait, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(uri)))[..16] + ".lock");
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // The lock file itself cannot be read while locked, so the holder is named beside it.
                File.WriteAllText(path + ".holder",
                    $"{holder} (pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ})");
                return new NodeLock(stream);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                string who;
                try
                {
                    who = File.ReadAllText(path + ".holder").Trim();
                }
                catch (IOException)
                {
                    who = "";
                }
                throw new NodeLockedException($"node {uri} is locked by {(who.Length == 0 ? "another process" : who)}; waited {wait.TotalSeconds:0}s");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
