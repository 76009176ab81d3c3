using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Xunit.Abstractions;

namespace Reconciler.Rendering.Tests;

/// <summary>Render → (libvirt) → parse gives back the spec: an empty field diff.</summary>
public sealed class RoundTripTests(ITestOutputHelper output)
{
    private const string TestUri = "test:///default";
    private const string SystemUri = "qemu:///system";

    public static TheoryData<string> CaseNames() => new(Cases.All.Keys);

    private static string Describe(IReadOnlyList<FieldDiff> diffs) =>
        string.Join("\n", diffs.Select(d => $"  {d.Path}: live {d.Before ?? "(none)"} → desired {d.After ?? "(none)"}"));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Parse_of_render_has_no_diff(string caseName)
    {
        var (spec, domainType) = Cases.All[caseName];
        var options = Cases.Options(caseName, domainType);
        var parsed = DomainXmlParser.Parse(DomainRenderer.Render(spec, options));

        var diffs = DomainFields.Diff(spec, parsed.Spec);
        Assert.True(diffs.Count == 0, $"{caseName}: render → parse differs:\n{Describe(diffs)}");
        Assert.Equal(spec.Name, parsed.Name);
        Assert.Equal(options.Uuid, parsed.Uuid);
        Assert.Equal(domainType, parsed.DomainType);
        Assert.Equal(options.Owner with { Protect = spec.Protect, State = spec.State, Autostart = spec.Autostart }, parsed.Owner);
        Assert.Equal(spec.Xml, parsed.Spec.Xml);
        Assert.Equal(spec.Meta.Labels.OrderBy(l => l.Key), parsed.Spec.Meta.Labels.OrderBy(l => l.Key));
        Assert.Equal(spec.Description, parsed.Spec.Description);
        Assert.Equal("live:" + spec.Name, parsed.Spec.Meta.Origin.Location.File);
    }

