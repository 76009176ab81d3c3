using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Host devices against the real libvirtd: qemu:///system lists this machine's own (virtual) PCI
/// devices, which the plan checks hostdevs against. Real passthrough cannot run here (no IOMMU,
/// and the devices are the machine's own disk and NIC), so every domain is defined stopped and
/// never started; a domain that wants to run is only planned. Every name starts with <c>rc-hd-</c>.
/// </summary>
public sealed class HostdevTests
{
    private const string Prefix = "rc-hd-";

    private static string Domain(string name, string spec, string state = "stopped") => $$"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{Prefix}}{{name}}}
        spec: {state: {{state}}, vcpus: 1, memory: 64MiB, graphics: {type: none}, domainType: qemu, {{spec}}}

        """;

    /// <summary>This machine's PCI devices as libvirt lists them, parsed the way the plan reads them.</summary>
    private static NodeDevices Devices()
    {
        using var connection = RealLibvirt.Connect();
        var listed = connection.ListAllNodeDevices();
        try
        {
            return NodeDevices.Parse(listed.Select(d => d.GetXmlDesc()).ToList());
        }
        finally
        {
            foreach (var d in listed) d.Dispose();
        }
    }

    private static XElement? Definition(string name)
    {
        using var connection = RealLibvirt.Connect();
        using var domain = connection.LookupDomainByName(Prefix + name);
        return domain is null ? null : XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive)).Root;
    }

    private static async Task WithSpecs(string domains, Func<string, Task> body)
    {
        RealLibvirt.Cleanup(Prefix);
        using var specs = new SpecDir().Write("all.yaml", RealLibvirt.NodeSpec() + "\n" + domains);
        try
        {
            await body(specs.Path);
        }
        finally
        {
            RealLibvirt.Cleanup(Prefix);
        }
    }

    [Fact]
    public async Task A_PCI_device_the_node_lacks_is_refused_by_plan_and_apply_naming_the_address_and_nothing_is_defined()
    {
        var devices = Devices();
        Assert.NotEmpty(devices.Pci);
        Assert.Null(devices.PciAt("0000:7f:1f.7"));
        await WithSpecs(Domain("missing", "hostdevs: [{pci: \"0000:7f:1f.7\"}]") + Domain("plain", "hostdevs: []"), async specs =>
        {
            var plan = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 1, plan.ToString());
            Assert.Contains($"domain '{Prefix}missing' is refused on node 'local': hostdev: host PCI device 0000:7f:1f.7 is not on the node (it has {devices.Pci.Count} PCI devices: {devices.Pci[0].Address}", plan.All());
            Assert.Contains("[node-check-refused]", plan.All());
            Assert.Contains($"+ domain {Prefix}plain", plan.Out);

            var apply = await Cli.RunAsync("apply", specs, "--auto-approve");
            Assert.True(apply.ExitCode == 1, apply.ToString());
            Assert.Null(Definition("missing"));
            Assert.NotNull(Definition("plain"));
        });
    }

    [Fact]
    public async Task Real_PCI_devices_are_defined_as_managed_hostdevs_and_read_back_with_no_perpetual_diff()
    {
        var pci = Devices().Pci.Select(p => p.Address).Take(2).ToList();
        Assert.Equal(2, pci.Count);
        // The short form (no PCI domain) is written for the second: it compares equal to libvirt's 0000: form.
        await WithSpecs(Domain("two", $"hostdevs: [{{pci: \"{pci[0]}\"}}, {{pci: \"{pci[1][5..]}\", managed: false}}]"), async specs =>
        {
            var apply = await Cli.RunAsync("apply", specs, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            var hostdevs = Definition("two")!.Element("devices")!.Elements("hostdev").ToList();
            Assert.Equal(["yes", "no"], hostdevs.Select(h => (string?)h.Attribute("managed")));
            Assert.Equal(pci, hostdevs.Select(h => HostdevAddress(h.Element("source")!.Element("address")!)));

            var again = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(again.ExitCode == 0, again.ToString());

            // Dropping one is a change of spec.hostdevs (a stopped domain: no disruption).
            File.WriteAllText(Path.Combine(specs, "all.yaml"), RealLibvirt.NodeSpec() + "\n" + Domain("two", $"hostdevs: [{{pci: \"{pci[0]}\"}}]"));
            var drop = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(drop.ExitCode == 2, drop.ToString());
            Assert.Contains("spec.hostdevs", drop.Out);
        });
    }

    [Fact]
    public async Task A_PCI_device_another_domain_holds_is_refused_naming_that_domain_and_whether_Reconciler_manages_it()
    {
        var pci = Devices().Pci[^1].Address;
        var parts = pci.Split(':', '.');
        RealLibvirt.Cleanup(Prefix);
        using (var connection = RealLibvirt.Connect())
        {
            // A domain defined by hand (not Reconciler's), stopped, holding the device.
            using var foreign = connection.DefineDomain($"""
                <domain type='qemu'><name>{Prefix}foreign</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
                  <os><type arch='x86_64'>hvm</type></os>
                  <devices><hostdev mode='subsystem' type='pci' managed='yes'><source>
                    <address domain='0x{parts[0]}' bus='0x{parts[1]}' slot='0x{parts[2]}' function='0x{parts[3]}'/></source></hostdev></devices>
                </domain>
                """);
        }
        try
        {
            using var specs = new SpecDir().Write("all.yaml", RealLibvirt.NodeSpec() + "\n"
                + Domain("wants", $"hostdevs: [{{pci: \"{pci}\"}}]", state: "running"));
            var plan = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 1, plan.ToString());
            Assert.Contains($"domain '{Prefix}wants' is refused on node 'local': hostdev: host PCI device {pci} is also given to stopped domain '{Prefix}foreign' (not managed by Reconciler): only one domain can run with it", plan.All());

            // A stopped domain may be defined beside it: a warning says only one of them can run.
            using var stopped = new SpecDir().Write("all.yaml", RealLibvirt.NodeSpec() + "\n" + Domain("wants", $"hostdevs: [{{pci: \"{pci}\"}}]"));
            var planStopped = await Cli.RunAsync("plan", stopped.Path, "--detailed-exitcode");
            Assert.True(planStopped.ExitCode == 2, planStopped.ToString());
            Assert.Contains($"is also given to stopped domain '{Prefix}foreign' (not managed by Reconciler)", planStopped.All());
            Assert.Contains("[node-check-at-start]", planStopped.All());
        }
        finally
        {
            RealLibvirt.Cleanup(Prefix);
        }
    }

    [Fact]
    public async Task A_class_selector_gets_a_free_matching_device_recorded_in_the_definition_and_a_class_the_node_lacks_is_refused()
    {
        var devices = Devices();
        var match = devices.Pci.FirstOrDefault(p => HostdevClasses.Matches("network", p.ClassCode) && p.Vendor is not null);
        Assert.NotNull(match); // qemu:///system here lists the virtio NIC (class 0x020000)
        Assert.DoesNotContain(devices.Pci, p => HostdevClasses.Matches("gpu", p.ClassCode));
        var sel = Domain("sel", $"hostdevs: [{{class: network, vendor: \"{match.Vendor}\"}}]");
        await WithSpecs(sel + Domain("gpu", "hostdevs: [{class: gpu}]"), async specs =>
        {
            var plan = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 1, plan.ToString());
            Assert.Contains($"host PCI device {match.Address} (chosen for class network vendor {match.Vendor})", plan.Out);
            Assert.Contains($"domain '{Prefix}gpu' is refused on node 'local': hostdev: no free PCI device for class gpu: the node has no PCI device of class gpu", plan.All());

            var apply = await Cli.RunAsync("apply", specs, "--auto-approve");
            Assert.True(apply.ExitCode == 1, apply.ToString());
            var chosen = Definition("sel")!.Element("devices")!.Elements("hostdev").Single();
            Assert.Equal(match.Address, HostdevAddress(chosen.Element("source")!.Element("address")!));
            Assert.Null(Definition("gpu"));

            // The choice is kept: the definition's device still matches, so the next plan is empty.
            File.WriteAllText(Path.Combine(specs, "all.yaml"), RealLibvirt.NodeSpec() + "\n" + sel);
            var again = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(again.ExitCode == 0, again.ToString());
        });
    }

    private static string HostdevAddress(XElement a)
    {
        int H(string name) => Convert.ToInt32(((string)a.Attribute(name)!)[2..], 16);
        return $"{H("domain"):x4}:{H("bus"):x2}:{H("slot"):x2}.{H("function"):x}";
    }
}
