using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// A domain whose disk is a Reconciler-managed qcow2 Volume moves to another real node when the
/// Volume's pool and the Domain's node change together: one plan shows the volume moving with the
/// domain, a running domain live-migrates with copied storage into a volume created in the target
/// pool, a stopped one has its volume downloaded and uploaded; the target copy is recorded as owned
/// in the target pool's ledger, the source copy is kept (Retain) or deleted (Delete) only after the
/// move, and a failed migration leaves everything on the source and removes the target volume it
/// made. Two extra libvirtds with TLS on loopback (ports 16900–16903), objects named vcopy-*.
/// </summary>
public sealed class VolumeMoveTests(VolumeMoveTests.TwoNodes nodes) : IClassFixture<VolumeMoveTests.TwoNodes>
{
    private const string Marker = "vcopy-marker-7f3a9c";
    private const long MarkerOffset = 3 << 20;

    /// <summary>The CA, the two daemons and a 32 MiB qcow2 image with <see cref="Marker"/> at 3 MiB, made once for the class.</summary>
    public sealed class TwoNodes : IDisposable
    {
        public TwoNodes()
        {
            Dir = Path.Combine(Path.GetTempPath(), "vcopy-" + Guid.NewGuid().ToString("N")[..6]);
            Pki = Path.Combine(Dir, "pki");
            TestPki.Create(Pki);
            var raw = Path.Combine(Dir, "marker.raw");
            using (var f = File.Create(raw))
            {
                f.SetLength(32 << 20);
                f.Position = MarkerOffset;
                f.Write(Encoding.ASCII.GetBytes(Marker));
            }
            Image = Path.Combine(Dir, "marker.qcow2");
            QemuImg("convert", "-f", "raw", "-O", "qcow2", raw, Image);
            try
            {
                A = new PrivateLibvirtd("vcopy-a", 16900, tls: (16901, Pki));
                B = new PrivateLibvirtd("vcopy-b", 16902, tls: (16903, Pki));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public string Dir { get; }

        /// <summary>One spec source for the whole class: the pools stay owned by it between the tests.</summary>
        internal SpecDir Specs { get; } = new();

        public string Pki { get; }

        public string Image { get; }

        internal PrivateLibvirtd A { get; } = null!;

        internal PrivateLibvirtd B { get; } = null!;

        public string NodeSpecs => MultiNodeTests.TwoNodes.TlsNodeSpecs(Pki, 16901, 16903) + $"""
            ---
            apiVersion: reconciler/v1
            kind: StoragePool
            metadata: {"{"}name: vcopy-pa{"}"}
            spec: {"{"}node: a, type: dir, path: /var/lib/libvirt/vcopy-pa{"}"}
            ---
            apiVersion: reconciler/v1
            kind: StoragePool
            metadata: {"{"}name: vcopy-pb{"}"}
            spec: {"{"}node: b, type: dir, path: /var/lib/libvirt/vcopy-pb{"}"}

            """;

        public void Dispose()
        {
            A?.Dispose();
            B?.Dispose();
            Specs.Dispose();
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }

    private string Specs(string name, string node, string pool, string state = "running", string policy = "Retain", string extra = "") => nodes.NodeSpecs + $"""
        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {"{"}name: {name}-data{"}"}
        spec: {"{"}pool: {pool}, size: 32MiB, format: qcow2, deletionPolicy: {policy}, baseImage: {"{"}source: "{nodes.Image}"{"}"}{"}"}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec:
          node: {node}
          state: {state}
          vcpus: 1
          memory: 64MiB
          graphics: {"{"}type: none{"}"}
          disks: [{"{"}volume: {name}-data{"}"}]
          migration: {"{"}storage: copy{"}"}
        {extra}
        """;

    private static (bool Exists, bool Active, bool Persistent) State(PrivateLibvirtd node, string name)
    {
        using var c = LibvirtConnection.Open(node.AdminUri);
        using var d = c.LookupDomainByName(name);
        return d is null ? (false, false, false) : (true, d.IsActive, d.IsPersistent);
    }

    /// <summary>The volume's bytes as the guest sees them (qemu-img convert to raw), or null when it is not in the pool.</summary>
    private string? GuestView(PrivateLibvirtd node, string pool, string volume)
    {
        using var c = LibvirtConnection.Open(node.AdminUri);
        using var p = c.LookupStoragePoolByName(pool)!;
        p.Refresh();
        using var v = p.LookupVolumeByName(volume);
        if (v is null) return null;
        var image = Path.Combine(nodes.Dir, Guid.NewGuid().ToString("N") + ".img");
        var raw = image + ".raw";
        try
        {
            using (var f = File.Create(image)) v.Download(f);
            QemuImg("convert", "-f", "qcow2", "-O", "raw", image, raw);
            using var r = File.OpenRead(raw);
            r.Position = MarkerOffset;
            var buffer = new byte[Marker.Length];
            r.ReadExactly(buffer);
            return Encoding.ASCII.GetString(buffer);
        }
        finally
        {
            File.Delete(image);
            File.Delete(raw);
        }
    }

    /// <summary>The record of <paramref name="volume"/> in the pool's ledger (reconciler-ledger.json), or null.</summary>
    private static JsonElement? Record(PrivateLibvirtd node, string pool, string volume)
    {
        using var c = LibvirtConnection.Open(node.AdminUri);
        using var p = c.LookupStoragePoolByName(pool)!;
        using var v = p.LookupVolumeByName("reconciler-ledger.json");
        if (v is null) return null;
        var buffer = new MemoryStream();
        v.Download(buffer);
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.ToArray()).TrimEnd(' ', '\0', '\n'));
        return json.RootElement.GetProperty("volumes").TryGetProperty(volume, out var r) ? r.Clone() : null;
    }

