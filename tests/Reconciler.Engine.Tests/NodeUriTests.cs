using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>Node specs name TLS files and SASL auth files by path; they reach libvirt as URI parameters.</summary>
public sealed class NodeUriTests
{
    [Fact]
    public void Pki_path_and_auth_file_become_uri_parameters()
    {
        Assert.Equal("qemu+tls://hv1/system?pkipath=/etc/pki/hv1&authfile=/etc/reconciler/auth.conf",
            NodeUri.Build("qemu+tls://hv1/system", "/etc/pki/hv1", "/etc/reconciler/auth.conf"));
    }

    [Fact]
    public void Existing_parameters_are_kept_and_not_duplicated()
    {
        Assert.Equal("qemu+tls://hv1/system?no_verify=1&pkipath=/p",
            NodeUri.Build("qemu+tls://hv1/system?no_verify=1", "/p", null));
        Assert.Equal("qemu+tls://hv1/system?pkipath=/mine",
            NodeUri.Build("qemu+tls://hv1/system?pkipath=/mine", "/other", null));
    }

    [Fact]
    public void Nothing_given_leaves_the_uri_alone()
    {
        Assert.Equal("qemu:///system", NodeUri.Build("qemu:///system", null, null));
    }

    [Fact]
    public void Relative_paths_are_made_absolute_and_odd_characters_escaped()
    {
        var built = NodeUri.Build("qemu+tcp://hv1/system", null, "my auth.conf");
        Assert.StartsWith("qemu+tcp://hv1/system?authfile=/", built);
        Assert.EndsWith("/my%20auth.conf", built);
    }

    [Fact]
    public void A_node_spec_gives_its_target_uri_and_keepalive()
    {
        var meta = new ResourceMeta("hv1", new Dictionary<string, string>(), new SpecOrigin(new SourceLocation("n.yaml", 1, 1), new Dictionary<string, SourceLocation>()));
        var target = NodeTarget.From(new NodeSpec(meta, "qemu+tls://127.0.0.1:16514/system") { PkiPath = "/pki", KeepAliveInterval = 2, KeepAliveCount = 3 });
        Assert.Equal(("qemu+tls://127.0.0.1:16514/system?pkipath=/pki", 2, 3), (target.Uri, target.KeepAliveInterval, target.KeepAliveCount));
        Assert.Null(NodeTarget.From(new NodeSpec(meta, "qemu:///system")).KeepAliveInterval);
    }

    [Fact]
    public void Keepalive_on_the_in_process_test_driver_opens_fine()
    {
        var file = Path.Combine(Path.GetTempPath(), $"reconciler-keepalive-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory></node>");
        try
        {
            using var session = NodeSession.Open(new NodeTarget("t", "test://" + file) { KeepAliveInterval = 1, KeepAliveCount = 2 });
            Assert.Equal("t", session.Read().Node);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
