using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// Where Reconciler keeps each pool's <see cref="StorageLedger"/>. On a real node, for a pool
/// whose volumes are files (dir, netfs) it is a small JSON volume (<see cref="StorageLedger.VolumeName"/>)
/// inside the pool itself, read and written through libvirt's storage stream API, so it works for
/// remote nodes and travels with the pool's directory. For the other types (logical, rbd, iscsi;
/// <see cref="PoolTypes.LedgerOf"/>) it is the value of a libvirt secret on the node whose UUID
/// derives from the pool's name (<see cref="SecretUuid"/>): also reachable remotely, readable while
/// the pool is stopped, but it stays on that node. The sandbox (libvirt's test driver has no storage streams) keeps it in a file next to
/// its node file. See specs/storage.md.
/// </summary>
internal abstract class LedgerStore
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The store for a session's node.</summary>
    public static LedgerStore For(NodeTarget target) =>
        target.SandboxDirectory is { } dir ? new SandboxLedgers(dir) : new PoolLedgers();

    /// <summary>
    /// The UUID of the node secret that holds the ledger of pool <paramref name="pool"/> (for the
    /// pool types whose ledger is not in the pool): a name-based UUID (version 5 layout) of
    /// <see cref="PoolTypes.SecretUsage"/>, so it is found without listing secrets.
    /// </summary>
    public static string SecretUuid(string pool)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(PoolTypes.SecretUsage(pool)));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        var hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    /// <summary>Where the ledger of a live pool lives, from its type (a type Reconciler does not know: in the pool, as before).</summary>
    public static LedgerPlace PlaceOf(LibvirtStoragePool pool) =>
        PoolTypes.Parse(StorageXml.ParsePool(StorageReader.PoolXml(pool)).Type) is { } type ? PoolTypes.LedgerOf(type) : LedgerPlace.InPool;

    /// <summary>Reads the ledger of <paramref name="pool"/>: (null, null) when there is none, (null, why) when it cannot be read.</summary>
    public abstract (StorageLedger? Ledger, string? Error, string Text) Read(LibvirtStoragePool pool);

    /// <summary>Writes the ledger of <paramref name="pool"/> (which must be running on a real node).</summary>
    public abstract void Write(LibvirtStoragePool pool, StorageLedger ledger);

    /// <summary>The JSON form (format version, pool owner, volume records sorted by name).</summary>
    public static string Serialize(StorageLedger ledger)
    {
        var doc = new LedgerDocument(StorageLedger.FormatVersion, ledger.Pool,
            new SortedDictionary<string, VolumeRecord>(ledger.Volumes.ToDictionary(v => v.Key, v => v.Value), StringComparer.Ordinal));
        return JsonSerializer.Serialize(doc, Json) + "\n";
    }

    /// <summary>Parses the JSON form; throws <see cref="JsonException"/> or <see cref="NotSupportedException"/> when it is not a ledger of a known version.</summary>
    public static StorageLedger Deserialize(string text)
    {
        var doc = JsonSerializer.Deserialize<LedgerDocument>(text.TrimEnd(' ', '\n', '\r', '\t', '\0'), Json) ?? throw new JsonException("empty ledger");
        if (doc.Format != StorageLedger.FormatVersion) throw new NotSupportedException($"ledger format {doc.Format} is not {StorageLedger.FormatVersion}");
        return new StorageLedger(doc.Pool, new Dictionary<string, VolumeRecord>(doc.Volumes ?? [], StringComparer.Ordinal));
    }

    private sealed record LedgerDocument(int Format, OwnerRecord? Pool, SortedDictionary<string, VolumeRecord>? Volumes);

    /// <summary>The ledger as a volume in the pool.</summary>
    private sealed class PoolLedgers : LedgerStore
    {
        private const ulong Block = 64 * 1024;

        public override (StorageLedger?, string?, string) Read(LibvirtStoragePool pool)
        {
            if (PlaceOf(pool) == LedgerPlace.NodeSecret) return ReadSecret(pool);
            if (!pool.IsActive) return (null, "the pool is inactive", "");
            using var volume = pool.LookupVolumeByName(StorageLedger.VolumeName);
            if (volume is null) return (null, null, "");
            var buffer = new MemoryStream();
            try
            {
                volume.Download(buffer);
            }
            catch (LibvirtException e)
            {
                return (null, "it cannot be downloaded: " + e.Message, "");
            }
            var text = Encoding.UTF8.GetString(buffer.ToArray());
            try
            {
                return (Deserialize(text), null, text);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                return (null, "it is not a valid ledger: " + e.Message, text);
            }
        }

        public override void Write(LibvirtStoragePool pool, StorageLedger ledger)
        {
            var bytes = Encoding.UTF8.GetBytes(Serialize(ledger));
            if (PlaceOf(pool) == LedgerPlace.NodeSecret)
            {
                WriteSecret(pool, ledger, bytes);
                return;
            }
            var volume = pool.LookupVolumeByName(StorageLedger.VolumeName);
            try
            {
                if (volume is not null && volume.GetInfo().CapacityBytes < (ulong)bytes.Length)
                {
                    volume.Delete();
                    volume.Dispose();
                    volume = null;
                }
                volume ??= pool.CreateVolume(StorageXml.Volume(StorageLedger.VolumeName, ((ulong)bytes.Length * 2 / Block + 1) * Block, "raw"));
                // The volume keeps its size: the JSON is padded with spaces (ignored by the parser) to the
                // end, so a shorter ledger never leaves the tail of a longer one behind.
                var capacity = volume.GetInfo().CapacityBytes;
                var padded = new byte[capacity];
                padded.AsSpan().Fill((byte)' ');
                bytes.CopyTo(padded, 0);
                volume.Upload(new MemoryStream(padded), 0, capacity);
            }
            finally
            {
                volume?.Dispose();
            }
        }
    }

    private static (StorageLedger?, string?, string) ReadSecret(LibvirtStoragePool pool)
    {
        LibvirtSecret? found;
        try
        {
            found = pool.Connection.LookupSecretByUuid(SecretUuid(pool.Name));
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoSupport)
        {
            // A driver without secrets (libvirt's test driver) holds no ledger there: a logical,
            // rbd or iscsi pool defined on it by hand reads as unrecorded, not as an unreadable node.
            return (null, null, "");
        }
        using var secret = found;
        if (secret is null) return (null, null, "");
        string text;
        try
        {
            text = Encoding.UTF8.GetString(secret.GetValue());
        }
        catch (LibvirtException e)
        {
            return (null, $"secret {SecretUuid(pool.Name)} cannot be read: " + e.Message, "");
        }
        try
        {
            return (Deserialize(text), null, text);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return (null, "it is not a valid ledger: " + e.Message, text);
        }
    }

    /// <summary>Writes the ledger into the pool's node secret; a ledger that records nothing any more (pool released, no volumes) removes the secret.</summary>
    private static void WriteSecret(LibvirtStoragePool pool, StorageLedger ledger, byte[] bytes)
    {
        var uuid = SecretUuid(pool.Name);
        var secret = pool.Connection.LookupSecretByUuid(uuid);
        try
        {
            if (ledger.Pool is null && ledger.Volumes.Count == 0)
            {
                secret?.Undefine();
                return;
            }
            secret ??= pool.Connection.DefineSecret(
                $"<secret ephemeral='no' private='no'><uuid>{uuid}</uuid><description>{System.Security.SecurityElement.Escape(PoolTypes.SecretUsage(pool.Name))}: Reconciler's ledger of storage pool {System.Security.SecurityElement.Escape(pool.Name)}</description></secret>");
            secret.SetValue(bytes);
        }
        finally
        {
            secret?.Dispose();
        }
    }

    /// <summary>The sandbox's ledgers, one JSON file for all its pools.</summary>
    private sealed class SandboxLedgers(string directory) : LedgerStore
    {
        private string File => Path.Combine(directory, "sandbox-ledgers.json");

        private Dictionary<string, string> Load()
        {
            if (!System.IO.File.Exists(File)) return new Dictionary<string, string>(StringComparer.Ordinal);
            return JsonSerializer.Deserialize<Dictionary<string, string>>(System.IO.File.ReadAllText(File)) ?? new Dictionary<string, string>(StringComparer.Ordinal);
        }

        public override (StorageLedger?, string?, string) Read(LibvirtStoragePool pool)
        {
            if (!Load().TryGetValue(pool.Name, out var text)) return (null, null, "");
            try
            {
                return (Deserialize(text), null, text);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                return (null, "it is not a valid ledger: " + e.Message, text);
            }
        }

        public override void Write(LibvirtStoragePool pool, StorageLedger ledger)
        {
            var all = Load();
            all[pool.Name] = Serialize(ledger);
            Directory.CreateDirectory(directory);
            var temp = File + ".tmp";
            System.IO.File.WriteAllText(temp, JsonSerializer.Serialize(all, Json));
            System.IO.File.Move(temp, File, overwrite: true);
        }
    }
}