    private static void DeleteVolume(PrivateLibvirtd node, string pool, string volume)
    {
        using var c = LibvirtConnection.Open(node.AdminUri);
        using var p = c.LookupStoragePoolByName(pool)!;
        using var v = p.LookupVolumeByName(volume);
        v?.Delete();
    }

    [Fact]
    public async Task A_running_domain_on_a_managed_qcow2_volume_live_migrates_with_its_volume_and_a_stopped_one_is_copied()
    {
        var specs = nodes.Specs;
        var source = specs.Path;
        string? owner = null;
        try
        {
            specs.Write("all.yaml", Specs("vcopy-vm", "a", "vcopy-pa"));
            var apply = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.Equal((true, true, true), State(nodes.A, "vcopy-vm"));
            Assert.Equal(Marker, GuestView(nodes.A, "vcopy-pa", "vcopy-vm-data"));

            // The user moves the volume to b's pool and the domain to b, in one edit.
            specs.Write("all.yaml", Specs("vcopy-vm", "b", "vcopy-pb"));
            var plan = await Cli.RunAsync("plan", source, "--output", "json", "--detailed-exitcode");
            Assert.True(plan.ExitCode == 2, plan.ToString());
            using (var json = JsonDocument.Parse(plan.Out))
            {
                owner = json.RootElement.GetProperty("source").GetString();
                Assert.Equal(0, json.RootElement.GetProperty("summary").GetProperty("errors").GetInt32());
                var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
                Assert.Equal(("migrate", "b", "live"), (change.GetProperty("action").GetString(), change.GetProperty("node").GetString(), change.GetProperty("disruption").GetString()));
                var field = Assert.Single(change.GetProperty("fields").EnumerateArray(), f => f.GetProperty("path").GetString() == "volume vcopy-vm-data");
                Assert.Equal(("vcopy-pa on a", "vcopy-pb on b", "live"),
                    (field.GetProperty("before").GetString(), field.GetProperty("after").GetString(), field.GetProperty("disruption").GetString()));
                var reason = change.GetProperty("reason").GetString()!;
                Assert.Contains("copied by the migration", reason);
                Assert.Contains("kept on the source, no longer managed (deletionPolicy Retain)", reason);
            }
            var text = await Cli.RunAsync("plan", source);
            Assert.Contains("volume vcopy-vm-data: vcopy-pa on a → vcopy-pb on b", text.Out);

            var clock = Stopwatch.StartNew();
            var move = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(move.ExitCode == 0, move.ToString());
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the move took {clock.Elapsed}");
            Assert.Contains("copying the disks", move.All());
            Assert.Equal((true, true, true), State(nodes.B, "vcopy-vm"));
            Assert.False(State(nodes.A, "vcopy-vm").Exists);
            // The data is on b, in b's pool, recorded there as ours; a keeps its copy, no longer managed.
            Assert.Equal(Marker, GuestView(nodes.B, "vcopy-pb", "vcopy-vm-data"));
            var target = Record(nodes.B, "vcopy-pb", "vcopy-vm-data")!.Value;
            Assert.Equal(("Volume", owner, true, false), (target.GetProperty("role").GetString(), target.GetProperty("source").GetString(),
                target.GetProperty("complete").GetBoolean(), target.GetProperty("released").GetBoolean()));
            Assert.Equal(Marker, GuestView(nodes.A, "vcopy-pa", "vcopy-vm-data"));
            Assert.True(Record(nodes.A, "vcopy-pa", "vcopy-vm-data")!.Value.GetProperty("released").GetBoolean());
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (var d = b.LookupDomainByName("vcopy-vm")!)
            {
                Assert.Contains("pool='vcopy-pb'", d.GetXmlDesc(DomainXmlFlags.Inactive));
                Assert.Contains("pool='vcopy-pb'", d.GetXmlDesc(DomainXmlFlags.None));
            }
            var after = await Cli.RunAsync("plan", source, "--detailed-exitcode");
            Assert.True(after.ExitCode == 0, after.ToString());

            // Back to a with deletionPolicy Delete: a still holds the kept copy, which is never overwritten.
            specs.Write("all.yaml", Specs("vcopy-vm", "a", "vcopy-pa", policy: "Delete"));
            var blocked = await Cli.RunAsync("plan", source);
            Assert.NotEqual(0, blocked.ExitCode);
            Assert.Contains("volume-move-target-exists", blocked.All());
            Assert.Contains("vol-delete vcopy-vm-data --pool vcopy-pa", blocked.All());
            DeleteVolume(nodes.A, "vcopy-pa", "vcopy-vm-data");
            var back = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(back.ExitCode == 0, back.ToString());
            Assert.Contains("deleted (deletionPolicy Delete)", back.All());
            Assert.Equal((true, true, true), State(nodes.A, "vcopy-vm"));
            Assert.Equal(Marker, GuestView(nodes.A, "vcopy-pa", "vcopy-vm-data"));
            Assert.Null(GuestView(nodes.B, "vcopy-pb", "vcopy-vm-data"));
            Assert.Null(Record(nodes.B, "vcopy-pb", "vcopy-vm-data"));
            var a = Record(nodes.A, "vcopy-pa", "vcopy-vm-data")!.Value;
            Assert.Equal((true, false, "Delete"), (a.GetProperty("complete").GetBoolean(), a.GetProperty("released").GetBoolean(), a.GetProperty("deletionPolicy").GetString()));
            var empty = await Cli.RunAsync("plan", source, "--detailed-exitcode");
            Assert.True(empty.ExitCode == 0, empty.ToString());

            // Stopped, then moved: the volume is downloaded from a and uploaded to b (no live migration).
            specs.Write("all.yaml", Specs("vcopy-vm", "a", "vcopy-pa", state: "stopped", policy: "Delete"));
            var stop = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(stop.ExitCode == 0, stop.ToString());
            specs.Write("all.yaml", Specs("vcopy-vm", "b", "vcopy-pb", state: "stopped", policy: "Delete"));
            var cold = await Cli.RunAsync("plan", source, "--output", "json");
            using (var json = JsonDocument.Parse(cold.Out))
            {
                var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
                Assert.Equal(("migrate", "none"), (change.GetProperty("action").GetString(), change.GetProperty("disruption").GetString()));
                Assert.Contains("downloaded from the source, uploaded to the target", change.GetProperty("reason").GetString());
            }
            var moved = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(moved.ExitCode == 0, moved.ToString());
            Assert.Equal((true, false, true), State(nodes.B, "vcopy-vm"));
            Assert.False(State(nodes.A, "vcopy-vm").Exists);
            Assert.Equal(Marker, GuestView(nodes.B, "vcopy-pb", "vcopy-vm-data"));
            Assert.True(Record(nodes.B, "vcopy-pb", "vcopy-vm-data")!.Value.GetProperty("complete").GetBoolean());
            Assert.Null(GuestView(nodes.A, "vcopy-pa", "vcopy-vm-data"));
            var final = await Cli.RunAsync("plan", source, "--detailed-exitcode");
            Assert.True(final.ExitCode == 0, final.ToString());
        }
        finally
        {
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", source, "--auto-approve");
        }
    }

