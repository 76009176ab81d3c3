using Reconciler.Cli;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// The real libvirtd these tests run against (qemu:///system unless RECONCILER_E2E_URI says
/// otherwise). test.sh and .ci/run install and start it; a test fails, it does not skip, when it
/// is not there, so a broken setup cannot pass as green.
/// </summary>
internal static class RealLibvirt
{
    public static string Uri => Environment.GetEnvironmentVariable("RECONCILER_E2E_URI") is { Length: > 0 } u ? u : "qemu:///system";

    public static LibvirtConnection Connect()
    {
        try
        {
            return LibvirtConnection.Open(Uri);
        }
        catch (LibvirtException e)
        {
            throw new InvalidOperationException($"no libvirtd answers on {Uri} ({e.Message}); run ./test.sh, which starts it", e);
        }
    }

    /// <summary>Destroys and undefines every domain whose name starts with <paramref name="prefix"/>.</summary>
    public static void Cleanup(string prefix)
    {
        using var conn = Connect();
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (!d.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                try { d.Undefine(UndefineFlags.Nvram); } catch (LibvirtException) { }
            }
        }
    }

    /// <summary>Deletes every volume of, stops and undefines each storage pool whose name starts with <paramref name="prefix"/> (its directory stays).</summary>
    public static void CleanupPools(string prefix)
    {
        using var conn = Connect();
        foreach (var pool in conn.ListAllStoragePools())
        {
            using (pool)
            {
                if (!pool.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try
                {
                    if (!pool.IsActive) pool.Create();
                    foreach (var v in pool.ListAllVolumes()) using (v) v.Delete();
                    pool.Destroy();
                }
                catch (LibvirtException) { }
                try { pool.Undefine(); } catch (LibvirtException) { }
            }
        }
    }

    /// <summary>Destroys and undefines every network whose name starts with <paramref name="prefix"/>.</summary>
    public static void CleanupNetworks(string prefix)
    {
        using var conn = Connect();
        foreach (var n in conn.ListAllNetworks())
        {
            using (n)
            {
                if (!n.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try { if (n.IsActive) n.Destroy(); } catch (LibvirtException) { }
                try { n.Undefine(); } catch (LibvirtException) { }
            }
        }
    }

    /// <summary>A Node manifest for <see cref="Uri"/>; <paramref name="domainType"/> forces the type of its new domains (qemu: TCG, which boots a kernel everywhere, also where /dev/kvm is kvm_pvm).</summary>
    public static string NodeSpec(string name = "local", string? domainType = null) => $"""
        apiVersion: reconciler/v1
        kind: Node
        metadata: {"{"}name: {name}{"}"}
        spec: {"{"}uri: "{Uri}"{(domainType is null ? "" : ", domainType: " + domainType)}{"}"}
        """;
}

/// <summary>Runs `reconcile` in-process and captures what it prints.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public string All() => Out + Err;

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    /// <summary>Writes <paramref name="yaml"/> as the only file of <paramref name="dir"/> and applies it without asking.</summary>
    public static async Task<Result> ApplyAsync(SpecDir dir, string yaml)
    {
        dir.Write("all.yaml", yaml);
        return await RunAsync("apply", dir.Path, "-y");
    }

    /// <summary>Fails unless a plan of <paramref name="dir"/> finds nothing to change (exit 0 with --detailed-exitcode).</summary>
    public static async Task AssertNoChangesAsync(SpecDir dir)
    {
        var plan = await RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, "a second plan must be empty:\n" + plan);
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, new StringReader(""), CancellationToken.None);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A temporary spec directory, deleted afterwards.</summary>
internal sealed class SpecDir : IDisposable
{
    public SpecDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reconcile-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public SpecDir Write(string file, string yaml)
    {
        File.WriteAllText(System.IO.Path.Combine(Path, file), yaml);
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Runs an external program and captures its output.</summary>
internal static class Programs
{
    public static (int Code, string Out, string Err) Run(string program, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
