using System.Diagnostics;
using System.Text.Json;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// One repo across two extra real libvirt daemons (private mount namespaces, TLS on loopback with
/// a CA and certificates this fixture makes with certtool; shared/notes/multi-node.md §1–3):
/// apply places domains on both, editing a running domain's <c>node:</c> live-migrates it
/// (peer-to-peer over TLS to a, client-driven to b, whose URI names localhost, which libvirt
/// refuses as a peer-to-peer target; persistent on the target, undefined on the source), a stopped one is
/// moved by define + undefine, and the plan is empty afterwards. A migration the target refuses
/// leaves the domain running on the source, and apply and the next plan say so.
/// Ports 16830–16839 (this worktree's range).
/// </summary>
public sealed partial class MultiNodeTests(MultiNodeTests.TwoNodes nodes) : IClassFixture<MultiNodeTests.TwoNodes>
{
    /// <summary>The CA, the certificates and the two daemons, made once for the class and removed afterwards.</summary>
    public sealed class TwoNodes : IDisposable
    {
        public TwoNodes()
        {
            Pki = Path.Combine(Path.GetTempPath(), "mn-pki-" + Guid.NewGuid().ToString("N")[..6]);
            TestPki.Create(Pki);
            try
            {
                A = new PrivateLibvirtd("mn-a", 16830, tls: (16831, Pki), monitorLog: true); // the QMP log shows the migration capabilities passed
                B = new PrivateLibvirtd("mn-b", 16832, tls: (16833, Pki));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public string Pki { get; }

        internal PrivateLibvirtd A { get; } = null!;

        internal PrivateLibvirtd B { get; } = null!;

        /// <summary>The Node specs: both nodes over TLS, the client files by path.</summary>
        public string NodeSpecs => TlsNodeSpecs(Pki, 16831, 16833);

        /// <summary>Nodes a (qemu+tls://127.0.0.1:<paramref name="tlsA"/>) and b (qemu+tls://localhost:<paramref name="tlsB"/>), client files in <paramref name="pki"/>.</summary>
        internal static string TlsNodeSpecs(string pki, int tlsA, int tlsB) => $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "qemu+tls://127.0.0.1:{tlsA}/system", pkiPath: "{pki}"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "qemu+tls://localhost:{tlsB}/system", pkiPath: "{pki}"{"}"}

            """;

        public void Dispose()
        {
            A?.Dispose();
            B?.Dispose();
            try { Directory.Delete(Pki, recursive: true); } catch (IOException) { }
        }
    }

    private static string Domain(string name, string node, string state) => $"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec: {"{"}node: {node}, state: {state}, vcpus: 1, memory: 64MiB, graphics: {"{"}type: none{"}"}{"}"}

        """;

    private static (bool Exists, bool Active, bool Persistent) State(PrivateLibvirtd node, string name)
    {
        using var c = LibvirtConnection.Open(node.AdminUri);
        using var d = c.LookupDomainByName(name);
        return d is null ? (false, false, false) : (true, d.IsActive, d.IsPersistent);
    }

    [Fact]
    public async Task One_repo_over_two_tls_nodes_live_migrates_a_running_domain_when_its_node_changes_and_plans_empty_afterwards()
    {
        using var specs = new SpecDir();
        void Write(string webNode, string dbNode) =>
            specs.Write("all.yaml", nodes.NodeSpecs + Domain("mn-web", webNode, "running") + Domain("mn-db", dbNode, "stopped"));

        Write(webNode: "a", dbNode: "b");
        var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal((true, true, true), State(nodes.A, "mn-web"));
        Assert.Equal((true, false, true), State(nodes.B, "mn-db"));
        var idle = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
        Assert.True(idle.ExitCode == 0, idle.ToString());

        // mn-web: a → b while it runs; mn-db: b → a while stopped.
        Write(webNode: "b", dbNode: "a");
        var plan = await Cli.RunAsync("plan", specs.Path, "--output", "json", "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2, plan.ToString());
        using (var json = JsonDocument.Parse(plan.Out))
        {
            var changes = json.RootElement.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            Assert.Equal(2, changes.Count);
            var web = changes["mn-web"];
            Assert.Equal("migrate", web.GetProperty("action").GetString());
            Assert.Equal("b", web.GetProperty("node").GetString());
            Assert.Equal("live", web.GetProperty("disruption").GetString());
            Assert.Contains("live migration", web.GetProperty("reason").GetString());
            var db = changes["mn-db"];
            Assert.Equal("migrate", db.GetProperty("action").GetString());
            Assert.Equal("none", db.GetProperty("disruption").GetString());
        }
        var text = await Cli.RunAsync("plan", specs.Path);
        Assert.Contains("→ domain mn-web", text.Out);
        Assert.Contains("[disruption: live]", text.Out);
        Assert.Contains("spec.node: a → b", text.Out);

        var clock = Stopwatch.StartNew();
        var move = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        Assert.True(move.ExitCode == 0, move.ToString());
        // b is named localhost, which libvirt refuses as a peer-to-peer destination: this client drives it.
        Assert.Contains("driven by this client", move.All());
        Assert.Equal((true, true, true), State(nodes.B, "mn-web"));
        Assert.Equal((false, false, false), State(nodes.A, "mn-web"));
        Assert.Equal((true, false, true), State(nodes.A, "mn-db"));
        Assert.Equal((false, false, false), State(nodes.B, "mn-db"));
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the moves took {clock.Elapsed}");

        var after = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
        Assert.True(after.ExitCode == 0, after.ToString());

        // And back again, so the migration works in both directions.
        Write(webNode: "a", dbNode: "a");
        var back = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("peer-to-peer to qemu+tls://127.0.0.1:16831", back.All());
        Assert.Equal((true, true, true), State(nodes.A, "mn-web"));
        Assert.Equal((false, false, false), State(nodes.B, "mn-web"));
        var final = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
        Assert.True(final.ExitCode == 0, final.ToString());

        // Removing the specs prunes them from wherever they are now.
        specs.Write("all.yaml", nodes.NodeSpecs);
        var prune = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.False(State(nodes.A, "mn-web").Exists);
        Assert.False(State(nodes.A, "mn-db").Exists);
    }

    [Fact]
    public async Task A_migration_the_target_refuses_leaves_the_domain_running_on_the_source_and_apply_and_plan_say_so()
    {
        using var specs = new SpecDir();
        specs.Write("all.yaml", nodes.NodeSpecs + Domain("mn-stay", "a", "running"));
        try
        {
            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.Equal((true, true, true), State(nodes.A, "mn-stay"));

            // Someone else's domain on b holds mn-stay's UUID: b's daemon refuses the incoming
            // guest. Nothing in a plan can see that coming (it is not ours and has another name).
            string uuid;
            using (var a = LibvirtConnection.Open(nodes.A.AdminUri))
            using (var d = a.LookupDomainByName("mn-stay")!)
            {
                uuid = d.Uuid;
            }
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (b.DefineDomain($"<domain type='qemu'><name>mn-clash</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>"))
            {
            }

            specs.Write("all.yaml", nodes.NodeSpecs + Domain("mn-stay", "b", "running"));
            var move = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.NotEqual(0, move.ExitCode);
            Assert.Contains("live migration from a to b failed", move.All());
            Assert.Contains("still running on node a", move.All());
            Assert.Contains("mn-clash", move.All()); // b's own words: the UUID is taken
            Assert.Equal((true, true, true), State(nodes.A, "mn-stay"));
            Assert.False(State(nodes.B, "mn-stay").Exists);

            // The next plan still has it on a, to be migrated: nothing was lost or duplicated.
            var plan = await Cli.RunAsync("plan", specs.Path, "--output", "json");
            using var json = JsonDocument.Parse(plan.Out);
            var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal("migrate", change.GetProperty("action").GetString());
            Assert.Contains("from a", change.GetProperty("reason").GetString());
        }
        finally
        {
            using var b = LibvirtConnection.Open(nodes.B.AdminUri);
            using var clash = b.LookupDomainByName("mn-clash");
            clash?.Undefine();
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        }
    }

    [Fact]
    public async Task A_running_domain_with_a_local_disk_moves_only_with_storage_copy_which_copies_the_disk_to_the_target()
    {
        // Each daemon has its own /var/lib/libvirt (private mount namespace), so a disk there is
        // local to its node: shared-storage migration must be refused, a copy must work.
        const string image = "/var/lib/libvirt/images/mn-copy.qcow2";
        foreach (var node in new[] { nodes.A, nodes.B })
        {
            using var c = LibvirtConnection.Open(node.AdminUri);
            if (c.LookupStoragePoolByName("mn-local") is { } existing)
            {
                existing.Dispose();
                continue;
            }
            using var pool = c.DefineStoragePool("<pool type='dir'><name>mn-local</name><target><path>/var/lib/libvirt/images</path></target></pool>");
            pool.Build();
            pool.Create();
        }
        using (var a = LibvirtConnection.Open(nodes.A.AdminUri))
        using (var pool = a.LookupStoragePoolByName("mn-local")!)
        using (pool.CreateVolume("<volume><name>mn-copy.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>"))
        {
        }
        string Spec(string node, string? migration) => nodes.NodeSpecs + $"""
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: mn-copy{"}"}
            spec:
              node: {node}
              state: running
              vcpus: 1
              memory: 64MiB
              graphics: {"{"}type: none{"}"}
              disks: [{"{"}path: {image}{"}"}]
            {(migration is null ? "" : "  migration: " + migration)}

            """;
        using var specs = new SpecDir();
        try
        {
            specs.Write("all.yaml", Spec("a", null));
            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.Equal((true, true, true), State(nodes.A, "mn-copy"));

            // Shared storage (the default): libvirt refuses, the guest stays where it was, and the error says what to set.
            specs.Write("all.yaml", Spec("b", null));
            var refused = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("live migration from a to b failed", refused.All());
            Assert.Contains("still running on node a", refused.All());
            Assert.Contains("spec.migration.storage: copy", refused.All());
            Assert.Equal((true, true, true), State(nodes.A, "mn-copy"));
            Assert.False(State(nodes.B, "mn-copy").Exists);

            // storage: copy: the plan says the disks are copied; libvirt creates the image in b's pool and mirrors it.
            specs.Write("all.yaml", Spec("b", "{storage: copy}"));
            var plan = await Cli.RunAsync("plan", specs.Path, "--output", "json");
            using (var json = JsonDocument.Parse(plan.Out))
            {
                var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
                Assert.Equal("migrate", change.GetProperty("action").GetString());
                Assert.Equal("live", change.GetProperty("disruption").GetString());
                Assert.Contains("copying the disks", change.GetProperty("reason").GetString());
            }
            var copied = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(copied.ExitCode == 0, copied.ToString());
            Assert.Contains("copying the disks", copied.All());
            Assert.Equal((true, true, true), State(nodes.B, "mn-copy"));
            Assert.False(State(nodes.A, "mn-copy").Exists);
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (var pool = b.LookupStoragePoolByName("mn-local")!)
            {
                pool.Refresh();
                using var volume = pool.LookupVolumeByName("mn-copy.qcow2");
                Assert.NotNull(volume);
            }
            var after = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(after.ExitCode == 0, after.ToString());
        }
        finally
        {
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        }
    }
}

/// <summary>A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with certtool (gnutls-bin) as in shared/notes/multi-node.md §1.</summary>
internal static class TestPki
{
    /// <summary>Writes cacert.pem, servercert.pem, serverkey.pem, clientcert.pem and clientkey.pem into <paramref name="dir"/> (a libvirt pkipath directory).</summary>
    public static void Create(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "ca.info"), "cn = mn-test-ca\nca\ncert_signing_key\nexpiration_days = 30\n");
        File.WriteAllText(Path.Combine(dir, "server.info"),
            "organization = mn-test\ncn = 127.0.0.1\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n");
        File.WriteAllText(Path.Combine(dir, "client.info"), "organization = mn-test\ncn = mn-client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 30\n");
        Certtool(dir, "--generate-privkey", "--outfile", "cakey.pem");
        Certtool(dir, "--generate-self-signed", "--load-privkey", "cakey.pem", "--template", "ca.info", "--outfile", "cacert.pem");
        foreach (var who in new[] { "server", "client" })
        {
            Certtool(dir, "--generate-privkey", "--outfile", $"{who}key.pem");
            Certtool(dir, "--generate-certificate", "--load-privkey", $"{who}key.pem", "--load-ca-certificate", "cacert.pem",
                "--load-ca-privkey", "cakey.pem", "--template", $"{who}.info", "--outfile", $"{who}cert.pem");
        }
    }

    private static void Certtool(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("certtool", args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("certtool is not installed (apt-get install gnutls-bin; .ci/setup-libvirt.sh installs it)", e);
        }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"certtool {string.Join(' ', args)} failed: {err.Result}");
        }
    }
}
