namespace Reconciler.Libvirt.Tests;

public class ConnectionTests
{
    [Fact]
    public void Open_reports_uri_hostname_and_version()
    {
        using var conn = TestDriver.Open();

        Assert.Equal(TestDriver.DefaultUri, conn.Uri);
        Assert.False(string.IsNullOrWhiteSpace(conn.Hostname));
        Assert.True(conn.LibVersion >= new Version(6, 0, 0), $"libvirt {conn.LibVersion}");
        Assert.True(conn.IsAlive);
        Assert.False(conn.EventsEnabled);
    }

    [Fact]
    public void Open_and_dispose_in_a_loop_releases_handles()
    {
        for (var i = 0; i < 300; i++)
        {
            using var conn = TestDriver.Open();
            using var dom = conn.LookupDomainByName("test");
            Assert.NotNull(dom);
        }
    }

    [Fact]
    public void Disposed_connection_is_not_alive_and_refuses_calls()
    {
        var conn = TestDriver.Open();
        conn.Dispose();
        conn.Dispose(); // idempotent

        Assert.False(conn.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => conn.ListAllDomains());
    }

    [Fact]
    public void Domain_outlives_its_disposed_connection()
    {
        // libvirt objects keep a reference to their connection.
        var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;
        conn.Dispose();

        Assert.Equal("test", dom.Name);
        Assert.Contains("<name>test</name>", dom.GetXmlDesc());
    }

    [Fact]
    public void Read_only_connection_refuses_define()
    {
        using var conn = LibvirtConnection.Open(TestDriver.DefaultUri, readOnly: true);

        Assert.NotEmpty(conn.ListAllDomains());
        var ex = Assert.Throws<LibvirtAccessDeniedException>(() => conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("ro"))));
        Assert.Equal(LibvirtErrorCode.OperationDenied, ex.Code);
    }

    [Fact]
    public void Open_unknown_scheme_throws_connection_exception_with_libvirt_code()
    {
        var ex = Assert.Throws<LibvirtConnectionException>(() => LibvirtConnection.Open("bogus:///nowhere"));
        Assert.Equal(LibvirtErrorCode.NoConnect, ex.Code);
        Assert.Contains("bogus", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_missing_node_file_throws_connection_exception()
    {
        var ex = Assert.Throws<LibvirtConnectionException>(() => LibvirtConnection.Open("test:///nonexistent-dir/node.xml"));
        Assert.NotEqual(LibvirtErrorCode.Ok, ex.Code);
        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    [Fact]
    public void Capabilities_and_node_info_come_from_the_test_driver()
    {
        using var conn = TestDriver.Open();

        Assert.Contains("<capabilities>", conn.GetCapabilities());
        var node = conn.GetNodeInfo();

        // The test driver's fixed fake host.
        Assert.Equal("i686", node.Model);
        Assert.Equal(16u, node.Cpus);
        Assert.Equal(3145728ul, node.MemoryKiB);
        Assert.Equal(2u, node.NumaNodes);
        Assert.Equal(2u, node.Threads);
        Assert.True(conn.GetFreeMemory() > 0);
    }

    [Fact]
    public void Domain_capabilities_unsupported_by_test_driver_maps_to_unsupported()
    {
        using var conn = TestDriver.Open();

        var ex = Assert.Throws<LibvirtUnsupportedException>(() => conn.GetDomainCapabilities(null, "x86_64", null, "test"));
        Assert.Equal(LibvirtErrorCode.NoSupport, ex.Code);
        Assert.Contains("virConnectGetDomainCapabilities", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_connection_can_be_used_from_many_threads()
    {
        using var conn = TestDriver.Open();
        var names = Enumerable.Range(0, 8).Select(i => TestDriver.UniqueName($"mt{i}")).ToArray();

        Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, name =>
        {
            using var dom = conn.DefineDomain(TestDriver.DomainXml(name));
            for (var i = 0; i < 50; i++)
            {
                using var again = conn.LookupDomainByName(name);
                Assert.Equal(name, again!.Name);
                Assert.Contains(name, again.GetXmlDesc(DomainXmlFlags.Inactive), StringComparison.Ordinal);
                Assert.Null(conn.LookupDomainByName(name + "-missing"));
            }

            dom.Undefine();
        });

        foreach (var name in names)
        {
            Assert.Null(conn.LookupDomainByName(name));
        }
    }

    [Fact]
    public void Credentials_callback_answers_test_driver_auth()
    {
        using var dir = new TempDir();
        var node = dir.Write("node.xml", """
            <node>
              <auth>
                <user password='s3cret'>admin</user>
              </auth>
            </node>
            """);
        var uri = "test://" + node;
        var asked = new List<LibvirtCredentialType>();

        using (var conn = LibvirtConnection.Open(uri, new LibvirtConnectOptions
        {
            Credentials = req =>
            {
                asked.Add(req.Type);
                return req.Type == LibvirtCredentialType.Passphrase ? "s3cret" : "admin";
            },
        }))
        {
            Assert.True(conn.IsAlive);
        }

        Assert.Contains(LibvirtCredentialType.Passphrase, asked);

        Assert.Throws<LibvirtConnectionException>(() => LibvirtConnection.Open(uri, new LibvirtConnectOptions
        {
            Credentials = req => req.Type == LibvirtCredentialType.Passphrase ? "wrong" : "admin",
        }));
        Assert.Throws<LibvirtConnectionException>(() => LibvirtConnection.Open(uri, new LibvirtConnectOptions
        {
            Credentials = _ => null,
        }));
        Assert.Throws<LibvirtConnectionException>(() => LibvirtConnection.Open(uri));
    }
}
