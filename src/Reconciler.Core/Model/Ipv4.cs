using System.Globalization;

namespace Reconciler.Core.Model;

/// <summary>Dotted-quad IPv4 arithmetic for network validation and planning (no DNS, no short forms).</summary>
public static class Ipv4
{
    /// <summary>Parses exactly four decimal octets (<c>198.51.100.1</c>); false for anything else.</summary>
    public static bool TryParse(string? text, out uint address)
    {
        address = 0;
        var parts = (text ?? "").Split('.');
        if (parts.Length != 4) return false;
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit)) return false;
            var octet = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255) return false;
            address = (address << 8) | (uint)octet;
        }
        return true;
    }

    /// <summary>Parses <c>a.b.c.d/prefix</c>.</summary>
    public static bool TryParseCidr(string? text, out uint address, out int prefix)
    {
        address = 0;
        prefix = 0;
        var slash = (text ?? "").IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return false;
        var p = text![(slash + 1)..];
        return TryParse(text[..slash], out address)
            && p.Length is > 0 and <= 2 && p.All(char.IsAsciiDigit)
            && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) && prefix <= 32;
    }

    /// <summary>The mask of a prefix length.</summary>
    public static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    /// <summary>The dotted-quad text.</summary>
    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}");

    /// <summary>The netmask text of a prefix (<c>24</c> → <c>255.255.255.0</c>).</summary>
    public static string Netmask(int prefix) => Format(Mask(prefix));

    /// <summary>The prefix length of a contiguous netmask, or -1.</summary>
    public static int PrefixOf(uint mask)
    {
        var prefix = System.Numerics.BitOperations.PopCount(mask);
        return Mask(prefix) == mask ? prefix : -1;
    }

    /// <summary>True when <paramref name="address"/> is inside <paramref name="network"/>/<paramref name="prefix"/>.</summary>
    public static bool Contains(uint network, int prefix, uint address) => (address & Mask(prefix)) == (network & Mask(prefix));

    /// <summary>True when two subnets share any address.</summary>
    public static bool Overlaps(uint a, int aPrefix, uint b, int bPrefix)
    {
        var prefix = Math.Min(aPrefix, bPrefix);
        return (a & Mask(prefix)) == (b & Mask(prefix));
    }
}
