using System.Buffers.Binary;

namespace Reconciler.Rendering;

/// <summary>
/// Builds a cloud-init NoCloud seed: an ISO 9660 image with volume label <c>cidata</c> holding
/// <c>meta-data</c>, <c>user-data</c> and (when given) <c>network-config</c> in its root directory,
/// with a Joliet directory so that Linux sees the names in lower case with their dashes.
/// </summary>
/// <remarks>
/// Written in-process rather than with genisoimage/xorriso: the controller (possibly in a
/// container, possibly far from the node) needs no extra tool, the image is a pure function of the
/// content (no timestamps: the same seed is byte-for-byte the same image, so its hash is stable),
/// and there is no process to start per domain. The layout is the minimal one the Linux isofs
/// driver, blkid and cloud-init read: system area, primary and Joliet supplementary volume
/// descriptors, terminator, four path tables, two root directories, the files, then
/// <see cref="PadSectors"/> sectors of zeros, which the volume space size counts (as genisoimage's).
/// <para>
/// The image layout has a version, <see cref="CloudInitSpec.SeedFormat"/>, which is part of the
/// seed's ledger hash: a change to the bytes this writes (for the same files) must bump it, so that
/// seeds already written in the older layout are rewritten once.
/// </para>
/// </remarks>
public static class CloudInitSeed
{
    private const int Sector = 2048;
    private const string Label = "cidata";

    /// <summary>
    /// Zero sectors after the data, as genisoimage and xorriso add by default (<c>-pad</c>, 300 KiB).
    /// Without them a seed is a few dozen sectors long, and guests do not find it: busybox's volume
    /// probe (<c>findfs LABEL=cidata</c>, as in CirrOS, Alpine-based appliances and initramfs tools)
    /// reads the first 0x11000 = 69,632 bytes of a device and gives up on a shorter one; and the
    /// kernel's read-ahead on a CD-ROM reads past the last file of a tiny medium, which gives read
    /// errors on files near its end (the reason genisoimage's <c>-pad</c> exists, per its manual).
    /// A 55,296-byte seed was invisible to a busybox guest; the same image padded was found.
    /// </summary>
    internal const int PadSectors = 150;

    /// <summary>The smallest image busybox's volume probe accepts (it reads this many bytes at once).</summary>
    internal const int BusyboxProbeBytes = 0x11000;

    /// <summary>The seed image of <paramref name="spec"/>.</summary>
    public static byte[] Build(CloudInitSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var files = new List<(string Name, byte[] Data)>
        {
            ("meta-data", Encoding.UTF8.GetBytes(spec.MetaData)),
            ("user-data", Encoding.UTF8.GetBytes(spec.UserData)),
        };
        if (spec.NetworkConfig is not null) files.Add(("network-config", Encoding.UTF8.GetBytes(spec.NetworkConfig)));
        return Build(files);
    }

    /// <summary>An ISO 9660 + Joliet image of flat files (names: lower-case letters, digits, '-', '.', '_').</summary>
    internal static byte[] Build(IReadOnlyList<(string Name, byte[] Data)> input)
    {
        var files = input.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        // Fixed layout: 16 system sectors, PVD 16, SVD 17, terminator 18, path tables 19-22, roots 23-24, data from 25.
        const int pathL = 19, pathM = 20, jPathL = 21, jPathM = 22, root = 23, jRoot = 24;
        var next = 25;
        var extents = new int[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            extents[i] = files[i].Data.Length == 0 ? 0 : next;
            next += (files[i].Data.Length + Sector - 1) / Sector;
        }
        // The padding is part of the volume: the space size in both descriptors counts it, as genisoimage's does.
        var total = next + PadSectors;
        var image = new byte[total * Sector];

        WriteDirectory(image.AsSpan(root * Sector, Sector), root, files.Select((f, i) => (IsoName(f.Name), extents[i], f.Data.Length)).ToList(), joliet: false);
        WriteDirectory(image.AsSpan(jRoot * Sector, Sector), jRoot, files.Select((f, i) => (JolietName(f.Name), extents[i], f.Data.Length)).ToList(), joliet: true);
        WritePathTable(image.AsSpan(pathL * Sector, Sector), root, bigEndian: false);
        WritePathTable(image.AsSpan(pathM * Sector, Sector), root, bigEndian: true);
        WritePathTable(image.AsSpan(jPathL * Sector, Sector), jRoot, bigEndian: false);
        WritePathTable(image.AsSpan(jPathM * Sector, Sector), jRoot, bigEndian: true);
        WriteVolumeDescriptor(image.AsSpan(16 * Sector, Sector), total, pathL, pathM, root, joliet: false);
        WriteVolumeDescriptor(image.AsSpan(17 * Sector, Sector), total, jPathL, jPathM, jRoot, joliet: true);
        var terminator = image.AsSpan(18 * Sector, Sector);
        terminator[0] = 255;
        Encoding.ASCII.GetBytes("CD001").CopyTo(terminator[1..]);
        terminator[6] = 1;
        for (var i = 0; i < files.Count; i++)
        {
            files[i].Data.CopyTo(image.AsSpan(extents[i] * Sector));
        }
        return image;
    }

