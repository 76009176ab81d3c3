using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// The tiny real guest of tests/guest/tiny-guest-build.sh: a Debian kernel booted directly with a
/// busybox initramfs that prints, on its serial console, <c>TINY-GUEST-USERDATA sha256=…</c> for
/// the user-data of a <c>cidata</c> seed it finds (busybox <c>findfs LABEL=cidata</c>), then
/// <c>TINY-GUEST-READY</c>. Built once into <see cref="CacheDirectory"/> plus the build script's
/// hash (the Debian packages are downloaded once into <see cref="CacheDirectory"/>, nothing is
/// installed) and reused while the build script is unchanged; checkouts with different scripts
/// (branches tested side by side) never rebuild each other's guest under a running domain.
/// </summary>
internal static class TinyGuest
{
    /// <summary>Where the kernel, initramfs and downloaded .debs are kept between runs.</summary>
    public const string CacheDirectory = "/var/tmp/reconciler-tiny-guest";

    /// <summary>Where the agent build (<c>TINY_AGENT=1</c>: qemu-ga answers on the agent channel) is kept.</summary>
    public const string AgentCacheDirectory = "/var/tmp/reconciler-tiny-guest-agent";

    private static readonly Lazy<(string Kernel, string Initrd)> Built = new(() => Build(CacheDirectory, agent: false));

    private static readonly Lazy<(string Kernel, string Initrd)> BuiltWithAgent = new(() => Build(AgentCacheDirectory, agent: true));

    public static string Kernel => Built.Value.Kernel;

    public static string Initrd => Built.Value.Initrd;

    /// <summary>
    /// The spec fields (YAML at <paramref name="indent"/>, under <c>spec:</c>) that boot the guest's
    /// kernel and initramfs directly (<c>spec.boot</c>) with the console on ttyS0, captured into
    /// <paramref name="consoleLog"/> (<c>spec.console.log</c>: written by virtlogd, root-owned,
    /// emptied at each start). <paramref name="cmdline"/> is added to the kernel command line.
    /// </summary>
    public static string SpecFields(string consoleLog, string indent, string cmdline = "") => string.Join("\n",
        $"{indent}boot:",
        $"{indent}  kernel: {Kernel}",
        $"{indent}  initrd: {Initrd}",
        $"{indent}  cmdline: \"console=ttyS0 quiet{(cmdline.Length == 0 ? "" : " " + cmdline)}\"",
        $"{indent}console: {{log: {consoleLog}}}");

    /// <summary>
    /// The patches of <see cref="XmlPatches(string, string)"/> for the agent build when
    /// <paramref name="agent"/>, with <paramref name="cmdline"/> added to the kernel command line
    /// (e.g. <c>tiny.noacpi</c>: the guest ignores the power button).
    /// </summary>
    public static string XmlPatches(string consoleLog, string indent, bool agent, string cmdline = "")
    {
        var (kernel, initrd) = agent ? BuiltWithAgent.Value : Built.Value;
        return string.Join("\n",
            $"{indent}- {{xpath: /domain/os, add: \"<kernel>{kernel}</kernel>\"}}",
            $"{indent}- {{xpath: /domain/os, add: \"<initrd>{initrd}</initrd>\"}}",
            $"{indent}- {{xpath: /domain/os, add: \"<cmdline>console=ttyS0 quiet{(cmdline.Length == 0 ? "" : " " + cmdline)}</cmdline>\"}}",
            $"{indent}- {{xpath: /domain/devices/serial, add: \"<log file='{consoleLog}' append='off'/>\"}}");
    }