    [Fact]
    public async Task A_failed_migration_leaves_the_domain_and_its_volume_on_the_source_and_removes_the_target_volume_it_made()
    {
        var specs = nodes.Specs;
        var source = specs.Path;
        try
        {
            specs.Write("all.yaml", Specs("vcopy-fail", "a", "vcopy-pa"));
            var apply = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());

            // Someone else's domain on b holds the UUID: b refuses the incoming guest after the target volume exists.
            string uuid;
            using (var a = LibvirtConnection.Open(nodes.A.AdminUri))
            using (var d = a.LookupDomainByName("vcopy-fail")!)
            {
                uuid = d.Uuid;
            }
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (b.DefineDomain($"<domain type='qemu'><name>vcopy-clash</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>"))
            {
            }

            specs.Write("all.yaml", Specs("vcopy-fail", "b", "vcopy-pb"));
            var move = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.NotEqual(0, move.ExitCode);
            Assert.Contains("live migration from a to b failed", move.All());
            Assert.Contains("still running on node a", move.All());
            Assert.Contains("were deleted again (vcopy-pb/vcopy-fail-data)", move.All());
            Assert.Equal((true, true, true), State(nodes.A, "vcopy-fail"));
            Assert.False(State(nodes.B, "vcopy-fail").Exists);
            Assert.Null(GuestView(nodes.B, "vcopy-pb", "vcopy-fail-data"));
            Assert.Null(Record(nodes.B, "vcopy-pb", "vcopy-fail-data"));
            Assert.Equal(Marker, GuestView(nodes.A, "vcopy-pa", "vcopy-fail-data"));
            var kept = Record(nodes.A, "vcopy-pa", "vcopy-fail-data")!.Value;
            Assert.Equal((true, false), (kept.GetProperty("complete").GetBoolean(), kept.GetProperty("released").GetBoolean()));

            // The next plan still moves it, volume and all.
            var plan = await Cli.RunAsync("plan", source, "--output", "json");
            using var json = JsonDocument.Parse(plan.Out);
            var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal("migrate", change.GetProperty("action").GetString());
            Assert.Contains(change.GetProperty("fields").EnumerateArray(), f => f.GetProperty("path").GetString() == "volume vcopy-fail-data");
        }
        finally
        {
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (var clash = b.LookupDomainByName("vcopy-clash"))
            {
                clash?.Undefine();
            }
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", source, "--auto-approve");
        }
    }

