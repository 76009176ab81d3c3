using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// A pool on a small filesystem (a 64 MiB tmpfs mounted in a temp directory; needs root and
/// mount/umount), on the real libvirtd: a volume that does not fit is refused with a message
/// naming the pool and both sizes, and nothing of it stays (no volume, no ledger record, the plan
/// still wants to create it); a cloud-init seed that cannot be rewritten because the pool is full
/// leaves the old seed byte for byte, and is rewritten once there is room; growing a volume beyond
/// the free space is refused the same way and the volume keeps its size and content. Everything is named
/// chaos-small-* and removed afterwards.
/// </summary>
public sealed class SmallPoolTests : IDisposable
{
    private const string P = "chaos-small-";
    private readonly SpecDir _dir = new();
    private readonly string _mount = Directory.CreateTempSubdirectory("chaos-small-").FullName;

    public SmallPoolTests()
    {
        Cleanup();
        Run("mount", "-t", "tmpfs", "-o", "size=64m", "chaos-small", _mount);
    }

    public void Dispose()
    {
        Cleanup();
        Run("umount", _mount);
        try { Directory.Delete(_mount, recursive: true); } catch (IOException) { }
        _dir.Dispose();
    }

    private static void Cleanup()
    {
        RealLibvirt.Cleanup(P);
        RealLibvirt.CleanupPools(P);
    }

    private string PoolPath => Path.Combine(_mount, "p");

    private string Spec(string volumes, string userData, string rootSize = "8MiB", string rootFormat = "qcow2") => RealLibvirt.NodeSpec() + $$"""

        ---
        apiVersion: reconciler/v1
        kind: StoragePool
        metadata: {name: {{P}}p}
        spec: {type: dir, path: {{PoolPath}}}
        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {name: {{P}}root}
        spec: {pool: {{P}}p, size: {{rootSize}}, format: {{rootFormat}}}
        {{volumes}}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{P}}ci}
        spec:
          state: stopped
          vcpus: 1
          memory: 64MiB
          graphics: {type: none}
          disks: [{volume: {{P}}root}]
          cloudInit: {userData: "#cloud-config\n{{userData}}\n"}

        """;

    private const string Big = $"""
        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {"{"}name: {P}big{"}"}
        spec: {"{"}pool: {P}p, size: 100MiB{"}"}
        """;

    private async Task<Cli.Result> Apply(string yaml)
    {
        _dir.Write("all.yaml", yaml);
        return await Cli.RunAsync("apply", _dir.Path, "-y");
    }

    private static LibvirtStoragePool Pool(LibvirtConnection conn)
    {
        var pool = conn.LookupStoragePoolByName(P + "p")!;
        pool.Refresh();
        return pool;
    }

    private static List<string> Volumes()
    {
        using var conn = RealLibvirt.Connect();
        using var pool = Pool(conn);
        return pool.ListAllVolumes().Select(v => { using (v) return v.Name; }).Order(StringComparer.Ordinal).ToList();
    }

