namespace Reconciler.Libvirt.Tests;

public class DomainTests
{
    private const string MetaNs = "https://reconciler.example/ns/spec/1";

    [Fact]
    public void List_contains_builtin_running_test_domain()
    {
        using var conn = TestDriver.Open();

        var all = conn.ListAllDomains();
        try
        {
            Assert.Contains(all, d => d.Name == "test");
        }
        finally
        {
            foreach (var d in all)
            {
                d.Dispose();
            }
        }

        var running = conn.ListAllDomains(DomainListFlags.Running);
        Assert.Contains(running, d => d.Name == "test");
        Assert.All(running, d => Assert.True(d.IsActive));
        foreach (var d in running)
        {
            d.Dispose();
        }
    }

    [Fact]
    public void List_filters_inactive_domains()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("inact");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name));

        var inactive = conn.ListAllDomains(DomainListFlags.Inactive);
        Assert.Contains(inactive, d => d.Name == name);
        Assert.DoesNotContain(inactive, d => d.Name == "test");
        foreach (var d in inactive)
        {
            d.Dispose();
        }

        dom.Undefine();
    }

    [Fact]
    public void Lookup_missing_returns_null()
    {
        using var conn = TestDriver.Open();

        Assert.Null(conn.LookupDomainByName("does-not-exist-" + Guid.NewGuid().ToString("N")));
        Assert.Null(conn.LookupDomainByUuid(Guid.NewGuid().ToString()));
    }

    [Fact]
    public void Lookup_by_name_and_uuid_find_the_same_domain()
    {
        using var conn = TestDriver.Open();
        using var byName = conn.LookupDomainByName("test");
        Assert.NotNull(byName);
        Assert.True(Guid.TryParse(byName.Uuid, out _), byName.Uuid);

        using var byUuid = conn.LookupDomainByUuid(byName.Uuid);
        Assert.NotNull(byUuid);
        Assert.Equal("test", byUuid.Name);
        Assert.Equal(byName.Uuid, byUuid.Uuid);
    }

    [Fact]
    public void Lookup_with_malformed_uuid_is_an_error_not_null()
    {
        using var conn = TestDriver.Open();

        var ex = Assert.Throws<LibvirtInvalidArgumentException>(() => conn.LookupDomainByUuid("not-a-uuid"));
        Assert.Equal(LibvirtErrorCode.InvalidArg, ex.Code);
    }

    [Fact]
    public void Define_malformed_xml_throws_invalid_xml_with_libvirt_message()
    {
        using var conn = TestDriver.Open();

        var ex = Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineDomain("<domain type='test'><name>x</name"));
        Assert.Contains(ex.Code, new[] { LibvirtErrorCode.XmlError, LibvirtErrorCode.XmlDetail });
        Assert.Contains("expected '>'", ex.Message, StringComparison.Ordinal); // libvirt's (libxml2's) own text
    }

    [Fact]
    public void Define_with_validate_rejects_schema_invalid_xml_that_plain_define_accepts()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("schema");
        var xml = TestDriver.DomainXml(name, extra: "<bogus/>");

        var ex = Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineDomain(xml, validate: true));
        Assert.Equal(LibvirtErrorCode.XmlInvalidSchema, ex.Code);
        Assert.Contains("bogus", ex.Message, StringComparison.Ordinal);
        Assert.Null(conn.LookupDomainByName(name));

        using var dom = conn.DefineDomain(xml, validate: false);
        Assert.Equal(name, dom.Name);
        dom.Undefine();
    }

    [Fact]
    public void Define_assigns_uuid_and_xml_reads_back()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("xml");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name, memoryMiB: 256));

        var xml = dom.GetXmlDesc(DomainXmlFlags.Inactive);
        Assert.Contains($"<name>{name}</name>", xml);
        Assert.Contains($"<uuid>{dom.Uuid}</uuid>", xml);
        Assert.Contains("262144", xml); // 256 MiB in KiB
        Assert.True(dom.IsPersistent);
        Assert.False(dom.IsActive);

        dom.Undefine();
    }

    [Fact]
    public void Start_shutdown_reboot_destroy_transitions()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("life");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name));

        Assert.Equal(DomainRunState.Shutoff, dom.GetState().State);

        dom.Create();
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        Assert.Equal(DomainRunState.Running, dom.GetInfo().State);
        Assert.True(dom.IsActive);

        // The test driver reports a double start as an internal error (QEMU says OPERATION_INVALID).
        var again = Assert.Throws<LibvirtOperationFailedException>(() => dom.Create());
        Assert.Equal(LibvirtErrorCode.InternalError, again.Code);
        Assert.Contains("already running", again.Message, StringComparison.Ordinal);

        dom.Reboot();
        Assert.True(dom.IsActive);

        dom.Shutdown();
        Assert.True(TestDriver.WaitUntil(() => dom.GetState().State == DomainRunState.Shutoff, TimeSpan.FromSeconds(10)));
        Assert.False(dom.IsActive);

        // The test driver does not know VIR_DOMAIN_START_PAUSED: the flag really is passed.
        Assert.Throws<LibvirtInvalidArgumentException>(() => dom.Create(paused: true));
        Assert.False(dom.IsActive);
        dom.Create();

        dom.Destroy();
        var (state, reason) = dom.GetState();
        Assert.Equal(DomainRunState.Shutoff, state);
        Assert.Equal(2, reason); // VIR_DOMAIN_SHUTOFF_DESTROYED

        Assert.Throws<LibvirtOperationInvalidException>(() => dom.Destroy());
        dom.Undefine();
    }

    [Fact]
    public void Undefine_removes_inactive_domain_and_makes_running_one_transient()
    {
        using var conn = TestDriver.Open();
        var name1 = TestDriver.UniqueName("undef");
        using (var dom = conn.DefineDomain(TestDriver.DomainXml(name1)))
        {
            dom.Undefine();
        }

        Assert.Null(conn.LookupDomainByName(name1));

        var name2 = TestDriver.UniqueName("transient");
        using var running = conn.DefineDomain(TestDriver.DomainXml(name2));
        running.Create();
        running.Undefine();
        Assert.False(running.IsPersistent);
        Assert.True(running.IsActive);
        running.Destroy();
        Assert.Null(conn.LookupDomainByName(name2));
    }

    [Fact]
    public void Undefine_with_flag_the_driver_rejects_is_invalid_argument()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("nvram");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name));

        var ex = Assert.Throws<LibvirtInvalidArgumentException>(() => dom.Undefine(UndefineFlags.Nvram));
        Assert.Equal(LibvirtErrorCode.InvalidArg, ex.Code);
        Assert.NotNull(conn.LookupDomainByName(name));

        dom.Undefine(UndefineFlags.KeepNvram | UndefineFlags.SnapshotsMetadata);
        Assert.Null(conn.LookupDomainByName(name));
    }

    [Fact]
    public void Undefine_keeps_nvram_and_tpm_state_by_default_and_a_driver_without_them_still_undefines()
    {
        Assert.Equal(UndefineFlags.KeepNvram | UndefineFlags.KeepTpm, LibvirtDomain.Keep);
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("keep");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(name, extra: "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices>"));
        Assert.Contains("tpm-crb", dom.GetXmlDesc(DomainXmlFlags.Inactive), StringComparison.Ordinal);

        dom.Undefine(LibvirtDomain.Keep | UndefineFlags.SnapshotsMetadata);
        Assert.Null(conn.LookupDomainByName(name));
    }

    [Fact]
    public void Operations_on_undefined_domain_throw_not_found()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("gone")));
        dom.Undefine();

        var ex = Assert.Throws<LibvirtNotFoundException>(() => dom.GetXmlDesc());
        Assert.Equal(LibvirtErrorCode.NoDomain, ex.Code);
    }

    [Fact]
    public void Autostart_round_trips()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("auto")));

        Assert.False(dom.Autostart);
        dom.Autostart = true;
        Assert.True(dom.Autostart);
        using (var again = conn.LookupDomainByName(dom.Name))
        {
            Assert.True(again!.Autostart);
        }

        dom.Autostart = false;
        Assert.False(dom.Autostart);
        dom.Undefine();
    }

    [Fact]
    public void Metadata_set_get_clear_round_trip_in_custom_namespace()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("meta")));

        Assert.Null(dom.GetMetadata(MetaNs));

        dom.SetMetadata("<spec><generation>7</generation><owner>team-a</owner></spec>", "rc", MetaNs, DomainModificationImpact.Config);

        var meta = dom.GetMetadata(MetaNs, DomainModificationImpact.Config);
        Assert.NotNull(meta);
        Assert.Contains("<generation>7</generation>", meta);
        Assert.StartsWith("<spec>", meta, StringComparison.Ordinal); // libvirt returns the element without its namespace
        Assert.Null(dom.GetMetadata("https://reconciler.example/ns/other"));
        Assert.Contains($"xmlns:rc=\"{MetaNs}\"", dom.GetXmlDesc(DomainXmlFlags.Inactive));

        dom.SetMetadata("<spec><generation>8</generation></spec>", "rc", MetaNs, DomainModificationImpact.Config);
        Assert.Contains("<generation>8</generation>", dom.GetMetadata(MetaNs, DomainModificationImpact.Config));

        dom.SetMetadata(null, "rc", MetaNs, DomainModificationImpact.Config);
        Assert.Null(dom.GetMetadata(MetaNs, DomainModificationImpact.Config));
        dom.Undefine();
    }

    [Fact]
    public void Metadata_with_malformed_xml_is_invalid_xml()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("badmeta")));

        Assert.Throws<LibvirtInvalidXmlException>(() => dom.SetMetadata("<spec>", "rc", MetaNs, DomainModificationImpact.Config));
        dom.Undefine();
    }

    [Fact]
    public void Memory_and_vcpu_setters_change_the_persistent_definition()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("res"), memoryMiB: 128, vcpus: 2));

        Assert.Equal(131072ul, dom.GetMaxMemory());
        dom.SetMaxMemory(262144, DomainModificationImpact.Config);
        Assert.Equal(262144ul, dom.GetMaxMemory());
        dom.SetMemory(200000, DomainModificationImpact.Config);
        var info = dom.GetInfo();
        Assert.Equal(262144ul, info.MaxMemoryKiB);
        Assert.Equal(200000ul, info.MemoryKiB);

        dom.SetVcpus(4, DomainVcpuFlags.Config | DomainVcpuFlags.Maximum);
        Assert.Equal(4, dom.GetVcpusFlags(DomainVcpuFlags.Config | DomainVcpuFlags.Maximum));
        dom.SetVcpus(3, DomainVcpuFlags.Config);
        Assert.Equal(3, dom.GetVcpusFlags(DomainVcpuFlags.Config));
        Assert.Contains("current='3'", dom.GetXmlDesc(DomainXmlFlags.Inactive).Replace('"', '\''), StringComparison.Ordinal);

        // More vCPUs than the maximum is refused.
        Assert.ThrowsAny<LibvirtException>(() => dom.SetVcpus(8, DomainVcpuFlags.Config));
        dom.Undefine();
    }

    [Fact]
    public void Live_memory_change_on_running_domain()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("livemem"), memoryMiB: 256));
        dom.Create();

        dom.SetMemory(100000, DomainModificationImpact.Live);
        Assert.Equal(100000ul, dom.GetInfo().MemoryKiB);

        // Live change on an inactive domain is an invalid operation.
        dom.Destroy();
        Assert.Throws<LibvirtOperationInvalidException>(() => dom.SetMemory(90000, DomainModificationImpact.Live));
        dom.Undefine();
    }

    [Fact]
    public void Device_and_block_calls_unsupported_by_test_driver_report_the_libvirt_function()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;
        const string disk = "<disk type='file' device='disk'><source file='/tmp/x.img'/><target dev='vdb' bus='virtio'/></disk>";

        Assert.Contains("virDomainAttachDeviceFlags", Assert.Throws<LibvirtUnsupportedException>(() => dom.AttachDevice(disk)).Message, StringComparison.Ordinal);
        Assert.Contains("virDomainDetachDeviceFlags", Assert.Throws<LibvirtUnsupportedException>(() => dom.DetachDevice(disk)).Message, StringComparison.Ordinal);
        Assert.Contains("virDomainUpdateDeviceFlags", Assert.Throws<LibvirtUnsupportedException>(() => dom.UpdateDevice(disk)).Message, StringComparison.Ordinal);
        Assert.Contains("virDomainBlockResize", Assert.Throws<LibvirtUnsupportedException>(() => dom.BlockResize("vda", 1 << 30)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_file_domains_keep_their_metadata_and_run_state()
    {
        using var dir = new TempDir();
        var node = dir.Write("node.xml", $"""
            <node>
              <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
                <name>web-1</name>
                <memory unit='MiB'>64</memory>
                <os><type arch='x86_64'>hvm</type></os>
                <metadata><rc:spec xmlns:rc='{MetaNs}'><generation>3</generation></rc:spec></metadata>
                <test:runstate>5</test:runstate>
              </domain>
              <domain type='test'>
                <name>web-2</name>
                <memory unit='MiB'>64</memory>
                <os><type arch='x86_64'>hvm</type></os>
              </domain>
            </node>
            """);

        using var conn = LibvirtConnection.Open("test://" + node);
        var names = conn.ListAllDomains().Select(d => { using (d) { return d.Name; } }).Order().ToArray();
        Assert.Equal(["web-1", "web-2"], names);

        using var web1 = conn.LookupDomainByName("web-1")!;
        Assert.Equal(DomainRunState.Shutoff, web1.GetState().State);
        Assert.Contains("<generation>3</generation>", web1.GetMetadata(MetaNs));
        using var web2 = conn.LookupDomainByName("web-2")!;
        Assert.Equal(DomainRunState.Running, web2.GetState().State);
        Assert.Null(conn.LookupDomainByName("test"));
    }
}