    [Fact]
    public async Task A_running_domain_with_cloud_init_moves_with_its_volume_gets_a_seed_on_the_target_and_its_old_seed_is_deleted()
    {
        var specs = nodes.Specs;
        var source = specs.Path;
        const string cloudInit = "  cloudInit: {userData: \"#cloud-config\\nhostname: vcopy-ci\\n\"}\n";
        try
        {
            specs.Write("all.yaml", Specs("vcopy-ci", "a", "vcopy-pa", extra: cloudInit));
            var apply = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.NotNull(Record(nodes.A, "vcopy-pa", "vcopy-ci-cidata.iso"));

            specs.Write("all.yaml", Specs("vcopy-ci", "b", "vcopy-pb", extra: cloudInit));
            var plan = await Cli.RunAsync("plan", source, "--output", "json");
            using (var json = JsonDocument.Parse(plan.Out))
            {
                Assert.Equal(0, json.RootElement.GetProperty("summary").GetProperty("errors").GetInt32());
                var changes = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
                Assert.Equal(2, changes.Count); // the seed made on b, then the move
                Assert.Contains(changes, c => c.GetProperty("name").GetString() == "vcopy-ci-cidata.iso" && c.GetProperty("action").GetString() == "create");
                var move = Assert.Single(changes, c => c.GetProperty("action").GetString() == "migrate");
                Assert.Contains("cloud-init seed on the source (pool vcopy-pa) is deleted after the move", move.GetProperty("reason").GetString());
            }
            var moved = await Cli.RunAsync("apply", source, "--auto-approve");
            Assert.True(moved.ExitCode == 0, moved.ToString());
            Assert.Equal((true, true, true), State(nodes.B, "vcopy-ci"));
            Assert.False(State(nodes.A, "vcopy-ci").Exists);
            Assert.Equal(Marker, GuestView(nodes.B, "vcopy-pb", "vcopy-ci-data"));
            Assert.NotNull(Record(nodes.B, "vcopy-pb", "vcopy-ci-cidata.iso"));
            Assert.Null(Record(nodes.A, "vcopy-pa", "vcopy-ci-cidata.iso"));
            using (var b = LibvirtConnection.Open(nodes.B.AdminUri))
            using (var d = b.LookupDomainByName("vcopy-ci")!)
            {
                Assert.Contains("<source pool='vcopy-pb' volume='vcopy-ci-cidata.iso'", d.GetXmlDesc(DomainXmlFlags.Inactive));
                Assert.Contains("<source pool='vcopy-pb' volume='vcopy-ci-cidata.iso'", d.GetXmlDesc(DomainXmlFlags.None));
            }
            var after = await Cli.RunAsync("plan", source, "--detailed-exitcode");
            Assert.True(after.ExitCode == 0, after.ToString());
        }
        finally
        {
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", source, "--auto-approve");
        }
    }

    private static void QemuImg(params string[] args)
    {
        var psi = new ProcessStartInfo("qemu-img", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"qemu-img {string.Join(' ', args)} failed: {err.Result}");
    }
}
