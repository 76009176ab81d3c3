namespace Reconciler.Libvirt.Tests;

public class ErrorMappingTests
{
    public static TheoryData<LibvirtErrorCode, Type> Table => new()
    {
        { LibvirtErrorCode.NoDomain, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.NoNetwork, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.NoStoragePool, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.NoStorageVol, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.NoDomainSnapshot, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.NoDomainMetadata, typeof(LibvirtNotFoundException) },
        { LibvirtErrorCode.XmlError, typeof(LibvirtInvalidXmlException) },
        { LibvirtErrorCode.XmlDetail, typeof(LibvirtInvalidXmlException) },
        { LibvirtErrorCode.ConfigUnsupported, typeof(LibvirtInvalidXmlException) },
        { LibvirtErrorCode.XmlInvalidSchema, typeof(LibvirtInvalidXmlException) },
        { LibvirtErrorCode.OperationInvalid, typeof(LibvirtOperationInvalidException) },
        { LibvirtErrorCode.NoConnect, typeof(LibvirtConnectionException) },
        { LibvirtErrorCode.Rpc, typeof(LibvirtConnectionException) },
        { LibvirtErrorCode.AuthFailed, typeof(LibvirtConnectionException) },
        { LibvirtErrorCode.NoSupport, typeof(LibvirtUnsupportedException) },
        { LibvirtErrorCode.ArgumentUnsupported, typeof(LibvirtUnsupportedException) },
        { LibvirtErrorCode.OperationTimeout, typeof(LibvirtOperationTimeoutException) },
        { LibvirtErrorCode.OperationFailed, typeof(LibvirtOperationFailedException) },
        { LibvirtErrorCode.SystemError, typeof(LibvirtOperationFailedException) },
        { LibvirtErrorCode.InternalError, typeof(LibvirtOperationFailedException) },
        { LibvirtErrorCode.DomExist, typeof(LibvirtAlreadyExistsException) },
        { LibvirtErrorCode.OperationDenied, typeof(LibvirtAccessDeniedException) },
        { LibvirtErrorCode.InvalidArg, typeof(LibvirtInvalidArgumentException) },
        { LibvirtErrorCode.NoMemory, typeof(LibvirtException) },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Code_maps_to_exception_type(LibvirtErrorCode code, Type expected)
    {
        var error = new LibvirtError(code, LibvirtErrorDomain.Test, "boom", LibvirtErrorLevel.Error);

        var ex = LibvirtException.Create(error);

        Assert.IsType(expected, ex);
        Assert.Equal(code, ex.Code);
        Assert.Equal(LibvirtErrorDomain.Test, ex.ErrorDomain);
        Assert.Equal("boom", ex.Message);
        Assert.Same(error, ex.Error);
    }

    [Theory]
    [InlineData(LibvirtErrorCode.SystemError)]
    [InlineData(LibvirtErrorCode.XmlError)]
    [InlineData(LibvirtErrorCode.NoMemory)]
    public void Every_failure_while_connecting_is_a_connection_exception_keeping_the_code(LibvirtErrorCode code)
    {
        var ex = LibvirtException.Create(new LibvirtError(code, LibvirtErrorDomain.Remote, "x", LibvirtErrorLevel.Error), duringConnect: true);

        Assert.IsType<LibvirtConnectionException>(ex);
        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void Every_kind_has_its_own_exception_type()
    {
        var types = Enum.GetValues<LibvirtExceptionKind>()
            .Select(kind => LibvirtException.Create(new LibvirtError(
                LibvirtException.KindTable.FirstOrDefault(p => p.Value == kind, new(LibvirtErrorCode.NoMemory, kind)).Key,
                LibvirtErrorDomain.None,
                "x",
                LibvirtErrorLevel.Error)).GetType())
            .ToList();

        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.All(types, t => Assert.True(typeof(LibvirtException).IsAssignableFrom(t)));
    }

    [Fact]
    public void Error_code_values_match_the_header()
    {
        // Spot checks against /usr/include/libvirt/virterror.h.
        Assert.Equal(27, (int)LibvirtErrorCode.XmlError);
        Assert.Equal(42, (int)LibvirtErrorCode.NoDomain);
        Assert.Equal(55, (int)LibvirtErrorCode.OperationInvalid);
        Assert.Equal(80, (int)LibvirtErrorCode.NoDomainMetadata);
        Assert.Equal(92, (int)LibvirtErrorCode.XmlInvalidSchema);
        Assert.Equal(12, (int)LibvirtErrorDomain.Test);
        Assert.Equal(20, (int)LibvirtErrorDomain.Domain);
    }

    [Fact]
    public void Errors_from_real_calls_carry_code_domain_and_message()
    {
        using var conn = TestDriver.Open();

        var ex = Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineDomain("<domain"));
        Assert.NotEqual(LibvirtErrorDomain.None, ex.ErrorDomain);
        Assert.Equal(LibvirtErrorLevel.Error, ex.Level);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public async Task Errors_are_captured_on_the_failing_thread_only()
    {
        // libvirt keeps the last error per thread: concurrent failures must not mix up messages.
        using var conn = TestDriver.Open();
        var tasks = Enumerable.Range(0, 16).Select(i => Task.Run(() =>
        {
            for (var j = 0; j < 50; j++)
            {
                if (i % 2 == 0)
                {
                    var ex = Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineDomain("<domain"));
                    Assert.DoesNotContain("metadata", ex.Message, StringComparison.Ordinal);
                }
                else
                {
                    using var dom = conn.LookupDomainByName("test")!;
                    Assert.Null(dom.GetMetadata("https://nowhere.example/" + i));
                }
            }
        }));

        await Task.WhenAll(tasks);
    }
}
