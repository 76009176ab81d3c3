using System.Xml.Linq;

namespace Reconciler.Libvirt.Tests;

/// <summary>
/// The node-device calls against qemu:///system, whose udev backend lists this machine's own
/// devices: what libvirt lists is compared with the kernel's own list in /sys/bus/pci/devices.
/// </summary>
public sealed class NodeDeviceTests
{
    private static LibvirtConnection SystemConnection() => LibvirtConnection.Open("qemu:///system");

    [Fact]
    public void The_PCI_devices_listed_are_the_kernels_and_each_gives_its_XML_with_its_address()
    {
        var kernel = Directory.GetDirectories("/sys/bus/pci/devices").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(kernel);
        using var connection = SystemConnection();
        var devices = connection.ListAllNodeDevices(NodeDeviceListFlags.PciDevice);
        try
        {
            var addresses = new List<string>();
            foreach (var device in devices)
            {
                var xml = XDocument.Parse(device.GetXmlDesc()).Root!;
                Assert.Equal(device.Name, (string?)xml.Element("name"));
                var cap = xml.Elements("capability").Single(c => (string?)c.Attribute("type") == "pci");
                int N(string name) => int.Parse(cap.Element(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
                addresses.Add($"{N("domain"):x4}:{N("bus"):x2}:{N("slot"):x2}.{N("function"):x}");
                Assert.StartsWith("pci_", device.Name, StringComparison.Ordinal);
            }
            Assert.Equal(kernel, addresses.Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var d in devices) d.Dispose();
        }
    }

    [Fact]
    public void All_devices_include_the_root_and_the_loopback_interface_and_each_names_its_parent()
    {
        using var connection = SystemConnection();
        var devices = connection.ListAllNodeDevices();
        try
        {
            var names = devices.Select(d => d.Name).ToList();
            Assert.Contains("computer", names);
            // libvirt lists the interfaces udev told it about (here: those present when libvirtd started), the loopback always.
            Assert.Contains(names, n => n.StartsWith("net_lo_", StringComparison.Ordinal));
            Assert.Null(devices.Single(d => d.Name == "computer").Parent);
            Assert.All(devices.Where(d => d.Name != "computer"), d => Assert.Contains(d.Parent!, names));
        }
        finally
        {
            foreach (var d in devices) d.Dispose();
        }
    }

    [Fact]
    public void Looking_up_a_device_by_name_finds_it_and_a_missing_one_is_null()
    {
        using var connection = SystemConnection();
        var first = Directory.GetDirectories("/sys/bus/pci/devices").Select(Path.GetFileName).Order(StringComparer.Ordinal).First()!;
        var name = "pci_" + first.Replace(':', '_').Replace('.', '_');
        using var device = connection.LookupNodeDeviceByName(name);
        Assert.NotNull(device);
        Assert.Equal(name, device.Name);
        Assert.Null(connection.LookupNodeDeviceByName("pci_0000_7f_1f_7"));
    }

    [Fact]
    public void The_test_driver_lists_its_own_devices_and_filters_by_capability()
    {
        using var connection = TestDriver.Open();
        var all = connection.ListAllNodeDevices();
        var pci = connection.ListAllNodeDevices(NodeDeviceListFlags.PciDevice);
        try
        {
            Assert.Contains(all, d => d.Name == "computer");
            Assert.All(pci, d => Assert.Contains("<capability type='pci'>", d.GetXmlDesc(), StringComparison.Ordinal));
            Assert.True(pci.Count < all.Count);
        }
        finally
        {
            foreach (var d in all.Concat(pci)) d.Dispose();
        }
    }

    [Fact]
    public void The_host_interfaces_listed_include_every_up_interface_of_the_kernel_that_is_not_a_tap()
    {
        using var connection = SystemConnection();
        var names = connection.ListAllInterfaceNames();
        Assert.Contains("lo", names);
        var up = Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>()
            .Where(n => File.ReadAllText($"/sys/class/net/{n}/operstate").Trim() == "up" && !File.Exists($"/sys/class/net/{n}/tun_flags"))
            .ToList();
        Assert.NotEmpty(up);
        Assert.All(up, n => Assert.Contains(n, names));
    }
}
