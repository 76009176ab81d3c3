using System.Text;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

public class LoaderTests
{
    [Fact]
    public void Many_errors_are_reported_at_once_across_documents_and_files()
    {
        var a = T.DomainHeader + "  vcpus: two\n  memroy: 1GiB\n  state: paused\n---\n"
              + T.DomainHeader.Replace("web-1", "web-2", StringComparison.Ordinal) + "  disks:\n    - {path: rel.qcow2, bus: nvme}\n";
        var b = "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: x\n";
        var c = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1}\nspec: {uri: \"http://x\"}\n";
        var result = T.Load(("c.yaml", c), ("a.yaml", a), ("b.yaml", b));

        T.Expect(result, WrongType, "spec.vcpus", 6, 10);
        T.Expect(result, UnknownField, "spec.memroy", 7, 3);
        T.Expect(result, InvalidEnum, "spec.state", 8, 10);
        T.Expect(result, InvalidPath, "spec.disks[0].path", 16, 14);
        T.Expect(result, InvalidEnum, "spec.disks[0].bus", 16, 30);
        Assert.Single(result.Diagnostics, d => d.Code == YamlSyntax && d.Location!.File == "b.yaml");
        T.Expect(result, InvalidUri, "spec.uri", 4, 13, "c.yaml");
        Assert.Equal(7, result.Diagnostics.Count);

        // Sorted by file, then line and column.
        var order = result.Diagnostics.Select(d => (d.Location!.File, d.Location.Line, d.Location.Column)).ToList();
        Assert.Equal(order.OrderBy(o => o.File, StringComparer.Ordinal).ThenBy(o => o.Line).ThenBy(o => o.Column), order);
        Assert.All(result.Diagnostics, d => Assert.False(string.IsNullOrEmpty(d.Hint)));
    }

