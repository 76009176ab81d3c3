namespace Reconciler.Libvirt.Tests;

/// <summary>The batch commands' C heap settings are accepted by this machine's C library (glibc).</summary>
public sealed class NativeHeapTests
{
    [Fact]
    public void Glibc_accepts_the_batch_heap_settings_and_libvirt_still_works_after_them()
    {
        Assert.True(NativeHeap.PreferThroughput());
        using var connection = LibvirtConnection.Open("test:///default");
        var domains = connection.ListAllDomains();
        Assert.NotEmpty(domains);
        foreach (var domain in domains) domain.Dispose();
    }
}
