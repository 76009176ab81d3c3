using Reconciler.Core.Model;
using Reconciler.Specs.Validation;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

public class ValidationTests
{
    private const string Node1 = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1}\nspec: {uri: \"qemu:///system\"}\n---\n";
    private const string Node2 = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv2}\nspec: {uri: \"qemu+ssh://root@hv2/system\"}\n---\n";

    [Theory]
    [InlineData("0")]
    [InlineData("4097")]
    public void Vcpus_out_of_range(string value)
    {
        var d = T.Expect(T.Domain($"  vcpus: {value}\n"), OutOfRange, "spec.vcpus", 6, 10);
        Assert.Contains("between 1 and 4096", d.Message);
    }

    [Fact]
    public void MaxVcpus_below_vcpus()
    {
        T.Expect(T.Domain("  vcpus: 4\n  maxVcpus: 2\n"), OutOfRange, "spec.maxVcpus", 7, 13);
    }

    [Theory]
    [InlineData("512KiB")]
    [InlineData("17TiB")]
    [InlineData("1000000B")]
    public void Memory_out_of_range_or_not_whole_KiB(string value)
    {
        T.Expect(T.Domain($"  memory: {value}\n"), OutOfRange, "spec.memory", 6, 11);
    }

    [Fact]
    public void MaxMemory_below_memory()
    {
        T.Expect(T.Domain("  memory: 2GiB\n  maxMemory: 1GiB\n"), OutOfRange, "spec.maxMemory", 7, 14);
    }

    [Fact]
    public void A_parse_error_is_not_repeated_by_a_rule_that_depends_on_it()
    {
        var result = T.Domain("  memory: 1024\n  maxMemory: 512MiB\n");
        T.Expect(result, InvalidSize, "spec.memory", 6, 11);
        Assert.Single(result.Diagnostics);
    }

    [Fact]
    public void SecureBoot_needs_uefi()
    {
        var d = T.Expect(T.Domain("  secureBoot: true\n"), ConflictingFields, "spec.secureBoot", 6, 15);
        Assert.Contains("uefi", d.Hint);
        T.Ok(T.Domain("  firmware: uefi\n  secureBoot: true\n"));
    }

    [Fact]
    public void Custom_cpu_needs_a_model_and_model_needs_custom()
    {
        T.Expect(T.Domain("  cpu:\n    mode: custom\n"), MissingField, "spec.cpu.model", 6, 3);
        T.Expect(T.Domain("  cpu: {mode: host-model, model: EPYC}\n"), ConflictingFields, "spec.cpu.model", 6, 34);
        Assert.Equal(new CpuSpec("custom", "EPYC"), T.OneDomain(T.Domain("  cpu: {mode: custom, model: EPYC}\n")).Cpu);
    }

    [Fact]
    public void Disk_needs_exactly_one_of_path_or_volume()
    {
        T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, volume: v}\n"), ConflictingFields, "spec.disks[0]", 7, 7);
        T.Expect(T.Domain("  disks:\n    - {bus: sata}\n"), MissingField, "spec.disks[0]", 7, 7);
        var cdrom = Assert.Single(T.OneDomain(T.Domain("  disks:\n    - {device: cdrom}\n")).Disks);
        Assert.Null(cdrom.Path);
    }

    [Fact]
    public void Disk_path_must_be_absolute()
    {
        T.Expect(T.Domain("  disks:\n    - path: images/a.qcow2\n"), InvalidPath, "spec.disks[0].path", 7, 13);
    }

    [Fact]
    public void Two_disks_with_the_same_path_or_target()
    {
        var result = T.Domain("  disks:\n    - {path: /a.qcow2, target: vda}\n    - {path: /a.qcow2}\n    - {path: /b.qcow2, target: vda}\n");
        T.Expect(result, DuplicateDisk, "spec.disks[1].path", 8, 14);
        T.Expect(result, DuplicateDisk, "spec.disks[2].target", 9, 32);
    }

    [Theory]
    [InlineData("vd1")]
    [InlineData("nvme0n1")]
    [InlineData("vdabc")]
    public void Disk_target_pattern(string target)
    {
        var d = T.Expect(T.Domain($"  disks:\n    - path: /a.qcow2\n      target: {target}\n"), InvalidTarget, "spec.disks[0].target", 8, 15);
        Assert.Contains("vda", d.Hint);
    }

    [Fact]
    public void Cdrom_cannot_be_virtio_or_writable()
    {
        T.Expect(T.Domain("  disks:\n    - {device: cdrom, bus: virtio}\n"), ConflictingFields, "spec.disks[0].bus", 7, 28);
        T.Expect(T.Domain("  disks:\n    - {device: cdrom, readonly: false}\n"), ConflictingFields, "spec.disks[0].readonly", 7, 33);
    }

    [Fact]
    public void Pool_only_with_volume()
    {
        T.Expect(T.Domain("  disks:\n    - {path: /a.raw, pool: default}\n"), ConflictingFields, "spec.disks[0].pool", 7, 28);
        var disk = Assert.Single(T.OneDomain(T.Domain("  disks:\n    - {volume: v1, pool: default}\n")).Disks);
        Assert.Equal(("v1", "default", null), (disk.Volume, disk.Pool, disk.Format));
    }

    [Fact]
    public void Interface_needs_exactly_one_of_network_or_bridge()
    {
        T.Expect(T.Domain("  interfaces:\n    - {network: default, bridge: br0}\n"), ConflictingFields, "spec.interfaces[0]", 7, 7);
        T.Expect(T.Domain("  interfaces:\n    - {model: e1000}\n"), MissingField, "spec.interfaces[0]", 7, 7);
    }

    [Theory]
    [InlineData("52:54:00:12:34", "not a MAC")]
    [InlineData("52-54-00-12-34-56", "not a MAC")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    public void Mac_format_and_unicast(string mac, string message)
    {
        var d = T.Expect(T.Domain($"  interfaces:\n    - network: default\n      mac: \"{mac}\"\n"), InvalidMac, "spec.interfaces[0].mac", 8, 12);
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void Mac_is_normalised_to_lower_case()
    {
        var nic = Assert.Single(T.OneDomain(T.Domain("  interfaces:\n    - {bridge: br0, mac: \"52:54:00:AB:CD:EF\"}\n")).Interfaces);
        Assert.Equal(new InterfaceSpec(null, "br0", "virtio", "52:54:00:ab:cd:ef"), nic);
    }

    [Fact]
    public void Duplicate_mac_within_a_domain()
    {
        var result = T.Domain("  interfaces:\n    - {network: default, mac: \"52:54:00:00:00:01\"}\n    - {network: default, mac: \"52:54:00:00:00:01\"}\n");
        T.Expect(result, DuplicateMac, "spec.interfaces[1].mac", 8, 31);
    }

    [Fact]
    public void Duplicate_mac_across_domains_names_the_other_place()
    {
        var a = T.DomainHeader + "  interfaces: [{network: default, mac: \"52:54:00:00:00:01\"}]\n";
        var b = a.Replace("web-1", "web-2", StringComparison.Ordinal);
        var d = T.Expect(T.Load(("a.yaml", a), ("b.yaml", b)), DuplicateMac, "spec.interfaces[0].mac", 6, 40, "b.yaml");
        Assert.Contains("a.yaml:6:40", d.Message);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("1")]
    [InlineData("300.1.1.1")]
    public void Graphics_listen_must_be_an_ip_address(string listen)
    {
        T.Expect(T.Domain($"  graphics: {{type: spice, listen: {listen}}}\n"), InvalidAddress, "spec.graphics.listen", 6, 35);
    }

    [Fact]
    public void Graphics_listen_accepts_ipv4_and_ipv6()
    {
        Assert.Equal("::1", T.OneDomain(T.Domain("  graphics: {type: vnc, listen: \"::1\"}\n")).Graphics.Listen);
        Assert.Equal("0.0.0.0", T.OneDomain(T.Domain("  graphics: {listen: 0.0.0.0}\n")).Graphics.Listen);
    }

    [Theory]
    [InlineData("http://hv1/system")]
    [InlineData("qemu+telnet://hv1/system")]
    [InlineData("not a uri")]
    [InlineData("/system")]
    public void Node_uri_must_parse_and_have_a_known_scheme(string uri)
    {
        var d = T.Expect(T.Load($"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: hv1}}\nspec:\n  uri: \"{uri}\"\n"), InvalidUri, "spec.uri", 5, 8);
        Assert.Contains("qemu:///system", d.Hint);
    }

    [Theory]
    [InlineData("qemu:///system")]
    [InlineData("qemu:///session")]
    [InlineData("qemu+ssh://root@hv1.example.org/system?keyfile=/k")]
    [InlineData("qemu+tls://hv1/system")]
    [InlineData("test:///default")]
    [InlineData("test+unix:///default")]
    public void Node_uri_accepted(string uri)
    {
        var node = Assert.Single(T.Ok(T.Load($"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: hv1}}\nspec: {{uri: \"{uri}\"}}\n")).Nodes);
        Assert.Equal(uri, node.Uri);
    }

    private const string CredNode = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1}\nspec:\n  uri: \"qemu+tcp://hv1/system\"\n  credentials:\n";

    [Fact]
    public void Node_credentials_name_their_sources_only()
    {
        var node = Assert.Single(T.Ok(T.Load(CredNode + "    username: rc\n    passwordEnv: HV1_PASSWORD\n")).Nodes);
        Assert.Equal(new NodeCredentials("rc", null, null, "HV1_PASSWORD"), node.Credentials);
        var fromFile = Assert.Single(T.Ok(T.Load(CredNode + "    usernameEnv: HV1_USER\n    passwordFile: /run/secrets/hv1\n")).Nodes);
        Assert.Equal(new NodeCredentials(null, "HV1_USER", "/run/secrets/hv1", null), fromFile.Credentials);
    }

    [Fact]
    public void Node_credentials_need_exactly_one_password_source()
    {
        var missing = T.Expect(T.Load(CredNode + "    username: rc\n"), MissingField, "spec.credentials", 6, 3);
        Assert.Contains("passwordEnv", missing.Hint);
        T.Expect(T.Load(CredNode + "    passwordEnv: A\n    passwordFile: /f\n"), ConflictingFields, "spec.credentials.passwordEnv", 7, 18);
        T.Expect(T.Load(CredNode + "    username: rc\n    usernameEnv: U\n    passwordEnv: A\n"), ConflictingFields, "spec.credentials.usernameEnv", 8, 18);
        T.Expect(T.Load(CredNode + "    passwordEnv: \"not a var\"\n"), InvalidValue, "spec.credentials.passwordEnv", 7, 18);
    }

    [Fact]
    public void Node_credentials_do_not_take_a_password()
    {
        var d = T.Expect(T.Load(CredNode + "    password: hunter22\n    passwordEnv: A\n"), UnknownField, "spec.credentials.password", 7, 5);
        Assert.DoesNotContain("hunter22", d.ToString());
    }

    [Fact]
    public void Spec_node_must_name_a_defined_node()
    {
        var d = T.Expect(T.Load(Node1 + T.DomainHeader + "  node: hv2\n"), UnknownNode, "spec.node", 11, 9);
        Assert.Contains("did you mean 'hv1'?", d.Hint);
    }

    [Fact]
    public void Spec_node_is_required_with_two_nodes()
    {
        var d = T.Expect(T.Load(Node1 + Node2 + T.DomainHeader + "  vcpus: 1\n"), NodeRequired, "spec.node", 15, 1);
        Assert.Contains("hv1, hv2", d.Hint);
    }

    [Fact]
    public void Spec_node_is_filled_in_with_one_node_and_free_without_nodes()
    {
        Assert.Equal("hv1", T.OneDomain(T.Load(Node1 + T.DomainHeader + "  vcpus: 1\n")).Node);
        Assert.Equal("elsewhere", T.OneDomain(T.Domain("  node: elsewhere\n")).Node);
        Assert.Null(T.OneDomain(T.Domain("  vcpus: 1\n")).Node);
    }

    [Fact]
    public void Xml_patch_needs_exactly_one_action()
    {
        T.Expect(T.Domain("  xml:\n    - {xpath: /domain/devices}\n"), MissingField, "spec.xml[0]", 7, 7);
        T.Expect(T.Domain("  xml:\n    - {xpath: /domain/devices, set: a, remove: true}\n"), ConflictingFields, "spec.xml[0]", 7, 7);
    }

    [Fact]
    public void Xml_patch_needs_an_xpath()
    {
        T.Expect(T.Domain("  xml:\n    - {remove: true}\n"), MissingField, "spec.xml[0].xpath", 7, 7);
    }

    [Theory]
    [InlineData("/domain/devices[", "does not compile")]
    [InlineData("/devices", "does not start at /domain")]
    [InlineData("/domainx/a", "does not start at /domain")]
    [InlineData("//disk", "does not start at /domain")]
    public void Xml_patch_xpath_compiles_and_starts_at_domain(string xpath, string message)
    {
        var d = T.Expect(T.Domain($"  xml:\n    - xpath: \"{xpath}\"\n      remove: true\n"), InvalidXPath, "spec.xml[0].xpath", 7, 14);
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void Xml_patch_add_must_be_well_formed()
    {
        T.Expect(T.Domain("  xml:\n    - xpath: /domain/devices\n      add: \"<watchdog model='x'>\"\n"), InvalidXml, "spec.xml[0].add", 8, 12);
        T.Expect(T.Domain("  xml:\n    - xpath: /domain/devices\n      add: \"<!DOCTYPE x [<!ENTITY e 'x'>]><a/>\"\n"), InvalidXml, "spec.xml[0].add", 8, 12);
        var patch = Assert.Single(T.OneDomain(T.Domain("  xml:\n    - {xpath: /domain/devices, add: \"<a/><b x='1'/>\"}\n")).Xml);
        Assert.Equal(new XmlPatch("/domain/devices", "<a/><b x='1'/>"), patch);
    }

    [Theory]
    [InlineData("\"a</name><devices>\"")]
    [InlineData("\"web 1\"")]
    [InlineData("-web")]
    [InlineData("\"../etc\"")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Hostile_or_unsafe_names_are_refused(string name)
    {
        var d = T.Expect(T.Load($"apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  name: {name}\n"), InvalidName, "metadata.name", 4, 9);
        Assert.Contains("libvirt-safe", d.Hint);
    }

    [Fact]
    public void Longest_valid_name_is_accepted()
    {
        var name = "a" + new string('b', 62);
        Assert.Equal(name, T.OneDomain(T.Load($"apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  name: {name}\n")).Name);
    }

    [Theory]
    [InlineData("\"bad key\": x", "metadata.labels.bad key")]
    [InlineData("tier: \"web server\"", "metadata.labels.tier")]
    [InlineData("\"/x\": y", "metadata.labels./x")]
    public void Label_keys_and_values_are_checked(string label, string path)
    {
        T.Expect(T.Load($"apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  name: a\n  labels:\n    {label}\n"), InvalidLabel, path, 6, 5);
    }

    [Fact]
    public void Validators_can_be_used_on_models_built_in_code()
    {
        var meta = new ResourceMeta("web-1", new Dictionary<string, string>(), SpecOrigin.InMemory());
        var spec = new DomainSpec(meta, null, PowerState.Running, false, 0, null, 1UL << 30, null, "q35", Firmware.Bios, false,
            new CpuSpec(null), [], [], new GraphicsSpec(GraphicsType.Vnc), []);
        var failure = Assert.Single(new DomainSpecValidator().Validate(spec).Errors);
        Assert.Equal(("spec.vcpus", OutOfRange), (failure.PropertyName, failure.ErrorCode));
    }
}