    private static byte[] Download(string volume)
    {
        using var conn = RealLibvirt.Connect();
        using var pool = Pool(conn);
        using var v = pool.LookupVolumeByName(volume)!;
        var buffer = new MemoryStream();
        v.Download(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public async Task A_volume_that_does_not_fit_is_refused_naming_pool_and_space_and_a_full_pool_keeps_the_old_seed()
    {
        var seed = P + "ci-cidata.iso";
        var first = await Apply(Spec("", "hostname: one"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = Volumes();
        Assert.Equal(new[] { P + "ci-cidata.iso", P + "root", "reconciler-ledger.json" }, before);
        var oldSeed = Download(seed);
        var ledger = Download("reconciler-ledger.json");

        // 100 MiB on a 64 MiB filesystem: refused before anything is written.
        var big = await Apply(Spec(Big, "hostname: one"));
        Assert.NotEqual(0, big.ExitCode);
        Assert.Matches($@"pool {P}p has \d+(\.\d)? MiB free; volume {P}big needs 100 MiB; nothing was created", big.All());
        Assert.Equal(before, Volumes());
        Assert.Equal(ledger, Download("reconciler-ledger.json"));   // no record of it either
        Assert.Empty(Directory.GetFiles(PoolPath).Select(Path.GetFileName).Except(before));
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2 && plan.Out.Contains(P + "big", StringComparison.Ordinal), plan.ToString());

        // The filesystem filled up by someone else: the seed cannot be rewritten, the old one stays.
        var filler = Path.Combine(_mount, "filler");
        using (var f = new FileStream(filler, FileMode.CreateNew))
        {
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)1);
            try
            {
                while (true)
                {
                    f.Write(chunk);
                    f.Flush();
                }
            }
            catch (IOException)
            {
                // ENOSPC: full.
            }
        }
        var full = await Apply(Spec("", "hostname: two"));
        Assert.NotEqual(0, full.ExitCode);
        Assert.Matches($@"pool {P}p has \d+(\.\d)? (KiB|bytes) free; seed {seed} needs \d+(\.\d)? KiB; the old seed is kept", full.All());
        Assert.Equal(before, Volumes());
        Assert.Equal(oldSeed, Download(seed));
        Assert.Equal(ledger, Download("reconciler-ledger.json"));

        // Room again: the seed is rewritten, and only the refused volume is left to do.
        File.Delete(filler);
        var again = await Apply(Spec("", "hostname: two"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.NotEqual(oldSeed, Download(seed));
        Assert.Equal(before, Volumes());
        var empty = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(empty.ExitCode == 0, empty.ToString());
    }

    [Fact]
    public async Task Growing_a_volume_beyond_the_free_space_is_refused_and_the_volume_keeps_its_size_and_content()
    {
        // Raw, so that the bytes written are the bytes the guest sees and a resize keeps them in place.
        var first = await Apply(Spec("", "hostname: one", rootFormat: "raw"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var root = P + "root";
        var content = new byte[8 << 20];
        new Random(16).NextBytes(content);
        using (var conn = RealLibvirt.Connect())
        using (var pool = Pool(conn))
        using (var v = pool.LookupVolumeByName(root)!)
        {
            v.Upload(new MemoryStream(content), 0, (ulong)content.Length);
        }
        var before = Volumes();
        var files = Directory.GetFiles(PoolPath).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var ledger = Download("reconciler-ledger.json");

        // 8 MiB to 100 MiB on a 64 MiB filesystem (8 MiB of it used by this volume): refused before anything is written.
        var grow = await Apply(Spec("", "hostname: one", rootSize: "100MiB", rootFormat: "raw"));
        Assert.NotEqual(0, grow.ExitCode);
        Assert.Matches($@"pool {P}p has \d+(\.\d)? MiB free; growing volume {root} to 100MiB needs 92 MiB; it stays 8MiB", grow.All());
        using (var conn = RealLibvirt.Connect())
        using (var pool = Pool(conn))
        using (var v = pool.LookupVolumeByName(root)!)
        {
            Assert.Equal(8UL << 20, v.GetInfo().CapacityBytes);
        }
        Assert.Equal(content, Download(root));
        Assert.Equal(before, Volumes());
        Assert.Equal(files, Directory.GetFiles(PoolPath).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(ledger, Download("reconciler-ledger.json"));
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 2 && plan.Out.Contains(root, StringComparison.Ordinal), plan.ToString());   // still wanted

        // A growth that fits goes through, and the content stays.
        var fits = await Apply(Spec("", "hostname: one", rootSize: "16MiB", rootFormat: "raw"));
        Assert.True(fits.ExitCode == 0, fits.ToString());
        using (var conn = RealLibvirt.Connect())
        using (var pool = Pool(conn))
        using (var v = pool.LookupVolumeByName(root)!)
        {
            Assert.Equal(16UL << 20, v.GetInfo().CapacityBytes);
        }
        Assert.Equal(content, Download(root).AsSpan(0, content.Length).ToArray());
    }

    private static void Run(string program, params string[] args)
    {
        var (code, _, err) = Programs.Run(program, args);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {err}");
    }
}
