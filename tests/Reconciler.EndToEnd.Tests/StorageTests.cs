using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Reconciler.Core.Model;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Pools, volumes, networks and cloud-init on a real libvirtd: ordering, grow in place, shrink
/// refused, Retain/Delete, live network updates vs recreate, seeds, base images (from a loopback
/// HTTP server), references, and the small-env example. Everything is named e2e-st-*, pools live
/// under a temp directory, networks on 198.51.100.0/24, and all of it is removed afterwards.
/// </summary>
public sealed class StorageTests : IDisposable
{
    private const string P = "e2e-st-";
    private readonly SpecDir _dir = new();
    private readonly string _pools = Directory.CreateTempSubdirectory("e2e-st-pools-").FullName;

    public StorageTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
        try { Directory.Delete(_pools, recursive: true); } catch (IOException) { }
    }

    private static void Cleanup()
    {
        RealLibvirt.Cleanup(P);
        using var conn = RealLibvirt.Connect();
        foreach (var n in conn.ListAllNetworks())
        {
            using (n)
            {
                if (!n.Name.StartsWith(P, StringComparison.Ordinal)) continue;
                try { if (n.IsActive) n.Destroy(); } catch (LibvirtException) { }
                try { n.Undefine(); } catch (LibvirtException) { }
            }
        }
        RealLibvirt.CleanupPools(P);
    }

    private string Pool(string name = "pool") => $"""
        ---
        apiVersion: reconciler/v1
        kind: StoragePool
        metadata: {"{"}name: {P}{name}{"}"}
        spec: {"{"}type: dir, path: {Path.Combine(_pools, name)}{"}"}

        """;

    private static string Volume(string name, string size, string extra = "", string pool = "pool") => $"""
        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {"{"}name: {P}{name}{"}"}
        spec: {"{"}pool: {P}{pool}, size: {size}{extra}{"}"}

        """;

    private static string Domain(string name, string disks, string state = "stopped", string extra = "") => $"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {P}{name}{"}"}
        spec:
          state: {state}
          vcpus: 1
          memory: 64MiB
          graphics: {"{"}type: none{"}"}
          disks: {disks}
        {extra}
        """;

    private void Write(params string[] parts) => _dir.Write("all.yaml", RealLibvirt.NodeSpec() + "\n" + string.Concat(parts));

    private async Task<Cli.Result> Apply(int expect = 0)
    {
        var r = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "2");
        Assert.True(r.ExitCode == expect, r.ToString());
        return r;
    }

    private async Task<Cli.Result> Plan(int expect)
    {
        var r = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(r.ExitCode == expect, r.ToString());
        return r;
    }

    private static ulong Capacity(string pool, string volume)
    {
        using var conn = RealLibvirt.Connect();
        using var p = conn.LookupStoragePoolByName(P + pool)!;
        p.Refresh();
        using var v = p.LookupVolumeByName(volume.StartsWith(P, StringComparison.Ordinal) ? volume : P + volume);
        return v?.GetInfo().CapacityBytes ?? 0;
    }

    private static bool VolumeExists(string pool, string volume) => Capacity(pool, volume) > 0;

    [Fact]
    public async Task Creates_in_order_grows_in_place_refuses_to_shrink_and_plans_empty()
    {
        Write(Pool(), Volume("data", "64MiB"), Domain("vm", $"[{{volume: {P}data}}]"));
        var plan = await Plan(2);
        var order = new[] { "+ storagepool", "+ volume", "+ domain" }.Select(s => plan.Out.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), plan.Out);
        await Apply();
        await Plan(0);
        Assert.Equal(64UL << 20, Capacity("pool", "data"));

        Write(Pool(), Volume("data", "128MiB"), Domain("vm", $"[{{volume: {P}data}}]"));
        var grow = await Plan(2);
        Assert.Contains("spec.size: 64MiB → 128MiB", grow.Out);
        await Apply();
        Assert.Equal(128UL << 20, Capacity("pool", "data"));
        await Plan(0);

        Write(Pool(), Volume("data", "32MiB"), Domain("vm", $"[{{volume: {P}data}}]"));
        var shrink = await Apply(expect: 1);
        Assert.Contains("shrink-refused", shrink.Out + shrink.Err);
        Assert.Equal(128UL << 20, Capacity("pool", "data"));

        // Drift: the pool stopped and its autostart flag flipped behind our back.
        Write(Pool(), Volume("data", "128MiB"), Domain("vm", $"[{{volume: {P}data}}]"));
        using (var conn = RealLibvirt.Connect())
        {
            using var pool = conn.LookupStoragePoolByName(P + "pool")!;
            pool.Autostart = false;
        }
        var drift = await Plan(2);
        Assert.Contains("spec.autostart: false → true", drift.Out);
        await Apply();
        await Plan(0);
    }

    [Fact]
    public async Task A_running_domain_sees_its_disk_grow_live()
    {
        Write(Pool(), Volume("live", "64MiB"), Domain("run", $"[{{volume: {P}live}}]", state: "running"));
        await Apply();
        Write(Pool(), Volume("live", "96MiB"), Domain("run", $"[{{volume: {P}live}}]", state: "running"));
        var plan = await Plan(2);
        Assert.Contains("grown live in running domain(s) e2e-st-run", plan.Out);
        var apply = await Apply();
        Assert.Contains("grown live through running domain", apply.Out);
        using var conn = RealLibvirt.Connect();
        using var domain = conn.LookupDomainByName(P + "run")!;
        Assert.True(domain.IsActive);
        Assert.Equal(96UL << 20, Capacity("pool", "live"));
        Assert.Contains("type='qcow2'", domain.GetXmlDesc()); // the qcow2 volume is attached as qcow2, never as raw
        await Plan(0);
    }

    [Fact]
    public async Task Retain_keeps_data_Delete_removes_only_what_Reconciler_made_and_never_an_attached_volume()
    {
        Write(Pool(), Volume("keep", "8MiB"), Volume("drop", "8MiB", ", deletionPolicy: Delete"), Volume("used", "8MiB", ", deletionPolicy: Delete"),
            Domain("user", $"[{{volume: {P}used}}]"));
        await Apply();
        using (var conn = RealLibvirt.Connect())
        {
            using var pool = conn.LookupStoragePoolByName(P + "pool")!;
            pool.CreateVolume($"<volume><name>{P}foreign</name><capacity unit='MiB'>1</capacity><target><format type='raw'/></target></volume>").Dispose();
        }
        // All volume specs go; the domain stays and still uses 'used'.
        Write(Pool(), Domain("user", $"[{{volume: {P}used, pool: {P}pool}}]"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("deletionPolicy Retain", plan.Out);
        Assert.Contains("- volume e2e-st-drop", plan.Out);
        Assert.Contains("volume-in-use", plan.Out);
        await Apply(expect: 1); // the attached volume is an error; the rest is applied
        Assert.True(VolumeExists("pool", "keep"));
        Assert.False(VolumeExists("pool", "drop"));
        Assert.True(VolumeExists("pool", "used"));
        Assert.True(VolumeExists("pool", "foreign"));

        // The retained volume is no longer managed: the next plan does not mention it.
        Write(Pool());
        var prune = await Apply(); // the domain goes first, then 'used' (Delete) goes
        Assert.DoesNotContain("e2e-st-keep", prune.Out);
        Assert.False(VolumeExists("pool", "used"));
        Assert.True(VolumeExists("pool", "keep"));
        Assert.True(VolumeExists("pool", "foreign"));
        await Plan(0);
    }

    [Fact]
    public async Task Dhcp_hosts_and_dns_change_live_while_a_subnet_change_recreates_and_names_who_loses_connectivity()
    {
        string Net(string host, string address = "198.51.100.1/24") => $"""
            ---
            apiVersion: reconciler/v1
            kind: Network
            metadata: {"{"}name: {P}net{"}"}
            spec:
              mode: nat
              ipv4:
                address: {address}
                dhcp:
                  start: 198.51.100.100
                  end: 198.51.100.150
                  hosts: [{"{"}mac: "52:54:00:e5:00:01", ip: {host}, name: {P}vm{"}"}]
              dnsHosts: [{"{"}ip: {host}, hostname: vm.e2e.test{"}"}]

            """;
        var vm = Domain("vm", "[]", state: "running", extra: $"  interfaces: [{{network: {P}net, mac: \"52:54:00:e5:00:01\"}}]");
        Write(Net("198.51.100.11"), vm);
        await Apply();
        await Plan(0);
        string LiveXml()
        {
            using var conn = RealLibvirt.Connect();
            using var n = conn.LookupNetworkByName(P + "net")!;
            return n.GetXmlDesc();
        }
        var bridgeBefore = LiveXml();

        Write(Net("198.51.100.12"), vm);
        var live = await Plan(2);
        Assert.Contains("changed live, the network keeps running", live.Out);
        Assert.DoesNotContain("destroyed and defined again", live.Out);
        await Apply();
        var after = LiveXml();
        Assert.Contains("ip='198.51.100.12'", after);
        Assert.Contains("vm.e2e.test", after);
        await Plan(0);

        Write(Net("198.51.100.12", "198.51.100.2/24"), vm);
        var recreate = await Plan(2);
        Assert.Contains("destroyed and defined again", recreate.Out);
        Assert.Contains("e2e-st-vm lose connectivity", recreate.Out);
        await Apply();
        Assert.Contains("address='198.51.100.2'", LiveXml());
        await Plan(0);
        Assert.NotEqual(bridgeBefore, LiveXml());
    }

    [Fact]
    public async Task Cloud_init_seed_is_uploaded_regenerated_and_the_plan_says_whether_the_guest_reruns_it()
    {
        string Vm(string userData, string? instanceId = null) => Domain("ci", $"[{{volume: {P}root}}]",
            extra: $"  cloudInit: {{userData: \"#cloud-config\\n{userData}\\n\"{(instanceId is null ? "" : $", instanceId: {instanceId}")}}}");
        Write(Pool(), Volume("root", "16MiB"), Vm("hostname: one"));
        await Apply();
        await Plan(0);
        Assert.Contains("hostname: one", SeedFile("user-data"));
        Assert.Contains("instance-id: \"e2e-st-ci\"", SeedFile("meta-data"));

        Write(Pool(), Volume("root", "16MiB"), Vm("hostname: two"));
        var same = await Plan(2);
        Assert.Contains("instance-id unchanged", same.Out);
        await Apply();
        Assert.Contains("hostname: two", SeedFile("user-data"));
        await Plan(0);

        Write(Pool(), Volume("root", "16MiB"), Vm("hostname: two", "e2e-st-ci-v2"));
        var rerun = await Plan(2);
        Assert.Contains("cloud-init in the guest runs again at its next boot", rerun.Out);
        await Apply();
        Assert.Contains("e2e-st-ci-v2", SeedFile("meta-data"));
        await Plan(0);

        // Dropping cloudInit takes the cdrom off the domain first, then deletes the seed.
        Write(Pool(), Volume("root", "16MiB"), Domain("ci", $"[{{volume: {P}root}}]"));
        await Apply();
        Assert.False(VolumeExists("pool", "ci-cidata.iso"));
        await Plan(0);
    }

    [Fact]
    public async Task A_seed_an_earlier_version_wrote_unpadded_is_rewritten_once_without_disruption()
    {
        Write(Pool(), Volume("root", "16MiB"), Domain("fmt", $"[{{volume: {P}root}}]", extra: "  cloudInit: {userData: \"#cloud-config\\nhostname: fmt\\n\"}"));
        await Apply();
        await Plan(0);
        var seed = Path.Combine(_pools, "pool", $"{P}fmt-cidata.iso");
        var padded = new FileInfo(seed).Length;
        Assert.True(padded >= 69_632, $"seed of {padded} bytes: busybox's volume probe reads 69,632");

        // Leave what an earlier version left: the image without its 150 sectors of padding, and in the
        // ledger the hash of the same files without a seed format version.
        var files = new CloudInitSpec(SeedFile("user-data", "fmt"), SeedFile("meta-data", "fmt"), null, $"{P}fmt", $"{P}pool", $"{P}fmt-cidata.iso");
        var ledgerPath = Path.Combine(_pools, "pool", StorageLedger.VolumeName);
        var ledger = File.ReadAllText(ledgerPath);
        Assert.Contains($"\"{files.ContentHash}\"", ledger);
        File.WriteAllText(ledgerPath, ledger.Replace($"\"{files.ContentHash}\"", $"\"{files.ContentHashAt(1)}\"", StringComparison.Ordinal));
        using (var f = File.OpenWrite(seed)) f.SetLength(padded - 150 * 2048);

        var plan = await Plan(2);
        Assert.Contains($"~ volume {P}fmt-cidata.iso", plan.Out);
        Assert.Contains("its files are unchanged", plan.Out);
        Assert.Contains($"spec.cloudInit: {files.ContentHashAt(1)} → {files.ContentHash}", plan.Out);
        var json = await Cli.RunAsync("plan", _dir.Path, "-o", "json");
        using (var doc = System.Text.Json.JsonDocument.Parse(json.Out))
        {
            var change = Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal($"{P}fmt-cidata.iso", change.GetProperty("name").GetString());
            Assert.Equal("update", change.GetProperty("action").GetString());
            Assert.Equal("none", change.GetProperty("disruption").GetString());
        }

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--max-disruption", "none");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(padded, new FileInfo(seed).Length);
        Assert.Equal("#cloud-config\nhostname: fmt\n", SeedFile("user-data", "fmt"));
        await Plan(0);
    }

    private string SeedFile(string name, string domain = "ci")
    {
        var iso = Path.Combine(_dir.Path, "seed.iso");
        var download = Run("virsh", "-c", RealLibvirt.Uri, "vol-download", $"{P}{domain}-cidata.iso", iso, "--pool", $"{P}pool");
        Assert.True(download.Code == 0, download.Err);
        var extract = Run("isoinfo", "-J", "-x", "/" + name, "-i", iso);
        Assert.True(extract.Code == 0, extract.Err);
        return extract.Out;
    }

    [Fact]
    public async Task Base_images_come_verified_from_a_loopback_server_and_failures_leave_nothing()
    {
        var image = Path.Combine(_dir.Path, "base.qcow2");
        Assert.Equal(0, Run("qemu-img", "create", "-q", "-f", "qcow2", image, "32M").Code);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(image)));
        using var server = new LoopbackServer(image);
        Write(Pool(),
            Volume("copy", "64MiB", $", baseImage: {{source: \"{server.Url}base.qcow2\", sha256: \"{sha}\"}}"),
            Volume("back", "48MiB", ", baseImage: {source: base.qcow2, mode: backing}"));
        var apply = await Apply();
        Assert.Contains("uploading", apply.Out);
        Assert.Equal(64UL << 20, Capacity("pool", "copy"));
        Assert.Equal(48UL << 20, Capacity("pool", "back"));
        using (var conn = RealLibvirt.Connect())
        {
            using var pool = conn.LookupStoragePoolByName(P + "pool")!;
            using var back = pool.LookupVolumeByName(P + "back")!;
            Assert.Contains($"base-{sha[..16]}.qcow2", back.GetXmlDesc());
        }
        await Plan(0);

        Write(Pool(),
            Volume("copy", "64MiB", $", baseImage: {{source: \"{server.Url}base.qcow2\", sha256: \"{sha}\"}}"),
            Volume("back", "48MiB", ", baseImage: {source: base.qcow2, mode: backing}"),
            Volume("badsum", "64MiB", $", baseImage: {{source: \"{server.Url}base.qcow2\", sha256: \"{new string('0', 64)}\"}}"),
            Volume("missing", "64MiB", $", baseImage: {{source: \"{server.Url}nope.qcow2\"}}"));
        var failed = await Apply(expect: 1);
        Assert.Contains("SHA-256 is", failed.Out);
        Assert.Contains("404", failed.Out);
        Assert.False(VolumeExists("pool", "badsum"));
        Assert.False(VolumeExists("pool", "missing"));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "reconciler-base-*"));
    }

    [Fact]
    public async Task Dangling_references_are_errors_naming_both_sides_and_existing_unowned_objects_are_external()
    {
        Write(Pool(), Domain("lost", $"[{{volume: {P}nowhere}}]", extra: $"  interfaces: [{{network: {P}nonet}}]"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Equal(1, plan.ExitCode);
        Assert.Contains("domain 'e2e-st-lost' uses volume 'e2e-st-nowhere', which is neither in the specs nor on node", plan.Out);
        Assert.Contains("network 'e2e-st-nonet'", plan.Out);
        Assert.DoesNotContain("+ domain e2e-st-lost", plan.Out);

        // An unmanaged pool and volume made by hand are fine to use, and shown as external.
        using (var conn = RealLibvirt.Connect())
        {
            Directory.CreateDirectory(Path.Combine(_pools, "hand"));
            using var pool = conn.DefineStoragePool($"<pool type='dir'><name>{P}hand</name><target><path>{Path.Combine(_pools, "hand")}</path></target></pool>");
            pool.Create();
            pool.CreateVolume($"<volume><name>{P}iso</name><capacity unit='MiB'>1</capacity><target><format type='raw'/></target></volume>").Dispose();
        }
        Write(Domain("ext", $"[{{volume: {P}iso, device: cdrom}}]"));
        var ext = await Plan(2);
        Assert.Contains("uses external volume e2e-st-hand/e2e-st-iso", ext.Out);
        await Apply();
        await Plan(0);
    }

    [Fact]
    public async Task The_small_env_example_applies_and_then_plans_empty()
    {
        var source = Path.Combine(RepoRoot, "examples", "small-env");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var text = File.ReadAllText(file)
                .Replace("small-", P + "small-", StringComparison.Ordinal)
                .Replace("/var/lib/libvirt/pools/small-env", Path.Combine(_pools, "small-env"), StringComparison.Ordinal)
                .Replace("\"qemu:///system\"", $"\"{RealLibvirt.Uri}\"", StringComparison.Ordinal);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir.Path, relative))!);
            _dir.Write(relative, text);
        }
        Directory.CreateDirectory(Path.Combine(_dir.Path, "images"));
        Assert.Equal(0, Run("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(_dir.Path, "images", "base.qcow2"), "64M").Code);
        var validate = await Cli.RunAsync("validate", _dir.Path);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        var apply = await Apply();
        Assert.Contains("Plan: 8 to create, 0 to update, 0 to destroy.", apply.Out);
        await Plan(0);
        using var conn = RealLibvirt.Connect();
        using var net = conn.LookupNetworkByName(P + "small-net")!;
        Assert.True(net.IsActive);
        using var web = conn.LookupDomainByName(P + "small-web")!;
        Assert.True(web.IsActive);
    }

    private static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Reconciler.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("repo root not found");
        }
    }

    private static (int Code, string Out, string Err) Run(string program, params string[] args) => Programs.Run(program, args);

    /// <summary>Serves one file on 127.0.0.1 (any other path is 404) until disposed.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _file;
        private readonly Task _loop;

        public LoopbackServer(string file)
        {
            _file = file;
            for (var attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(20000, 60000);
                Url = $"http://127.0.0.1:{port}/";
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add(Url);
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 20)
                {
                }
            }
            _loop = Task.Run(Serve);
        }

        public string Url { get; private set; } = "";

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using var response = context.Response;
                if (context.Request.Url?.AbsolutePath == "/" + Path.GetFileName(_file))
                {
                    var bytes = await File.ReadAllBytesAsync(_file);
                    response.ContentLength64 = bytes.Length;
                    await response.OutputStream.WriteAsync(bytes);
                }
                else
                {
                    response.StatusCode = 404;
                }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
