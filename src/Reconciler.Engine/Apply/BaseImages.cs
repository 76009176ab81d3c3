using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Gets a volume's base image where Reconciler runs: a local file as it is, a URL downloaded to a
/// temporary file. Either way the SHA-256 is checked before anything is created on the node, and a
/// failed download leaves nothing behind.
/// </summary>
internal static class BaseImages
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromHours(2) };

    /// <summary>A base image ready to upload.</summary>
    /// <param name="Path">Local file.</param>
    /// <param name="Sha256">Its SHA-256 (hex).</param>
    /// <param name="Format">qcow2 or raw (from the file's magic).</param>
    /// <param name="VirtualSize">The disk size it describes.</param>
    /// <param name="Temporary">True when <paramref name="Path"/> is a download to delete afterwards.</param>
    public sealed record Fetched(string Path, string Sha256, string Format, ulong VirtualSize, bool Temporary) : IDisposable
    {
        /// <summary>Deletes a downloaded file.</summary>
        public void Dispose()
        {
            if (Temporary)
            {
                try { File.Delete(Path); } catch (IOException) { }
            }
        }
    }

    /// <summary>Fetches and verifies <paramref name="spec"/>.</summary>
    /// <exception cref="ApplyStepException">Not found, download failed, or the checksum differs.</exception>
    public static Fetched Fetch(BaseImageSpec spec, TextWriter progress)
    {
        string path;
        bool temporary;
        string sha;
        if (spec.IsUrl)
        {
            path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"reconciler-base-{Guid.NewGuid():N}.img");
            temporary = true;
            progress.WriteLine($"    downloading {spec.Source}…");
            try
            {
                using var response = Http.GetAsync(spec.Source, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode)
                {
                    throw new ApplyStepException($"base image {spec.Source}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}; nothing was created");
                }
                using var input = response.Content.ReadAsStream();
                using var output = File.Create(path);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 20];
                int read;
                while ((read = input.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    output.Write(buffer, 0, read);
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                try { File.Delete(path); } catch (IOException) { }
                throw new ApplyStepException($"base image {spec.Source}: the download failed ({e.Message}); nothing was created");
            }
            catch
            {
                try { File.Delete(path); } catch (IOException) { }
                throw;
            }
        }
        else
        {
            path = spec.LocalPath!;
            temporary = false;
            try
            {
                using var input = File.OpenRead(path);
                sha = Convert.ToHexStringLower(SHA256.HashData(input));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ApplyStepException($"base image {spec.Source}: {e.Message}; nothing was created");
            }
        }
        if (spec.Sha256 is { } want && want != sha)
        {
            if (temporary) File.Delete(path);
            throw new ApplyStepException($"base image {spec.Source}: SHA-256 is {sha}, the spec says {want}; nothing was created");
        }
        var (format, size) = Probe(path);
        return new Fetched(path, sha, format, size, temporary);
    }

    /// <summary>qcow2 (magic <c>QFI\xfb</c>, size at offset 24) or raw (the file's length).</summary>
    internal static (string Format, ulong VirtualSize) Probe(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[32];
        var read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read >= 32 && header[0] == 'Q' && header[1] == 'F' && header[2] == 'I' && header[3] == 0xfb)
        {
            return ("qcow2", BinaryPrimitives.ReadUInt64BigEndian(header[24..]));
        }
        return ("raw", (ulong)file.Length);
    }
}
