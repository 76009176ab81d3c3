using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// A Node whose libvirtd demands SASL (auth_tcp = "sasl", DIGEST-MD5 over loopback TCP, users in
/// a sasldb made with saslpasswd2): Reconciler answers libvirt's authentication callback from the
/// environment variable the spec names. The password is in no spec, plan or error.
/// </summary>
public sealed class SaslNodeTests
{
    private const int Port = 16811;
    private const string User = "nodesuser";
    private const string Password = "nodes-Sasl-pw-8642";

    [Fact]
    public async Task Credentials_from_the_environment_open_a_sasl_node_and_a_wrong_password_is_a_clear_node_error()
    {
        using var node = new PrivateLibvirtd("nodes-sasl", Port, (User, Password));
        var passVar = "NODES_SASL_PW_" + Guid.NewGuid().ToString("N")[..6];
        using var specs = new SpecDir().Write("all.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: secure{"}"}
            spec:
              uri: "{node.Uri}"
              credentials:
                username: {User}
                passwordEnv: {passVar}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: nodes-sasl-1{"}"}
            spec: {"{"}node: secure, state: stopped, vcpus: 1, memory: 64MiB{"}"}
            """);
        try
        {
            // Without any credentials libvirt cannot authenticate: the node is unreachable, named, exit non-zero.
            var none = await Cli.RunAsync("plan", specs.Path);
            Assert.NotEqual(0, none.ExitCode);
            Assert.Contains("node 'secure'", none.All());

            Environment.SetEnvironmentVariable(passVar, Password);
            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            using (var admin = LibvirtConnection.Open(node.AdminUri))
            using (var dom = admin.LookupDomainByName("nodes-sasl-1"))
            {
                Assert.NotNull(dom);
            }
            var again = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(again.ExitCode == 0, again.ToString());

            Environment.SetEnvironmentVariable(passVar, "wrong-" + Password);
            var wrong = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(wrong.ExitCode is not 0 and not 2, wrong.ToString());
            Assert.Contains("node 'secure'", wrong.All());
            Assert.Contains("authentication failed", wrong.All());
            Assert.Contains($"user '{User}'", wrong.All());
            Assert.Contains("$" + passVar, wrong.All());
            Assert.DoesNotContain(Password, wrong.All());
            var json = await Cli.RunAsync("plan", specs.Path, "--output", "json");
            Assert.Contains("authentication failed", json.All());
            Assert.DoesNotContain(Password, json.All());
        }
        finally
        {
            Environment.SetEnvironmentVariable(passVar, null);
        }
    }
}
