using System.Xml.Linq;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// <c>reconcile import</c> of definitions as virt-install writes them (from the import corpus),
/// defined on a real libvirtd: what they carry (timers, Hyper-V, spice extras, the USB controller's
/// ports, libosinfo metadata) is written as fields with no <c>xml:</c> patch, adopting them changes
/// only the ownership metadata, and the plan after is empty.
/// </summary>
public sealed class ImportAdoptTests : IDisposable
{
    private const string Prefix = "imp-e2e-";
    private readonly SpecDir _dir = new();

    private readonly SpecDir _pool = new();

    public ImportAdoptTests() => CleanupAll();

    private static void CleanupAll()
    {
        RealLibvirt.Cleanup(Prefix);
        RealLibvirt.CleanupPools(Prefix);
        RealLibvirt.CleanupNetworks(Prefix);
    }

    public void Dispose()
    {
        CleanupAll();
        _dir.Dispose();
        _pool.Dispose();
    }

    private static string Corpus(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Build.props"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "Reconciler.Engine.Tests", "ImportCorpus", file + ".xml");
    }

    /// <summary>Defines a corpus definition under our prefix (no NICs: the host has no network named default), stopped.</summary>
    private static string Define(string file)
    {
        var root = XDocument.Parse(File.ReadAllText(Corpus(file))).Root!;
        var name = Prefix + file;
        root.Element("name")!.Value = name;
        root.Element("uuid")?.Remove();
        root.Element("devices")!.Elements("interface").Remove();
        using var conn = RealLibvirt.Connect();
        using var domain = conn.DefineDomain(root.ToString());
        return name;
    }

    private static string Inactive(string name)
    {
        using var conn = RealLibvirt.Connect();
        using var d = conn.LookupDomainByName(name)!;
        return d.GetXmlDesc(DomainXmlFlags.Inactive);
    }

    [Theory]
    [InlineData("win10")]
    [InlineData("debian10-spice")]
    public async Task A_virt_install_domain_imports_with_no_patch_and_adopting_it_changes_nothing(string file)
    {
        var name = Define(file);
        var before = XDocument.Parse(Inactive(name)).Root!;

        var import = await Cli.RunAsync("import", name, "--connect", RealLibvirt.Uri, "--out", _dir.Path, "--node", "local", "--check");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains($"{name}: ", import.Out);
        Assert.Contains("no xml: patch; round trip equal", import.Out);
        var yaml = File.ReadAllText(Path.Combine(_dir.Path, name + ".yaml"));
        Assert.DoesNotContain("xml:", yaml);
        Assert.Contains("timers: {", yaml);
        Assert.Contains("usbController: {model: qemu-xhci, ports: 15}", yaml);
        Assert.Contains("osinfo: \"http://", yaml);
        Assert.Contains("compression: \"off\", usbRedirection: 2", yaml);
        if (file == "win10") Assert.Contains("hyperv: {", yaml);

        var plan = await Cli.RunAsync("plan", _dir.Path, "--adopt");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("adopt", plan.Out);
        Assert.DoesNotContain("next boot", plan.Out);
        var apply = await Cli.RunAsync("apply", _dir.Path, "--adopt", "-y", "--max-disruption", "none");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        await Cli.AssertNoChangesAsync(_dir);

        // The definition is the same but for the owner record (addresses included; controllers compared by type and index, libvirt keeps them in the order given).
        var after = XDocument.Parse(Inactive(name)).Root!;
        after.Element("metadata")!.Elements().Where(e => e.Name.LocalName == "owner").Remove();
        Assert.Equal(Strip(before).ToString(), Strip(after).ToString());
    }

    [Fact]
    public async Task With_dependencies_the_network_pool_and_volume_a_domain_uses_are_written_and_adopted()
    {
        using (var conn = RealLibvirt.Connect())
        {
            using var network = conn.DefineNetwork($"<network><name>{Prefix}net</name><bridge name='imp-e2e-br0'/><ip address='10.213.77.1' prefix='24'><dhcp><range start='10.213.77.100' end='10.213.77.150'/></dhcp></ip></network>");
            network.Create();
            using var pool = conn.DefineStoragePool($"<pool type='dir'><name>{Prefix}pool</name><target><path>{_pool.Path}</path></target></pool>");
            pool.Create();
            pool.Autostart = true;
            using var volume = pool.CreateVolume($"<volume><name>{Prefix}d1.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>");
        }
        var root = XDocument.Parse(File.ReadAllText(Corpus("debian10-spice"))).Root!;
        var name = Prefix + "deps";
        root.Element("name")!.Value = name;
        root.Element("uuid")?.Remove();
        var devices = root.Element("devices")!;
        devices.Element("disk")!.Element("source")!.SetAttributeValue("file", Path.Combine(_pool.Path, Prefix + "d1.qcow2"));
        devices.Element("interface")!.Element("source")!.SetAttributeValue("network", Prefix + "net");
        using (var conn = RealLibvirt.Connect())
        {
            using var domain = conn.DefineDomain(root.ToString());
        }

        var import = await Cli.RunAsync("import", name, "--connect", RealLibvirt.Uri, "--out", _dir.Path, "--node", "local", "--with-dependencies");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains($"Network {Prefix}net: written", import.Out);
        Assert.Contains($"StoragePool {Prefix}pool: written", import.Out);
        Assert.Contains($"Volume {Prefix}d1.qcow2: written", import.Out);
        var networkYaml = File.ReadAllText(Path.Combine(_dir.Path, $"network-{Prefix}net.yaml"));
        Assert.Contains("mode: isolated", networkYaml);
        Assert.Contains("address: 10.213.77.1/24", networkYaml);
        Assert.Contains($"path: {_pool.Path}", File.ReadAllText(Path.Combine(_dir.Path, $"pool-{Prefix}pool.yaml")));
        var volumeYaml = File.ReadAllText(Path.Combine(_dir.Path, $"volume-{Prefix}d1.qcow2.yaml"));
        Assert.Contains($"pool: {Prefix}pool", volumeYaml);
        Assert.Contains("size: 64MiB", volumeYaml);
        Assert.DoesNotContain("xml:", File.ReadAllText(Path.Combine(_dir.Path, name + ".yaml")));

        var apply = await Cli.RunAsync("apply", _dir.Path, "--adopt", "-y", "--max-disruption", "none");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        await Cli.AssertNoChangesAsync(_dir);
    }

    private static XElement Strip(XElement domain)
    {
        var copy = new XElement(domain);
        copy.Element("uuid")?.Remove();
        var devices = copy.Element("devices")!;
        var controllers = devices.Elements("controller").OrderBy(c => (string?)c.Attribute("type"), StringComparer.Ordinal)
            .ThenBy(c => int.Parse((string?)c.Attribute("index") ?? "0", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        devices.Elements("controller").Remove();
        devices.Add(controllers);
        return copy;
    }
}
