using Reconciler.Core.Model;

namespace Reconciler.Core.Tests;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("1GiB", 1UL << 30)]
    [InlineData("512MiB", 512UL << 20)]
    [InlineData("1.5GiB", 3UL << 29)]
    [InlineData("2GB", 2_000_000_000UL)]
    [InlineData(" 64 KiB ", 64UL << 10)]
    public void Parses_sizes_with_units(string text, ulong bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("1024", "no unit")]
    [InlineData("lots", "not a size")]
    [InlineData("-1GiB", "not a non-negative number")]
    [InlineData("", "required")]
    [InlineData("99999999999999999999TiB", "too large")]
    public void Rejects_what_is_not_a_size_and_says_why(string text, string reason)
    {
        Assert.False(ByteSize.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData(1UL << 30, "1GiB")]
    [InlineData(1536UL << 20, "1536MiB")]
    [InlineData(100UL, "100B")]
    public void Formats_the_shortest_exact_binary_unit(ulong bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));
}