    private static byte[] IsoName(string name)
    {
        // ISO 9660 d-characters, upper case, with the version suffix; Linux uses the Joliet names anyway.
        var upper = new string(name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return Encoding.ASCII.GetBytes(upper + ".;1");
    }

    private static byte[] JolietName(string name) => Encoding.BigEndianUnicode.GetBytes(name);

    private static void WriteVolumeDescriptor(Span<byte> d, int totalSectors, int pathL, int pathM, int root, bool joliet)
    {
        d[0] = (byte)(joliet ? 2 : 1);
        Encoding.ASCII.GetBytes("CD001").CopyTo(d[1..]);
        d[6] = 1;
        Text(d.Slice(8, 32), "LINUX", joliet);                 // system identifier
        Text(d.Slice(40, 32), Label, joliet);                  // volume identifier: the label blkid and cloud-init look for
        Both32(d[80..], (uint)totalSectors);                   // volume space size
        if (joliet)
        {
            d[88] = (byte)'%';                                 // escape sequence: UCS-2 level 3
            d[89] = (byte)'/';
            d[90] = (byte)'E';
        }
        Both16(d[120..], 1);                                   // volume set size
        Both16(d[124..], 1);                                   // volume sequence number
        Both16(d[128..], Sector);                              // logical block size
        Both32(d[132..], 10);                                  // path table size (root only)
        BinaryPrimitives.WriteUInt32LittleEndian(d[140..], (uint)pathL);
        BinaryPrimitives.WriteUInt32BigEndian(d[148..], (uint)pathM);
        WriteRecord(d.Slice(156, 34), root, Sector, [0], directory: true);
        Text(d.Slice(190, 128), "", joliet);                   // volume set
        Text(d.Slice(318, 128), "", joliet);                   // publisher
        Text(d.Slice(446, 128), "", joliet);                   // data preparer
        Text(d.Slice(574, 128), "RECONCILER", joliet);         // application
        Text(d.Slice(702, 37), "", joliet);                    // copyright file
        Text(d.Slice(739, 37), "", joliet);                    // abstract file
        Text(d.Slice(776, 37), "", joliet);                    // bibliographic file
        for (var i = 0; i < 4; i++)
        {
            // creation, modification, expiration, effective: "not specified" (digits '0', offset 0), for a reproducible image.
            var date = d.Slice(813 + i * 17, 17);
            date[..16].Fill((byte)'0');
            date[16] = 0;
        }
        d[881] = 1;                                            // file structure version
    }

    private static void WritePathTable(Span<byte> t, int root, bool bigEndian)
    {
        t[0] = 1;                                              // identifier length
        t[1] = 0;
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(t[2..], (uint)root);
            BinaryPrimitives.WriteUInt16BigEndian(t[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(t[2..], (uint)root);
            BinaryPrimitives.WriteUInt16LittleEndian(t[6..], 1);
        }
        t[8] = 0;                                              // root's identifier, then one pad byte
    }

    private static void WriteDirectory(Span<byte> dir, int self, List<(byte[] Name, int Extent, int Length)> files, bool joliet)
    {
        _ = joliet;
        var offset = WriteRecord(dir, self, Sector, [0], directory: true);          // "."
        offset += WriteRecord(dir[offset..], self, Sector, [1], directory: true);    // ".."
        foreach (var (name, extent, length) in files)
        {
            offset += WriteRecord(dir[offset..], extent, length, name, directory: false);
        }
    }

    private static int WriteRecord(Span<byte> r, int extent, int length, byte[] name, bool directory)
    {
        var size = 33 + name.Length + (name.Length % 2 == 0 ? 1 : 0);
        r[0] = (byte)size;
        r[1] = 0;
        Both32(r[2..], (uint)extent);
        Both32(r[10..], (uint)length);
        // Recording time: 1980-01-01 00:00:00 UTC, fixed so the image is reproducible.
        r[18] = 80;
        r[19] = 1;
        r[20] = 1;
        r[25] = (byte)(directory ? 2 : 0);
        Both16(r[28..], 1);
        r[32] = (byte)name.Length;
        name.CopyTo(r[33..]);
        return size;
    }

    private static void Text(Span<byte> field, string text, bool ucs2)
    {
        if (ucs2)
        {
            for (var i = 0; i + 1 < field.Length; i += 2)
            {
                var c = i / 2 < text.Length ? text[i / 2] : ' ';
                field[i] = (byte)(c >> 8);
                field[i + 1] = (byte)c;
            }
            if (field.Length % 2 == 1) field[^1] = 0;
        }
        else
        {
            field.Fill((byte)' ');
            Encoding.ASCII.GetBytes(text).CopyTo(field);
        }
    }

    private static void Both16(Span<byte> s, int value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)value);
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)value);
    }

    private static void Both32(Span<byte> s, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(s, value);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], value);
    }
}
