using System.Buffers;

namespace Reconciler.Libvirt;

/// <summary>A libvirt storage volume (<c>virStorageVolPtr</c>). Disposing drops the reference only.</summary>
public sealed unsafe class LibvirtStorageVolume : LibvirtObject
{
    private const int ChunkSize = 256 * 1024;
    private readonly StorageVolHandle _handle;

    internal LibvirtStorageVolume(LibvirtConnection connection, StorageVolHandle handle)
        : base(connection, handle) => _handle = handle;

    /// <summary>The volume's name within its pool (<c>virStorageVolGetName</c>).</summary>
    public string Name => Interop.PeekStringOrThrow(NativeMethods.virStorageVolGetName(_handle), "virStorageVolGetName");

    /// <summary>The volume's host-unique key, usually its path (<c>virStorageVolGetKey</c>).</summary>
    public string Key => Interop.PeekStringOrThrow(NativeMethods.virStorageVolGetKey(_handle), "virStorageVolGetKey");

    /// <summary>The volume's path on the host (<c>virStorageVolGetPath</c>).</summary>
    public string Path => Interop.TakeStringOrThrow(NativeMethods.virStorageVolGetPath(_handle), "virStorageVolGetPath");

    internal StorageVolHandle Handle => _handle;

    /// <summary>The volume XML (<c>virStorageVolGetXMLDesc</c>).</summary>
    /// <returns>The XML document.</returns>
    public string GetXmlDesc() =>
        Interop.TakeStringOrThrow(NativeMethods.virStorageVolGetXMLDesc(_handle, 0), "virStorageVolGetXMLDesc");

    /// <summary>Type, capacity and allocation (<c>virStorageVolGetInfo</c>).</summary>
    /// <returns>The information.</returns>
    public StorageVolumeInfo GetInfo()
    {
        Interop.Check(NativeMethods.virStorageVolGetInfo(_handle, out var i), "virStorageVolGetInfo");
        return new StorageVolumeInfo((StorageVolumeType)i.Type, i.Capacity, i.Allocation);
    }

    /// <summary>Changes the capacity (<c>virStorageVolResize</c>).</summary>
    /// <param name="bytes">New capacity (or delta, with <see cref="StorageVolumeResizeFlags.Delta"/>), in bytes.</param>
    /// <param name="flags">Allocate, delta, shrink.</param>
    public void Resize(ulong bytes, StorageVolumeResizeFlags flags = StorageVolumeResizeFlags.None) =>
        Interop.Check(NativeMethods.virStorageVolResize(_handle, bytes, (uint)flags), "virStorageVolResize");

    /// <summary>Deletes the volume and its data (<c>virStorageVolDelete</c>).</summary>
    public void Delete() => Interop.Check(NativeMethods.virStorageVolDelete(_handle, 0), "virStorageVolDelete");

    /// <summary>
    /// Writes <paramref name="length"/> bytes read from <paramref name="source"/> into the volume at
    /// <paramref name="offset"/> (<c>virStreamNew</c> + <c>virStorageVolUpload</c> + <c>virStreamSend</c>
    /// loop + <c>virStreamFinish</c>). On any failure the stream is aborted (<c>virStreamAbort</c>).
    /// </summary>
    /// <param name="source">Where the bytes come from; read from its current position.</param>
    /// <param name="offset">Byte offset in the volume.</param>
    /// <param name="length">Number of bytes to upload; must be greater than zero.</param>
    /// <exception cref="EndOfStreamException"><paramref name="source"/> ended before <paramref name="length"/> bytes.</exception>
    public void Upload(Stream source, ulong offset, ulong length)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfZero(length);

        using var stream = Interop.Check(NativeMethods.virStreamNew(Connection.Handle, 0), "virStreamNew");
        Interop.Check(NativeMethods.virStorageVolUpload(_handle, stream, offset, length, 0), "virStorageVolUpload");
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var read = source.Read(buffer, 0, (int)Math.Min((ulong)buffer.Length, remaining));
                if (read == 0)
                {
                    throw new EndOfStreamException($"Source ended {remaining} bytes before the {length} bytes to upload.");
                }

                SendAll(stream, buffer.AsSpan(0, read));
                remaining -= (ulong)read;
            }

            Interop.Check(NativeMethods.virStreamFinish(stream), "virStreamFinish");
        }
        catch
        {
            // The exception (and libvirt's error) is already captured; abort may overwrite the thread's last error.
            _ = NativeMethods.virStreamAbort(stream);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes of the volume from <paramref name="offset"/> into
    /// <paramref name="destination"/> (<c>virStorageVolDownload</c> + <c>virStreamRecv</c> loop +
    /// <c>virStreamFinish</c>); 0 means to the end of the volume. Aborts the stream on failure.
    /// </summary>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="offset">Byte offset in the volume.</param>
    /// <param name="length">Number of bytes, or 0 for everything after <paramref name="offset"/>.</param>
    /// <returns>The number of bytes written to <paramref name="destination"/>.</returns>
    public ulong Download(Stream destination, ulong offset = 0, ulong length = 0)
    {
        ArgumentNullException.ThrowIfNull(destination);

        using var stream = Interop.Check(NativeMethods.virStreamNew(Connection.Handle, 0), "virStreamNew");
        Interop.Check(NativeMethods.virStorageVolDownload(_handle, stream, offset, length, 0), "virStorageVolDownload");
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            ulong total = 0;
            while (true)
            {
                int got;
                fixed (byte* p = buffer)
                {
                    got = NativeMethods.virStreamRecv(stream, p, (nuint)buffer.Length);
                }

                if (got == 0)
                {
                    break;
                }

                Interop.Check(got, "virStreamRecv");
                destination.Write(buffer, 0, got);
                total += (ulong)got;
            }

            Interop.Check(NativeMethods.virStreamFinish(stream), "virStreamFinish");
            return total;
        }
        catch
        {
            _ = NativeMethods.virStreamAbort(stream);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void SendAll(StreamHandle stream, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent;
            fixed (byte* p = data)
            {
                sent = NativeMethods.virStreamSend(stream, p, (nuint)data.Length);
            }

            // A blocking stream never returns -2; treat anything negative as an error.
            Interop.Check(sent, "virStreamSend");
            data = data[sent..];
        }
    }
}
