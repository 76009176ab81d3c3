using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Node credentials reach libvirt through virConnectOpenAuth's callback. libvirt's test driver
/// asks for a user name and password when its node file has an &lt;auth&gt; element, so the whole
/// callback path runs here without a daemon (the SASL daemon test is in the end-to-end tests).
/// </summary>
public sealed class NodeAuthTests : IDisposable
{
    private const string Password = "s3cret-pass-4711";
    private readonly string _dir = Directory.CreateTempSubdirectory("reconciler-auth-").FullName;
    private readonly string _user = "RC_TEST_USER_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _pass = "RC_TEST_PASS_" + Guid.NewGuid().ToString("N")[..8];

    private string NodeFile()
    {
        var file = Path.Combine(_dir, "node.xml");
        File.WriteAllText(file, $"<node><auth><user password='{Password}'>admin</user></auth></node>");
        return "test://" + file;
    }

    private NodeTarget Target(NodeCredentials credentials) =>
        new("hv1", NodeFile()) { Credentials = credentials, CredentialsLocation = "nodes.yaml:6:3" };

    [Fact]
    public void Credentials_from_environment_variables_open_the_node()
    {
        Environment.SetEnvironmentVariable(_user, "admin");
        Environment.SetEnvironmentVariable(_pass, Password);
        using var session = NodeSession.Open(Target(new NodeCredentials(null, _user, null, _pass)));
        Assert.Equal("hv1", session.Read().Node);
    }

    [Fact]
    public void Password_file_with_a_trailing_newline_opens_the_node()
    {
        var file = Path.Combine(_dir, "password");
        File.WriteAllText(file, Password + "\n");
        using var connection = Target(new NodeCredentials("admin", null, file, null)).Connect(enableEvents: false);
        Assert.True(connection.IsAlive);
    }

    [Fact]
    public void Wrong_password_is_a_connection_error_that_names_the_source_and_not_the_password()
    {
        Environment.SetEnvironmentVariable(_pass, "wrong-" + Password);
        var e = Assert.Throws<LibvirtConnectionException>(() => NodeSession.Open(Target(new NodeCredentials("admin", null, null, _pass))));
        Assert.Contains("user 'admin'", e.Message);
        Assert.Contains("$" + _pass, e.Message);
        Assert.Contains("nodes.yaml:6:3", e.Message);
        Assert.DoesNotContain(Password, e.Message);
    }

    [Fact]
    public void Unset_variable_fails_before_connecting_and_names_the_field()
    {
        var e = Assert.Throws<LibvirtConnectionException>(() => NodeSession.Open(Target(new NodeCredentials("admin", null, null, _pass))));
        Assert.Contains("spec.credentials.passwordEnv (nodes.yaml:6:3)", e.Message);
        Assert.Contains(_pass + " is not set", e.Message);
    }

    [Fact]
    public void Unreadable_password_file_names_the_file()
    {
        var e = Assert.Throws<LibvirtConnectionException>(() => NodeSession.Open(Target(new NodeCredentials("admin", null, Path.Combine(_dir, "nope"), null))));
        Assert.Contains("spec.credentials.passwordFile", e.Message);
        Assert.Contains("nope", e.Message);
    }

    [Fact]
    public void Answers_follow_the_contract_per_request_type()
    {
        Environment.SetEnvironmentVariable(_pass, Password);
        var auth = NodeAuth.Read(new NodeCredentials(null, null, null, _pass), "x");
        Assert.Equal("me", auth.Answer(new LibvirtCredentialRequest(LibvirtCredentialType.AuthName, "name", null, "me")));
        Assert.Null(auth.Answer(new LibvirtCredentialRequest(LibvirtCredentialType.AuthName, "name", null, null)));
        Assert.Equal(Password, auth.Answer(new LibvirtCredentialRequest(LibvirtCredentialType.NoEchoPrompt, "Password:", null, null)));
        Assert.True(auth.PasswordAsked);
        Assert.Null(auth.Answer(new LibvirtCredentialRequest(LibvirtCredentialType.EchoPrompt, "Accept host key? ", null, "no")));
        Assert.Equal("", auth.Answer(new LibvirtCredentialRequest(LibvirtCredentialType.Realm, "realm", null, null)));
        var explained = auth.Explain(new LibvirtConnectionException(new LibvirtError(LibvirtErrorCode.AuthFailed, LibvirtErrorDomain.Remote, "authentication failed", LibvirtErrorLevel.Error)), "x");
        Assert.Contains("Accept host key?", explained.Message);
        Assert.Contains("user name", explained.Message);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_user, null);
        Environment.SetEnvironmentVariable(_pass, null);
        Directory.Delete(_dir, recursive: true);
    }
}
