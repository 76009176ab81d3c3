using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Reconciler.Rendering.Tests;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs libvirt's command line tools (the Libvirt binding is tested elsewhere).</summary>
public static class Tools
{
    public static ToolResult Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within 60 s");
        }
        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static ToolResult Virsh(string uri, params string[] args) => Run("virsh", ["-q", "-c", uri, .. args]);

    /// <summary>True when a libvirtd answers on qemu:///system.</summary>
    public static readonly Lazy<bool> QemuSystemAvailable = new(() =>
    {
        try
        {
            return Virsh("qemu:///system", "version").Ok;
        }
        catch (Exception)
        {
            return false;
        }
    });

    /// <summary>qemu:///system tests fail instead of passing vacuously when this is set (CI with a daemon).</summary>
    public static bool RequireLibvirtd => Environment.GetEnvironmentVariable("RECONCILER_REQUIRE_LIBVIRTD") == "1";

    /// <summary>The domain type to use on qemu:///system: kvm when the node offers it, else TCG.</summary>
    public static readonly Lazy<string> QemuSystemDomainType = new(() =>
        Virsh("qemu:///system", "domcapabilities", "--virttype", "kvm").Ok ? "kvm" : "qemu");

    public static string TempFile(string content, string suffix = ".xml")
    {
        var path = Path.Combine(Path.GetTempPath(), $"reconciler-rendering-{Guid.NewGuid():N}{suffix}");
        File.WriteAllText(path, content);
        return path;
    }

    public static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