    /// <summary>
    /// The <c>xml:</c> patches (a YAML list at <paramref name="indent"/>) that boot the guest's
    /// kernel and initramfs with the console on ttyS0, captured into <paramref name="consoleLog"/>
    /// (written by virtlogd, root-owned, emptied at each start).
    /// </summary>
    public static string XmlPatches(string consoleLog, string indent) => string.Join("\n",
        $"{indent}- {{xpath: /domain/os, add: \"<kernel>{Kernel}</kernel>\"}}",
        $"{indent}- {{xpath: /domain/os, add: \"<initrd>{Initrd}</initrd>\"}}",
        $"{indent}- {{xpath: /domain/os, add: \"<cmdline>console=ttyS0 quiet</cmdline>\"}}",
        $"{indent}- {{xpath: /domain/devices/serial, add: \"<log file='{consoleLog}' append='off'/>\"}}");

    /// <summary>
    /// Polls <paramref name="consoleLog"/> until a line holds <paramref name="marker"/> or
    /// <paramref name="timeout"/> passes; returns the log as it then is (empty when it does not exist).
    /// </summary>
    public static async Task<(bool Found, string Log)> WaitForAsync(string consoleLog, string marker, TimeSpan timeout, CancellationToken cancel = default)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            var log = Read(consoleLog);
            if (log.Contains(marker, StringComparison.Ordinal)) return (true, log);
            if (until.Elapsed > timeout) return (false, log);
            await Task.Delay(500, cancel);
        }
    }

    private static string Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    private static (string, string) Build(string baseDirectory, bool agent)
    {
        var script = Path.Combine(SourceDir(), "..", "guest", "tiny-guest-build.sh");
        Assert.True(File.Exists(script), $"the tiny guest's build script is missing: {script}");
        var scriptHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(script)));
        var cacheDirectory = baseDirectory + "-" + scriptHash[..12];
        var kernel = Path.Combine(cacheDirectory, "vmlinuz");
        var initrd = Path.Combine(cacheDirectory, "initrd.gz");
        var stamp = Path.Combine(cacheDirectory, "built-by.sha256");
        Directory.CreateDirectory(cacheDirectory);
        // One builder at a time (another test process may want the guest too).
        using var lockFile = Lock(Path.Combine(cacheDirectory, ".lock"));
        if (File.Exists(kernel) && File.Exists(initrd) && File.Exists(stamp) && File.ReadAllText(stamp).Trim() == scriptHash)
        {
            return (kernel, initrd);
        }
        SeedDebs(Path.Combine(CacheDirectory, "debs"), Path.Combine(cacheDirectory, "debs"));
        File.Delete(stamp);
        var env = agent ? "1" : "0";
        var first = Run(env, "sh", script, cacheDirectory);
        if (first.Code != 0)
        {
            // A machine whose package lists were never fetched (or were cleaned) cannot download the .debs.
            Run(env, "apt-get", "update", "-q");
            var second = Run(env, "sh", script, cacheDirectory);
            Assert.True(second.Code == 0, $"could not build the tiny guest with {script}:\n{first.Output}\n--- after apt-get update:\n{second.Output}");
        }
        Assert.True(File.Exists(kernel) && File.Exists(initrd), $"{script} made no {kernel} / {initrd}");
        File.WriteAllText(stamp, scriptHash + "\n");
        SeedDebs(Path.Combine(cacheDirectory, "debs"), Path.Combine(CacheDirectory, "debs"));
        return (kernel, initrd);
    }

    /// <summary>Copies the .debs already downloaded into <paramref name="to"/> (the build script downloads only what is missing).</summary>
    private static void SeedDebs(string from, string to)
    {
        if (!Directory.Exists(from)) return;
        Directory.CreateDirectory(to);
        foreach (var deb in Directory.GetFiles(from, "*.deb"))
        {
            var target = Path.Combine(to, Path.GetFileName(deb));
            if (File.Exists(target)) continue;
            File.Copy(deb, target + ".part", overwrite: true);
            File.Move(target + ".part", target, overwrite: true);
        }
    }

    private static FileStream Lock(string path)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                Thread.Sleep(200);
            }
        }
    }

    private static (int Code, string Output) Run(string agent, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["TINY_AGENT"] = agent;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
