using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Import;
using Reconciler.Libvirt;
using Reconciler.Rendering;
using Reconciler.Specs;
using Xunit.Abstractions;

namespace Reconciler.Engine.Tests;

/// <summary>
/// <c>reconcile import</c> against libvirt's test driver: the corpus of real virt-install
/// definitions and the examples round-trip, hostile input is refused by name, and adopted patches
/// are recognised on the live definition.
/// </summary>
public sealed class ImportTests(ITestOutputHelper output)
{
    private static readonly string CorpusDir = Path.Combine(Examples.RepoRoot, "tests", "Reconciler.Engine.Tests", "ImportCorpus");

    /// <summary>Defines <paramref name="xml"/> (as a test-driver domain) on the scratch node and returns libvirt's inactive definition.</summary>
    internal static string Defined(LibvirtConnection scratch, string xml, string name)
    {
        var root = XDocument.Parse(xml).Root!;
        root.SetAttributeValue("type", "test");
        root.Element("name")!.Value = name;
        root.Element("uuid")?.Remove();
        using var domain = scratch.DefineDomain(root.ToString());
        try
        {
            return domain.GetXmlDesc(DomainXmlFlags.Inactive);
        }
        finally
        {
            domain.Undefine(UndefineFlags.None);
        }
    }

    [Fact]
    public void Every_corpus_definition_imports_and_round_trips_equal()
    {
        var files = Directory.GetFiles(CorpusDir, "*.xml").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 60, $"the corpus has {files.Count} definitions");
        using var scratch = LibvirtConnection.Open("test:///default");
        using var roundTrip = new RoundTrip();
        var failures = new List<string>();
        var noPatch = 0;
        var carried = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var name = "imp-t-" + Path.GetFileNameWithoutExtension(file);
            var live = Defined(scratch, File.ReadAllText(file), name);
            ImportedDomain imported;
            try
            {
                imported = DomainImporter.Import(live, new ImportOptions("test", KeepMacs: false, Running: false, Autostart: false));
            }
            catch (ImportRefusedException e)
            {
                failures.Add($"{name}: not imported: {e.Message}");
                continue;
            }
            var differences = roundTrip.Differences(imported);
            if (differences.Count > 0) failures.Add($"{name}: {string.Join("; ", differences)}");
            if (imported.Carried.Count == 0) noPatch++;
            else output.WriteLine($"{name} carries: {string.Join(", ", imported.Carried)}");
            foreach (var what in imported.Carried.Select(c => c.Split('@', ' ')[0]).Distinct(StringComparer.Ordinal)) carried[what] = carried.GetValueOrDefault(what) + 1;
            // The spec is short: far fewer lines than the definition it stands for.
            Assert.True(imported.Yaml.Split('\n').Length < live.Split('\n').Length, $"{name}: the spec is not shorter than its definition");
        }
        output.WriteLine($"{files.Count} definitions: {files.Count - failures.Count} round-trip equal, {noPatch} with no xml: patch");
        output.WriteLine("carried as patches (definitions): " + string.Join(", ", carried.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // The model covers what typical virt-install VMs carry (timers, Hyper-V, spice extras, the USB and SCSI controllers, disk tuning, virtiofs, libosinfo):
        // 62 of 69 (90 %) need no patch; what remains is UEFI's firmware autoselection (4), a 9p share, a virtio keyboard and acpi off (docs/import.md).
        Assert.True(noPatch * 100 >= files.Count * 89, $"only {noPatch} of {files.Count} definitions import with no xml: patch (at least 89 % do)");
    }

    [Fact]
    public void Dependencies_are_the_networks_and_pools_the_domains_use_in_shortest_form()
    {
        const string xml = """
            <domain type='test'><name>imp-t-deps</name><memory unit='MiB'>256</memory><os><type>hvm</type></os>
            <devices><disk type='file' device='disk'><source file='/default-pool/imp-t-deps.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <disk type='file' device='disk'><source file='/elsewhere/other.qcow2'/><target dev='vdb' bus='virtio'/></disk>
            <interface type='network'><source network='default'/><model type='virtio'/></interface></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        var imported = DomainImporter.Import(Defined(scratch, xml, "imp-t-deps"), new ImportOptions("test", false, false, false));
        var dependencies = DependencyImporter.Import(scratch, [imported.Spec], CancellationToken.None);
        foreach (var d in dependencies) output.WriteLine($"{d.Kind} {d.Name}: {d.Refused ?? d.Yaml}");
        var network = Assert.Single(dependencies, d => d.Kind == "Network");
        Assert.Equal("default", network.Name);
        // nat is the default mode and autostart the default: left out.
        Assert.Contains("ipv4: {address: 192.168.122.1/24, dhcp: {start: \"192.168.122.2\", end: \"192.168.122.254\"}}", network.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("mode:", network.Yaml, StringComparison.Ordinal);
        var pool = Assert.Single(dependencies, d => d.Kind == "StoragePool");
        Assert.Contains("path: /default-pool", pool.Yaml, StringComparison.Ordinal);
        // The file is in the pool's directory but the pool does not list it: refused by name, and the disk outside any pool is no dependency.
        var volume = Assert.Single(dependencies, d => d.Kind == "Volume");
        Assert.Null(volume.Yaml);
        Assert.Contains("not one of its volumes", volume.Refused, StringComparison.Ordinal);
    }

    /// <summary>Imports <paramref name="xml"/> as defined on <paramref name="scratch"/>; checks that no patch is about its disks and that it round-trips equal.</summary>
    private ImportedDomain ImportDisks(LibvirtConnection scratch, string xml, string name)
    {
        var imported = DomainImporter.Import(Defined(scratch, xml, name), new ImportOptions("test", false, false, false));
        output.WriteLine(imported.Yaml);
        // A bare test-driver domain carries patches of its own (no video, i686); none is about a disk.
        Assert.DoesNotContain(imported.Carried, c => c.Contains("disk", StringComparison.Ordinal));
        using var roundTrip = new RoundTrip();
        Assert.Empty(roundTrip.Differences(imported));
        return imported;
    }

    [Fact]
    public void A_disk_that_is_a_volume_of_a_pool_imports_as_volume_and_its_pool_is_a_dependency()
    {
        const string xml = """
            <domain type='test'><name>imp-t-vol</name><memory unit='MiB'>256</memory><os><type>hvm</type></os>
            <devices><disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='default-pool' volume='imp-t-vol.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        var imported = ImportDisks(scratch, xml, "imp-t-vol");
        Assert.Contains("- {volume: imp-t-vol.qcow2, pool: default-pool}", imported.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("{path:", imported.Yaml, StringComparison.Ordinal);
        var disk = Assert.Single(imported.Spec.Disks);
        Assert.Equal(("imp-t-vol.qcow2", "default-pool", (string?)null), (disk.Volume, disk.Pool, disk.Path));
        // The pool the disk names is written (a dir pool); the volume is the pool's to list.
        var dependencies = DependencyImporter.Import(scratch, [imported.Spec], CancellationToken.None);
        var pool = Assert.Single(dependencies, d => d.Kind == "StoragePool");
        Assert.Equal("default-pool", pool.Name);
        Assert.Contains("path: /default-pool", pool.Yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void A_volume_disk_in_a_pool_of_another_type_brings_that_pool_s_spec_and_no_volume_spec()
    {
        const string xml = """
            <domain type='test'><name>imp-t-lvm</name><memory unit='MiB'>256</memory><os><type>hvm</type></os>
            <devices><disk type='volume' device='disk'><driver name='qemu' type='raw'/><source pool='imp-t-vg' volume='lv1'/><target dev='vda' bus='virtio'/></disk></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        using (scratch.DefineStoragePool("<pool type='logical'><name>imp-t-vg</name><source><device path='/dev/sdb'/><name>vg-data</name><format type='lvm2'/></source><target><path>/dev/vg-data</path></target></pool>"))
        {
        }
        var imported = ImportDisks(scratch, xml, "imp-t-lvm");

        var dependencies = DependencyImporter.Import(scratch, [imported.Spec], CancellationToken.None);

        foreach (var d in dependencies) output.WriteLine($"{d.Kind} {d.Name}: {d.Refused ?? d.Yaml}");
        var pool = Assert.Single(dependencies, d => d.Kind == "StoragePool");
        Assert.Equal("imp-t-vg", pool.Name);
        Assert.Null(pool.Refused);
        var spec = Assert.Single(SpecLoader.LoadFiles("import", [("p.yaml", pool.Yaml!)]).Specs!.Pools);
        Assert.Equal((StoragePoolType.Logical, "vg=vg-data devices=/dev/sdb", false), (spec.Type, spec.Source?.Canonical(spec.Type), spec.Autostart));
        // The LVM volume is the pool's own: no Volume spec is written for it.
        Assert.DoesNotContain(dependencies, d => d.Kind == "Volume");
    }

    [Fact]
    public void An_empty_cdrom_and_a_disk_s_driver_tuning_import_as_fields()
    {
        const string xml = """
            <domain type='test'><name>imp-t-tune</name><memory unit='MiB'>256</memory><os><type>hvm</type></os>
            <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap' detect_zeroes='unmap'/>
            <source file='/var/lib/libvirt/images/imp-t-tune.qcow2'/><target dev='vda' bus='virtio'/><serial>IMP-1</serial></disk>
            <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        var imported = ImportDisks(scratch, xml, "imp-t-tune");
        Assert.Contains("cache: none, io: native, discard: unmap, detectZeroes: unmap, serial: IMP-1}", imported.Yaml, StringComparison.Ordinal);
        Assert.Contains("- {device: cdrom}", imported.Yaml, StringComparison.Ordinal);
        // The empty drive renders the raw driver QEMU's libvirt gives it anyway (virt-install writes none): no patch either way.
        var rendered = DomainImporter.Render(imported.Spec, imported.Live, "test");
        var cdrom = Assert.Single(rendered.Element("devices")!.Elements("disk"), d => (string?)d.Attribute("device") == "cdrom");
        Assert.Equal("raw", (string?)cdrom.Element("driver")?.Attribute("type"));
        var withDriver = Defined(scratch, xml.Replace("<disk type='file' device='cdrom'>", "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>", StringComparison.Ordinal), "imp-t-tune");
        Assert.DoesNotContain(DomainImporter.Import(withDriver, new ImportOptions("test", false, false, false)).Carried, c => c.Contains("disk", StringComparison.Ordinal));
    }

    [Fact]
    public void A_spec_leaves_defaults_out_and_writes_sizes_in_the_largest_exact_unit()
    {
        const string xml = """
            <domain type='test'><name>imp-t-small</name><memory unit='KiB'>2097152</memory><vcpu>1</vcpu>
            <os><type arch='x86_64' machine='q35'>hvm</type></os>
            <pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>
            <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        var imported = DomainImporter.Import(Defined(scratch, xml, "imp-t-small"), new ImportOptions("test", false, false, false));
        Assert.Contains("memory: 2GiB", imported.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("2097152", imported.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("vcpus:", imported.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("machine:", imported.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("uuid", imported.Yaml, StringComparison.Ordinal);
        Assert.Contains("pm: {suspendToMem: \"no\", suspendToDisk: \"no\"}", imported.Yaml.Replace("suspendToDisk: \"no\", suspendToMem: \"no\"", "suspendToMem: \"no\", suspendToDisk: \"no\"", StringComparison.Ordinal), StringComparison.Ordinal);
        using var roundTrip = new RoundTrip();
        Assert.Empty(roundTrip.Differences(imported));
    }

    [Fact]
    public void Macs_are_written_only_with_keep_macs_and_compared_either_way()
    {
        const string xml = """
            <domain type='test'><name>imp-t-mac</name><memory unit='MiB'>256</memory><os><type>hvm</type></os>
            <devices><interface type='bridge'><mac address='52:54:00:ab:cd:ef'/><source bridge='br0'/><model type='virtio'/></interface></devices></domain>
            """;
        using var scratch = LibvirtConnection.Open("test:///default");
        var live = Defined(scratch, xml, "imp-t-mac");
        var without = DomainImporter.Import(live, new ImportOptions("test", KeepMacs: false, false, false));
        var with = DomainImporter.Import(live, new ImportOptions("test", KeepMacs: true, false, false));
        Assert.DoesNotContain("52:54:00:ab:cd:ef", without.Yaml, StringComparison.Ordinal);
        Assert.Contains("mac: \"52:54:00:ab:cd:ef\"", with.Yaml, StringComparison.Ordinal);
        using var roundTrip = new RoundTrip();
        Assert.Empty(roundTrip.Differences(without));
        Assert.Empty(roundTrip.Differences(with));
    }

    [Theory]
    [InlineData("my web vm", "my-web-vm")]
    [InlineData("café-ü", "cafe-u")]
    [InlineData("-lead", "lead")]
    public void A_name_our_rules_refuse_gets_a_message_and_a_suggested_name(string name, string suggested)
    {
        var xml = new XElement("domain", new XAttribute("type", "kvm"), new XElement("name", name), new XElement("memory", "65536"),
            new XElement("os", new XElement("type", "hvm"))).ToString();
        var e = Assert.Throws<ImportRefusedException>(() => DomainImporter.Import(xml, new ImportOptions("kvm", false, false, false)));
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
        Assert.Contains(suggested, e.Message, StringComparison.Ordinal);
        Assert.Equal(suggested, DomainImporter.SuggestName(name));
    }

    [Fact]
    public void A_name_over_the_length_limit_is_cut_to_a_valid_one()
    {
        var name = new string('a', 80);
        var suggested = DomainImporter.SuggestName(name);
        Assert.Equal(63, suggested.Length);
        Assert.Matches(Core.Fields.Patterns.Name, suggested);
    }

    [Theory]
    [InlineData("lxc")]
    [InlineData("xen")]
    public void Domains_of_other_types_are_refused_by_name(string type)
    {
        var xml = $"<domain type='{type}'><name>imp-t-other</name><memory>65536</memory><os><type>exe</type></os></domain>";
        var e = Assert.Throws<ImportRefusedException>(() => DomainImporter.Import(xml, new ImportOptions("kvm", false, false, false)));
        Assert.Contains($"type '{type}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_that_cannot_be_read_does_not_stop_the_others()
    {
        // test:///default holds libvirt's own default domain, "test": imported with the test driver's defaults.
        var outcomes = Importer.Run(new ImportRequest("test:///default", ["no-such-domain", "test"], All: false, KeepMacs: false, Check: true),
            out var type, out _, CancellationToken.None);
        Assert.Equal("test", type);
        Assert.Contains("no domain named 'no-such-domain'", outcomes[0].Refused, StringComparison.Ordinal);
        Assert.True(outcomes[1].Imported is not null, outcomes[1].Refused);
        Assert.True(outcomes[1].Equal, string.Join("; ", outcomes[1].Differences ?? []));
        Assert.DoesNotContain("state: stopped", outcomes[1].Imported!.Yaml, StringComparison.Ordinal); // running, the default
    }

    /// <summary>The property: for every example spec (domains, networks and pools), import(apply(spec)) gives back the same model, field for field (defaults may be written or left out).</summary>
    [Theory]
    [MemberData(nameof(ExampleDirectories))]
    public void Importing_an_applied_example_gives_back_the_same_model(string example)
    {
        using var copy = Examples.CopyLoadable(example);
        var loaded = Workspace.Load(copy.Path, connect: null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("; ", loaded.Diagnostics));
        using var scratch = LibvirtConnection.Open("test:///default");
        var all = Operations.Render(loaded, null, "test");
        Assert.NotEmpty(all);
        foreach (var rendered in all)
        {
            var spec = loaded.Specs!.Domains.Single(d => d.Name == rendered.Name);
            // Written as if by hand (no owner record): import must read everything from the definition itself.
            var xml = XDocument.Parse(rendered.Xml);
            xml.Root!.Element("metadata")?.Remove();
            var live = Defined(scratch, xml.ToString(), "imp-t-ex-" + rendered.Name);
            var imported = DomainImporter.Import(live, new ImportOptions("test", KeepMacs: true, Running: spec.State == PowerState.Running, spec.Autostart));
            var differences = ModelDifferences(spec, live, imported);
            Assert.True(differences.Count == 0, $"{example}/{rendered.Name}: {string.Join("; ", differences)}");
            using var roundTrip = new RoundTrip();
            Assert.Empty(roundTrip.Differences(imported));
        }
        // The example's networks and pools, as --with-dependencies writes them (its Volumes have backing files: refused by name, docs/import.md).
        foreach (var network in loaded.Specs!.Networks)
        {
            var differences = ImportDependencyGoldenTests.NetworkDifferences(network);
            Assert.True(differences.Count == 0, $"{example}/network {network.Name}: {string.Join("; ", differences)}");
        }
        foreach (var pool in loaded.Specs.Pools)
        {
            var differences = ImportDependencyGoldenTests.PoolDifferences(pool);
            Assert.True(differences.Count == 0, $"{example}/pool {pool.Name}: {string.Join("; ", differences)}");
        }
    }

    /// <summary>
    /// The property's comparison: each field <paramref name="spec"/> sets (its patches aside) against
    /// the imported spec, field for field. A default the spec wrote may be left out of the import: then
    /// the value read back from <paramref name="live"/> must be the same. Labels, placement and protect
    /// live in the owner record, which a definition written by hand lacks; the node is the directory's.
    /// </summary>
    internal static List<string> ModelDifferences(DomainSpec spec, string live, ImportedDomain imported)
    {
        var want = DomainFields.Flatten(spec with { Xml = [] }).Where(f => f.Value is not null && !f.Path.StartsWith("metadata.labels", StringComparison.Ordinal)
            && !f.Path.StartsWith("spec.placement", StringComparison.Ordinal) && f.Path is not "spec.protect" and not "spec.node").ToList();
        var got = DomainFields.Flatten(imported.Spec).ToDictionary(f => f.Path, f => f.Value, StringComparer.Ordinal);
        var liveValues = DomainFields.Flatten(DomainXmlParser.Parse(live).Spec).ToDictionary(f => f.Path, f => f.Value, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var (path, value) in want)
        {
            var have = got.GetValueOrDefault(path) ?? liveValues.GetValueOrDefault(path);
            if (!DomainFields.Equivalent(path, value!, have)) differences.Add($"{path} was {value}, import gives {have ?? "(none)"}");
        }
        if (spec.State != imported.Spec.State) differences.Add($"state was {spec.State}, import gives {imported.Spec.State}");
        if (spec.Autostart != imported.Spec.Autostart) differences.Add($"autostart was {spec.Autostart}, import gives {imported.Spec.Autostart}");
        return differences;
    }

    public static TheoryData<string> ExampleDirectories() => ExampleSchemaTests.AllExamples();

    [Fact]
    public void Patches_an_adopted_definition_already_holds_are_recorded_as_its_own()
    {
        const string live = """
            <domain type='kvm'><name>x</name><metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='d12'/></libosinfo:libosinfo></metadata>
            <features><acpi/></features><devices><sound model='ich6'><address type='pci' slot='0x04'/></sound><memballoon model='none'/></devices></domain>
            """;
        var spec = Spec([
            new XmlPatch("/domain/metadata", Add: "<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='d12'/></libosinfo:libosinfo>"),
            new XmlPatch("/domain/features/apic", Remove: true),
            new XmlPatch("/domain/devices/rng", Remove: true),
            new XmlPatch("/domain/devices/memballoon/@model", Set: "none"),
            new XmlPatch("/domain/devices", Add: "<sound model='ich6'/>"),
        ]);
        var recorded = AdoptedPatches.Recorded(spec, spec with { Xml = [] }, live);
        Assert.Equal(spec.Xml, recorded.Xml);

        // A patch the definition does not hold (and every one after it) stays a change.
        var other = Spec([new XmlPatch("/domain/devices", Add: "<sound model='ich9'/>"), new XmlPatch("/domain/devices/rng", Remove: true)]);
        Assert.Empty(AdoptedPatches.Recorded(other, other with { Xml = [] }, live).Xml);

        // Replacing an element (remove, then add back) holds when the live element is what is added back.
        var replaced = Spec([new XmlPatch("/domain/features", Remove: true), new XmlPatch("/domain", Add: "<features><acpi/></features>")]);
        Assert.Equal(2, AdoptedPatches.Recorded(replaced, replaced with { Xml = [] }, live).Xml.Count);
    }

    private static DomainSpec Spec(IReadOnlyList<XmlPatch> patches)
    {
        var result = SpecLoader.LoadFiles("t", [("x.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: x}\nspec: {memory: 64MiB}\n")]);
        return result.Specs!.Domains[0] with { Xml = patches };
    }
}
