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

    public ImportAdoptTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
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