    /// <summary>
    /// <see cref="DomainXmlParser.Parse(string)"/> builds only the elements the parser reads; it must
    /// give exactly what parsing the whole document gives (the model serialised as JSON, field by field).
    /// </summary>
    private static void AssertLoadingOnlyWhatIsReadParsesTheSame(string xml)
    {
        var pruned = DomainXmlParser.Parse(xml);
        var whole = DomainXmlParser.Parse(DomainXmlParser.Load(xml));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(whole), System.Text.Json.JsonSerializer.Serialize(pruned));
        Assert.Empty(DomainFields.Diff(whole.Spec, pruned.Spec));
        // Read from UTF-8 bytes (as NodeSession reads libvirt's text), the same trees and the same parse;
        // and the bytes are built directly, not handed to XmlReader (Utf8Xml handles what libvirt writes).
        Utf8XmlTests.AssertSameAsXmlReader(xml, requireBuilt: true);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(whole),
            System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(System.Text.Encoding.UTF8.GetBytes(xml))));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Loading_only_what_is_read_parses_the_same_as_the_whole_document(string caseName)
    {
        var (spec, domainType) = Cases.All[caseName];
        AssertLoadingOnlyWhatIsReadParsesTheSame(DomainRenderer.Render(spec, Cases.Options(caseName, domainType)));
    }

    [Fact]
    public void Loading_only_what_is_read_is_not_vacuous_and_rejects_what_the_whole_load_rejects()
    {
        var (spec, domainType) = Cases.All["web-1"];
        var xml = DomainRenderer.Render(spec, Cases.Options("web-1", domainType));
        // The JSON comparison sees a difference in a read element …
        var changed = xml.Replace("<description>", "<description>changed ", StringComparison.Ordinal);
        Assert.NotEqual(System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(xml)), System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(changed)));
        // … and malformed text in a skipped element still fails, with the whole load's message.
        var broken = xml.Replace("</devices>", "<controller type='pci'></devices>", StringComparison.Ordinal);
        var prunedError = Assert.Throws<DomainParseException>(() => DomainXmlParser.Parse(broken));
        var wholeError = Assert.Throws<DomainParseException>(() => DomainXmlParser.Load(broken));
        Assert.Equal(wholeError.Message, prunedError.Message);
        // A root other than <domain> is still reported as such.
        Assert.Contains("<network>", Assert.Throws<DomainParseException>(() => DomainXmlParser.Parse("<network><name>n</name></network>")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_is_not_vacuous_a_changed_field_is_reported()
    {
        var (spec, domainType) = Cases.All["web-1"];
        var parsed = DomainXmlParser.Parse(DomainRenderer.Render(spec with { Vcpus = 3 }, Cases.Options("web-1", domainType)));
        var diff = Assert.Single(DomainFields.Diff(spec, parsed.Spec));
        Assert.Equal("spec.vcpus", diff.Path);
    }

    /// <summary>libvirt's test driver: define and dumpxml --inactive in one virsh process (its state lives in the process).</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Test_driver_define_and_dumpxml_has_no_diff(string caseName)
    {
        var (spec, _) = Cases.All[caseName];
        var options = Cases.Options(caseName, "test");
        var file = Tools.TempFile(DomainRenderer.Render(spec, options));
        try
        {
            var result = Tools.Virsh(TestUri, $"define {file}; dumpxml {options.Uuid} --inactive");
            Assert.True(result.Ok, $"test driver rejected {caseName}:\n{result}");
            var xml = result.Stdout[result.Stdout.IndexOf("<domain", StringComparison.Ordinal)..];
            output.WriteLine(xml);
            var parsed = DomainXmlParser.Parse(xml);
            AssertLoadingOnlyWhatIsReadParsesTheSame(xml);

            var diffs = DomainFields.Diff(spec, parsed.Spec);
            Assert.True(diffs.Count == 0, $"{caseName}: test driver round trip differs:\n{Describe(diffs)}");
            Assert.Equal("test", parsed.DomainType);
            Assert.Equal(options.Uuid, parsed.Uuid);
            Assert.Equal(spec.Name, parsed.Name);
            Assert.Equal(options.Owner with { Protect = spec.Protect, State = spec.State, Autostart = spec.Autostart }, parsed.Owner);
            Assert.All(parsed.Spec.Interfaces, n => Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", n.Mac));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A redefine with <see cref="RenderOptions.Live"/> keeps the MACs libvirt assigned, even when a NIC
    /// is inserted in front; the first definition's MACs come from a real libvirt (test driver).
    /// </summary>
    [Fact]
    public void Test_driver_redefine_with_live_keeps_assigned_macs()
    {
        var spec = Cases.Base("rt-macs") with { Interfaces = [Cases.Network("default"), Cases.Bridge("br0")] };
        var options = Cases.Options("rt-macs", "test");
        var first = DefineOnTestDriver(DomainRenderer.Render(spec, options), options.Uuid!);
        var macs = first.Spec.Interfaces.Select(n => n.Mac).ToList();
        Assert.All(macs, Assert.NotNull);
        Assert.Equal(2, macs.Distinct().Count());

        var changed = spec with { Interfaces = [Cases.Network("isolated"), .. spec.Interfaces] };
        var second = DefineOnTestDriver(DomainRenderer.Render(changed, options with { Live = first.Spec }), options.Uuid!);

        Assert.Equal(macs[0], second.Spec.Interfaces[1].Mac);
        Assert.Equal(macs[1], second.Spec.Interfaces[2].Mac);
        Assert.DoesNotContain(second.Spec.Interfaces[0].Mac, macs);
        Assert.Empty(DomainFields.Diff(changed, second.Spec));
    }

    /// <summary>A libvirt quirk: it writes a CR in <c>&lt;description&gt;</c> raw, so it reads back as LF.</summary>
    [Fact]
    public void Test_driver_turns_cr_in_a_description_into_lf()
    {
        var spec = Cases.Base("rt-cr") with { Description = "a\r\nb\rc" };
        var options = Cases.Options("rt-cr", "test");
        Assert.Equal("a\r\nb\rc", DomainXmlParser.Parse(DomainRenderer.Render(spec, options)).Spec.Description);
        Assert.Equal("a\nb\nc", DefineOnTestDriver(DomainRenderer.Render(spec, options), options.Uuid!).Spec.Description);
    }

    /// <summary>
    /// A libvirt quirk the planner must know: libvirt groups disks by bus when it parses a definition
    /// and sorts each bus by target (virDomainDiskInsert), so a spec listing [virtio, sata cdrom, virtio]
    /// reads back as [virtio, virtio, sata], and [vdb, vda] as [vda, vdb]; an index-based diff then
    /// never settles. This pins the behaviour.
    /// </summary>
    [Fact]
    public void Test_driver_regroups_disks_by_bus_and_target()
    {
        var spec = Cases.Base("rt-disk-order") with
        {
            Disks = [Cases.Disk("/a.qcow2"), Cases.Cdrom(null), Cases.Disk("/b.qcow2"), Cases.Disk("/c.qcow2", target: "vdf"), Cases.Disk("/d.qcow2", target: "vde")],
        };
        var options = Cases.Options("rt-disk-order", "test");
        var parsed = DefineOnTestDriver(DomainRenderer.Render(spec, options), options.Uuid!);
        Assert.Equal(["vda", "vdb", "vde", "vdf", "sda"], parsed.Spec.Disks.Select(d => d.Target));
        Assert.Equal(["/a.qcow2", "/b.qcow2", "/d.qcow2", "/c.qcow2", null], parsed.Spec.Disks.Select(d => d.Path));
        Assert.Empty(DomainFields.Diff(spec, parsed.Spec)); // the diff matches disks by source, not position
    }

    private static ParsedDomain DefineOnTestDriver(string xml, string uuid)
    {
        var file = Tools.TempFile(xml);
        try
        {
            var result = Tools.Virsh(TestUri, $"define {file}; dumpxml {uuid} --inactive");
            Assert.True(result.Ok, $"test driver rejected the XML:\n{result}\n{xml}");
            return DomainXmlParser.Parse(result.Stdout[result.Stdout.IndexOf("<domain", StringComparison.Ordinal)..]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A real libvirtd (QEMU driver): define --validate, dumpxml --inactive, parse, compare; then a
    /// redefine with the live definition keeps UUID and MACs; always undefined afterwards.
    /// Passes with a note when no daemon answers, unless RECONCILER_REQUIRE_LIBVIRTD=1.
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Qemu_system_define_and_dumpxml_has_no_diff(string caseName)
    {
        if (!Tools.QemuSystemAvailable.Value)
        {
            Assert.False(Tools.RequireLibvirtd, "RECONCILER_REQUIRE_LIBVIRTD=1 but qemu:///system does not answer");
            output.WriteLine("qemu:///system does not answer: skipped");
            return;
        }
        var domainType = Tools.QemuSystemDomainType.Value;
        var (caseSpec, _) = Cases.All[caseName];
        var name = $"{caseSpec.Name}-{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}";
        var spec = caseSpec with
        {
            Meta = caseSpec.Meta with { Name = name },
            DomainType = caseSpec.DomainType is null ? null : domainType,
        };
        var options = Cases.Options(name, domainType);
        var file = Tools.TempFile(DomainRenderer.Render(spec, options));
        try
        {
            var define = Tools.Virsh(SystemUri, "define", "--validate", file);
            Assert.True(define.Ok, $"qemu:///system rejected {caseName}:\n{define}\n{File.ReadAllText(file)}");
            var dump = Tools.Virsh(SystemUri, "dumpxml", options.Uuid!, "--inactive");
            Assert.True(dump.Ok, dump.ToString());
            output.WriteLine(dump.Stdout);
            var parsed = DomainXmlParser.Parse(dump.Stdout);
            AssertLoadingOnlyWhatIsReadParsesTheSame(dump.Stdout);

            var diffs = DomainFields.Diff(spec, parsed.Spec);
            Assert.True(diffs.Count == 0, $"{caseName}: qemu:///system round trip differs:\n{Describe(diffs)}");
            Assert.Equal(name, parsed.Name);
            Assert.Equal(options.Uuid, parsed.Uuid);
            Assert.Equal(domainType, parsed.DomainType);
            Assert.Equal(options.Owner with { Protect = spec.Protect, State = spec.State, Autostart = spec.Autostart }, parsed.Owner);

            // Redefine from the live definition: same UUID, same MACs, still no diff.
            File.WriteAllText(file, DomainRenderer.Render(spec, options with { Live = parsed.Spec }));
            var redefine = Tools.Virsh(SystemUri, "define", "--validate", file);
            Assert.True(redefine.Ok, redefine.ToString());
            var again = DomainXmlParser.Parse(Tools.Virsh(SystemUri, "dumpxml", options.Uuid!, "--inactive").Stdout);
            Assert.Equal(parsed.Spec.Interfaces.Select(n => n.Mac), again.Spec.Interfaces.Select(n => n.Mac));
            Assert.Equal(options.Uuid, again.Uuid);
            Assert.Empty(DomainFields.Diff(spec, again.Spec));

            var undefine = Tools.Virsh(SystemUri, "undefine", "--nvram", options.Uuid!);
            Assert.True(undefine.Ok, undefine.ToString());
            Assert.False(Tools.Virsh(SystemUri, "dominfo", options.Uuid!).Ok, $"{name} is still defined after undefine");
        }
        finally
        {
            File.Delete(file);
            Tools.Virsh(SystemUri, "undefine", "--nvram", options.Uuid!); // cleanup when an assertion failed first
        }
    }

    /// <summary>
    /// A started domain's live XML (firmware resolved to a pflash loader, ports assigned, aliases)
    /// still parses back to the spec, except boot memory when it is below the maximum (balloon). Disk-less and NIC-less so that it starts anywhere; it just sits
    /// in the firmware.
    /// </summary>
    [Theory]
    [InlineData("minimal")]
    [InlineData("web-1")]
    [InlineData("uefi-secureboot")]
    [InlineData("spice-uefi")]
    [InlineData("cpu-hardware")]
    [InlineData("uefi-tpm")]
    [InlineData("devices-off")]
    public void Qemu_system_live_xml_of_a_started_domain_has_no_diff(string caseName)
    {
        if (!Tools.QemuSystemAvailable.Value)
        {
            Assert.False(Tools.RequireLibvirtd, "RECONCILER_REQUIRE_LIBVIRTD=1 but qemu:///system does not answer");
            output.WriteLine("qemu:///system does not answer: skipped");
            return;
        }
        var (caseSpec, _) = Cases.All[caseName];
        var name = $"{caseSpec.Name}-run-{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}";
        var spec = caseSpec with { Meta = caseSpec.Meta with { Name = name }, Disks = [], Interfaces = [] };
        var options = Cases.Options(name, "qemu"); // TCG: kvm_pvm cannot run every CPU mode (see the notes)
        var file = Tools.TempFile(DomainRenderer.Render(spec, options));
        try
        {
            var define = Tools.Virsh(SystemUri, "define", "--validate", file);
            Assert.True(define.Ok, define.ToString());
            var start = Tools.Virsh(SystemUri, "start", options.Uuid!);
            Assert.True(start.Ok, start.ToString());
            var dump = Tools.Virsh(SystemUri, "dumpxml", options.Uuid!);
            Assert.True(dump.Ok, dump.ToString());
            output.WriteLine(dump.Stdout);
            Assert.Contains(" id='", dump.Stdout); // really the live definition

            var parsed = DomainXmlParser.Parse(dump.Stdout);
            AssertLoadingOnlyWhatIsReadParsesTheSame(dump.Stdout);
            var diffs = DomainFields.Diff(spec, parsed.Spec).ToList();
            if (spec.MaxMemoryBytes is { } max && max != spec.MemoryBytes)
            {
                // A libvirt fact, not a parser bug: a running domain's <currentMemory> is the balloon's
                // actual size, which only a guest balloon driver brings down from the maximum. Memory
                // must be compared from the inactive XML.
                var memory = Assert.Single(diffs, d => d.Path == "spec.memory");
                Assert.Equal(Core.Model.ByteSize.Format(max), memory.Before);
                diffs.Remove(memory);
            }
            // Also a libvirt fact: a running custom CPU is the one libvirt resolved (optional features
            // decided, implied ones such as hypervisor added, fallback forbid); those fields are compared
            // from the inactive XML and never count as a pending restart.
            diffs.RemoveAll(d => d.Path is "spec.cpu.fallback" or "spec.cpu.features"
                && Core.Fields.BoundFields.Find(new Core.Fields.FieldPath(d.Path)) is { RunningValueMoves: true });
            Assert.True(diffs.Count == 0, $"{caseName}: live XML differs:\n{Describe(diffs)}");
            if (spec.Firmware == Firmware.Uefi) Assert.Contains("type='pflash'", dump.Stdout);
        }
        finally
        {
            File.Delete(file);
            Tools.Virsh(SystemUri, "destroy", options.Uuid!);
            Tools.Virsh(SystemUri, "undefine", "--nvram", options.Uuid!);
        }
    }
}
