namespace Reconciler.Libvirt.Tests;

/// <summary>The guest calls (addresses, agent clock, console) against the test driver.</summary>
public class GuestTests
{
    [Theory]
    [InlineData(AddressSource.Lease)]
    [InlineData(AddressSource.Agent)]
    [InlineData(AddressSource.Arp)]
    public void Addresses_of_the_running_test_domain_come_with_interface_and_mac(AddressSource source)
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;

        var ifaces = dom.GetInterfaceAddresses(source);

        var iface = Assert.Single(ifaces);
        Assert.Equal("testnet0", iface.Name);
        Assert.Equal("aa:bb:cc:dd:ee:ff", iface.Mac);
        var address = Assert.Single(iface.Addresses);
        Assert.Equal(new GuestIpAddress("192.168.122.3", 24, IsIpv6: false), address);
    }

    [Fact]
    public void Addresses_of_a_stopped_domain_are_an_error_with_the_call_named()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("guest");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name));
        try
        {
            var e = Assert.ThrowsAny<LibvirtException>(() => dom.GetInterfaceAddresses(AddressSource.Lease));
            Assert.Contains("not running", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            dom.Undefine();
        }
    }

    [Fact]
    public void Guest_time_answers_on_the_test_driver()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;

        // The test driver's guest clock is a fixed point in the past; the call returning at all is the point.
        Assert.True(dom.GetGuestTime() > DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void Console_on_a_driver_without_consoles_is_a_typed_error()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;

        var e = Assert.ThrowsAny<LibvirtException>(() => dom.OpenConsole());
        Assert.Equal(LibvirtErrorCode.NoSupport, e.Code);
    }
}