    [Fact]
    public void A_load_keeps_each_files_text_under_the_path_its_locations_name()
    {
        var dir = Directory.CreateTempSubdirectory("loader-texts-");
        try
        {
            var text = T.DomainHeader + "  vcpus: 2\n";
            Directory.CreateDirectory(Path.Combine(dir.FullName, "vms"));
            File.WriteAllText(Path.Combine(dir.FullName, "vms", "web.yaml"), text);
            var result = SpecLoader.LoadDirectory(dir.FullName);
            var domain = Assert.Single(result.Specs!.Domains);
            Assert.Equal(text, result.Texts[domain.Meta.Origin.Location.File]);

            // The texts are those of the load: a later edit of the file does not change them.
            File.WriteAllText(Path.Combine(dir.FullName, "vms", "web.yaml"), "edited");
            Assert.Equal(text, result.Texts[domain.Meta.Origin.Location.File]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Duplicate_names_across_files_name_both_places()
    {
        var doc = T.DomainHeader + "  vcpus: 1\n";
        var result = T.Load(("a.yaml", doc), ("sub/b.yaml", "# comment\n" + doc));
        var d = T.Expect(result, DuplicateName, "metadata.name", 5, 9, "sub/b.yaml");
        Assert.Contains("a.yaml:4:9", d.Message);
        Assert.Contains("sub/b.yaml:5:9", d.Message);
        Assert.Contains("Domain 'web-1'", d.Message);
    }

    [Fact]
    public void Duplicate_names_within_a_file_and_same_name_of_other_kinds()
    {
        var node = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: web-1}\nspec: {uri: \"test:///default\"}\n---\n";
        var doc = T.DomainHeader + "  vcpus: 1\n---\n";
        var result = T.Load(node + doc + doc);
        var d = T.Expect(result, DuplicateName, "metadata.name", 16, 9);
        Assert.Contains("a.yaml:9:9", d.Message);
        Assert.Single(result.Diagnostics); // a Node and a Domain may share a name
    }

    [Fact]
    public void A_valid_full_example_loads_into_the_expected_model()
    {
        var yaml = """
            apiVersion: reconciler/v1
            kind: Node
            metadata: {name: hv1, labels: {rack: r1}}
            spec: {uri: "qemu:///system", domainType: qemu}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata:
              name: web-1
              labels: {tier: web}
            spec:
              node: hv1
              state: stopped
              autostart: true
              vcpus: 2
              maxVcpus: 4
              memory: 1GiB
              maxMemory: 2GiB
              machine: pc
              firmware: uefi
              secureBoot: true
              cpu: {mode: host-passthrough}
              disks:
                - {path: /var/lib/libvirt/images/web-1.qcow2, boot: 1}
                - {path: /srv/iso/installer.iso, device: cdrom}
                - {path: /dev/vg0/data, bus: scsi, target: sdb, readonly: true}
                - {path: /srv/raw.img}
              interfaces:
                - {network: default}
                - {bridge: br0, model: e1000e, mac: "52:54:00:AA:bb:01"}
              graphics: {type: spice, listen: 0.0.0.0}
              protect: true
              description: "Frontend\nweb"
              domainType: kvm
              arch: aarch64
              xml:
                - {xpath: /domain/devices, add: "<watchdog model='i6300esb' action='reset'/>"}
                - {xpath: /domain/os/type/@machine, set: pc-q35-8.2}
                - {xpath: /domain/devices/graphics, remove: true}
            """;
        var set = T.Ok(T.Load(yaml, "prod/web.yaml"));
        Assert.Equal("test", set.Source);

        var node = Assert.Single(set.Nodes);
        Assert.Equal(("hv1", "qemu:///system", "qemu"), (node.Name, node.Uri, node.DomainType));
        Assert.Equal("r1", node.Meta.Labels["rack"]);

        var d = Assert.Single(set.Domains);
        Assert.Equal("web-1", d.Name);
        Assert.Equal("web", d.Meta.Labels["tier"]);
        Assert.Equal(("hv1", PowerState.Stopped, true), (d.Node, d.State, d.Autostart));
        Assert.Equal((2, (int?)4), (d.Vcpus, d.MaxVcpus));
        Assert.Equal((1UL << 30, (ulong?)(2UL << 30)), (d.MemoryBytes, d.MaxMemoryBytes));
        Assert.Equal(("pc", Firmware.Uefi, true), (d.Machine, d.Firmware, d.SecureBoot));
        Assert.Equal(new CpuSpec("host-passthrough"), d.Cpu);
        Assert.Equal(
            [
                new DiskSpec("/var/lib/libvirt/images/web-1.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, null, 1),
                new DiskSpec("/srv/iso/installer.iso", null, null, DiskDevice.Cdrom, "sata", "raw", true, null),
                new DiskSpec("/dev/vg0/data", null, null, DiskDevice.Disk, "scsi", null, true, "sdb"),
                new DiskSpec("/srv/raw.img", null, null, DiskDevice.Disk, "virtio", "raw", false, null),
            ], d.Disks);
        Assert.Equal(
            [
                new InterfaceSpec("default", null, "virtio", null),
                new InterfaceSpec(null, "br0", "e1000e", "52:54:00:aa:bb:01"),
            ], d.Interfaces);
        Assert.Equal(new GraphicsSpec(GraphicsType.Spice, "0.0.0.0"), d.Graphics);
        Assert.True(d.Protect);
        Assert.Equal("Frontend\nweb", d.Description);
        Assert.Equal(("kvm", "aarch64"), (d.DomainType, d.Arch));
        Assert.Equal(
            [
                new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb' action='reset'/>"),
                new XmlPatch("/domain/os/type/@machine", Set: "pc-q35-8.2"),
                new XmlPatch("/domain/devices/graphics", Remove: true),
            ], d.Xml);

        // Positions are kept for later stages.
        Assert.Equal(new SourceLocation("prod/web.yaml", 24, 14), d.Meta.Origin.Find("spec.disks[0].path"));
        Assert.Equal(new SourceLocation("prod/web.yaml", 6, 1), d.Meta.Origin.Location);
        Assert.Equal(new SourceLocation("prod/web.yaml", 9, 9), d.Meta.Origin.Find("metadata.name"));
        Assert.Equal(new SourceLocation("prod/web.yaml", 24, 7), d.Meta.Origin.Find("spec.disks[0].target"));
    }

    [Fact]
    public void A_minimal_domain_gets_the_defaults()
    {
        var d = T.OneDomain(T.Load("apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: min}\n"));
        Assert.Equal(
            new DomainSpec(d.Meta, null, PowerState.Running, false, 1, null, 1UL << 30, null, "q35", Firmware.Bios, false,
                new CpuSpec(null), [], [], new GraphicsSpec(GraphicsType.Vnc, "127.0.0.1"), [], false, null, null, "x86_64"),
            d with { Disks = [], Interfaces = [], Xml = [] });
        Assert.Empty(d.Disks);
        Assert.Empty(d.Meta.Labels);
    }

    [Theory]
    [InlineData("/a/b.qcow2", "qcow2")]
    [InlineData("/a/b.QCOW2", "qcow2")]
    [InlineData("/a/b.iso", "raw")]
    [InlineData("/a/b.img", "raw")]
    [InlineData("/a/b.raw", "raw")]
    [InlineData("/dev/sdb", null)]
    [InlineData("/a/b.vmdk", null)]
    public void Disk_format_defaults_from_the_extension(string path, string? format)
    {
        Assert.Equal(format, Assert.Single(T.OneDomain(T.Domain($"  disks: [{{path: {path}}}]\n")).Disks).Format);
    }

    [Fact]
    public void Directory_is_walked_recursively_in_order_skipping_hidden_and_non_yaml()
    {
        using var dir = new TempDir();
        dir.Write("b.yml", Domain("b"));
        dir.Write("a/z.yaml", Domain("az"));
        dir.Write("a/c.YAML", Domain("ac"));
        dir.Write(".git/x.yaml", "not: [valid");
        dir.Write(".reconcile/state.yaml", "garbage: [");
        dir.Write("a/.hidden.yaml", "garbage: [");
        dir.Write("README.md", "# not yaml");
        dir.Write("notes.txt", "kind: nope");

        var result = SpecLoader.LoadDirectory(dir.Root);
        var set = T.Ok(result);
        Assert.Equal(["ac", "az", "b"], set.Domains.Select(d => d.Name));
        Assert.Equal(dir.Root, set.Source);
        Assert.Equal("a/c.YAML", set.Domains[0].Meta.Origin.Location.File);
        Assert.Matches("^[0-9a-f]{12}$", set.Revision);

        // The revision is a content hash: stable, and it changes with any byte.
        Assert.Equal(set.Revision, SpecLoader.LoadDirectory(dir.Root).Specs!.Revision);
        dir.Write("a/z.yaml", Domain("az") + "# changed\n");
        Assert.NotEqual(set.Revision, SpecLoader.LoadDirectory(dir.Root).Specs!.Revision);
    }

    [Fact]
    public void LoadFiles_applies_the_same_selection_order_and_revision_as_a_directory()
    {
        using var dir = new TempDir();
        dir.Write("x/one.yaml", Domain("one"));
        dir.Write("two.yaml", Domain("two"));
        var fromDir = SpecLoader.LoadDirectory(dir.Root).Specs!;
        var fromFiles = SpecLoader.LoadFiles("repo@abc", [("two.yaml", Domain("two")), (".github/ci.yml", "x: ["), ("x/one.yaml", Domain("one")), ("doc.md", "")]).Specs!;
        Assert.Equal(fromDir.Revision, fromFiles.Revision);
        Assert.Equal("repo@abc", fromFiles.Source);
        Assert.Equal(["two", "one"], fromFiles.Domains.Select(d => d.Name));
    }

    [Fact]
    public void A_single_file_can_be_loaded()
    {
        using var dir = new TempDir();
        var file = dir.Write("only.yaml", Domain("solo"));
        Assert.Equal("solo", Assert.Single(T.Ok(SpecLoader.LoadDirectory(file)).Domains).Name);
    }

    [Fact]
    public void Missing_directory_is_a_diagnostic()
    {
        var result = SpecLoader.LoadDirectory("/nonexistent/reconciler/specs");
        Assert.Null(result.Specs);
        Assert.Equal(SourceNotFound, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Empty_directory_is_a_warning_and_an_empty_set()
    {
        using var dir = new TempDir();
        var result = SpecLoader.LoadDirectory(dir.Root);
        Assert.Equal(NoManifests, Assert.Single(result.Diagnostics).Code);
        Assert.Equal(Severity.Warning, result.Diagnostics[0].Severity);
        Assert.NotNull(result.Specs);
        Assert.Empty(result.Specs!.Domains);
    }

    [Fact]
    public void Invalid_utf8_is_a_diagnostic_and_other_files_are_still_checked()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Root, "bad.yaml"), [0x6b, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
        dir.Write("good.yaml", T.DomainHeader + "  vcpus: nope\n");
        var result = SpecLoader.LoadDirectory(dir.Root);
        Assert.Single(result.Diagnostics, d => d.Code == FileUnreadable && d.Location!.File == "bad.yaml");
        T.Expect(result, WrongType, "spec.vcpus", 6, 10, "good.yaml");
    }

    [Fact]
    public void A_utf8_bom_is_accepted()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Root, "bom.yaml"), [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(Domain("bom"))]);
        Assert.Equal("bom", Assert.Single(T.Ok(SpecLoader.LoadDirectory(dir.Root)).Domains).Name);
    }

    [Fact]
    public void Quickstart_example_loads_without_diagnostics()
    {
        var root = Path.Combine(T.RepoRoot(), "examples", "quickstart");
        var set = T.Ok(SpecLoader.LoadDirectory(root));
        Assert.Empty(set.Nodes);
        Assert.Equal(["web-1", "db-1"], set.Domains.Select(d => d.Name));
        Assert.All(set.Domains, d => Assert.Null(d.Node));
    }

    [Fact]
    public void Cancellation_throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => SpecLoader.LoadFiles("x", [("a.yaml", Domain("a"))], cts.Token));
    }

    private static string Domain(string name) => $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: {name}}}\nspec: {{vcpus: 1}}\n";
}
