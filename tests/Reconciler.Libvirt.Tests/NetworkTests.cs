namespace Reconciler.Libvirt.Tests;

public class NetworkTests
{
    private static string NetworkXml(string name, int subnet) => $"""
        <network>
          <name>{name}</name>
          <bridge name='virbr{subnet}'/>
          <ip address='198.51.{subnet}.1' netmask='255.255.255.0'>
            <dhcp>
              <range start='198.51.{subnet}.100' end='198.51.{subnet}.200'/>
            </dhcp>
          </ip>
        </network>
        """;

    [Fact]
    public void Builtin_default_network_is_listed_and_missing_lookup_is_null()
    {
        using var conn = TestDriver.Open();

        var all = conn.ListAllNetworks();
        Assert.Contains(all, n => n.Name == "default");
        foreach (var n in all)
        {
            n.Dispose();
        }

        Assert.Null(conn.LookupNetworkByName("no-such-net-" + Guid.NewGuid().ToString("N")));
        Assert.Null(conn.LookupNetworkByUuid(Guid.NewGuid().ToString()));
    }

    [Fact]
    public void Define_start_update_destroy_undefine()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("net");
        using var net = conn.DefineNetwork(NetworkXml(name, 101));

        Assert.Equal(name, net.Name);
        Assert.True(Guid.TryParse(net.Uuid, out _));
        Assert.True(net.IsPersistent);
        Assert.False(net.IsActive);
        using (var byUuid = conn.LookupNetworkByUuid(net.Uuid))
        {
            Assert.Equal(name, byUuid!.Name);
        }

        net.Create();
        Assert.True(net.IsActive);
        Assert.Equal("virbr101", net.BridgeName);

        net.Update(
            NetworkUpdateCommand.AddLast,
            NetworkUpdateSection.IpDhcpHost,
            -1,
            "<host mac='52:54:00:aa:bb:cc' name='web-1' ip='198.51.101.10'/>",
            NetworkUpdateFlags.Live | NetworkUpdateFlags.Config);

        Assert.Contains("52:54:00:aa:bb:cc", net.GetXmlDesc());

        // The test driver has no VIR_NETWORK_XML_INACTIVE: the flag really reaches the driver.
        Assert.Throws<LibvirtInvalidArgumentException>(() => net.GetXmlDesc(inactive: true));

        // Adding the same host twice is refused by libvirt.
        Assert.ThrowsAny<LibvirtException>(() => net.Update(
            NetworkUpdateCommand.AddLast,
            NetworkUpdateSection.IpDhcpHost,
            -1,
            "<host mac='52:54:00:aa:bb:cc' name='web-1' ip='198.51.101.10'/>",
            NetworkUpdateFlags.Live | NetworkUpdateFlags.Config));

        net.Update(
            NetworkUpdateCommand.Delete,
            NetworkUpdateSection.IpDhcpHost,
            -1,
            "<host mac='52:54:00:aa:bb:cc' name='web-1' ip='198.51.101.10'/>",
            NetworkUpdateFlags.Live | NetworkUpdateFlags.Config);
        Assert.DoesNotContain("52:54:00:aa:bb:cc", net.GetXmlDesc());

        net.Destroy();
        Assert.False(net.IsActive);
        net.Undefine();
        Assert.Null(conn.LookupNetworkByName(name));
    }

    [Fact]
    public void Autostart_round_trips()
    {
        using var conn = TestDriver.Open();
        using var net = conn.DefineNetwork(NetworkXml(TestDriver.UniqueName("netauto"), 102));

        Assert.False(net.Autostart);
        net.Autostart = true;
        Assert.True(net.Autostart);
        net.Autostart = false;
        Assert.False(net.Autostart);
        net.Undefine();
    }

    [Fact]
    public void Define_invalid_network_xml_throws_invalid_xml()
    {
        using var conn = TestDriver.Open();

        Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineNetwork("<network><name>x</name"));
        var ex = Assert.Throws<LibvirtInvalidXmlException>(() =>
            conn.DefineNetwork($"<network><name>{TestDriver.UniqueName("netbad")}</name><bogus/></network>", validate: true));
        Assert.Equal(LibvirtErrorCode.XmlInvalidSchema, ex.Code);
    }

    [Fact]
    public void Operations_in_the_wrong_state_are_operation_invalid()
    {
        using var conn = TestDriver.Open();
        using var net = conn.DefineNetwork(NetworkXml(TestDriver.UniqueName("netstate"), 103));

        net.Create();
        Assert.Throws<LibvirtOperationInvalidException>(() => net.Create());
        net.Destroy();
        net.Undefine();
    }

    [Fact]
    public void Dhcp_leases_unsupported_by_test_driver()
    {
        using var conn = TestDriver.Open();
        using var net = conn.LookupNetworkByName("default")!;

        var ex = Assert.Throws<LibvirtUnsupportedException>(() => net.GetDhcpLeases());
        Assert.Contains("virNetworkGetDHCPLeases", ex.Message, StringComparison.Ordinal);
    }
}
