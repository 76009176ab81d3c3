using System.Diagnostics;

namespace Reconciler.Libvirt.Tests;

/// <summary>
/// A private, unprivileged libvirtd (run as <c>nobody</c> in session mode, all its state in a temp
/// directory) for what the in-process test driver cannot do: volume upload/download/resize, remote
/// connections, keep-alive, close callbacks. It touches nothing outside its directory and exits on
/// its own when idle. Needs root (to switch user), <c>setpriv</c> and <c>/usr/sbin/libvirtd</c>.
/// </summary>
internal sealed class SessionDaemon : IDisposable
{
    public const string Libvirtd = "/usr/sbin/libvirtd";
    public const string Setpriv = "/usr/bin/setpriv";

    private readonly Process _process;
    private readonly TempDir _dir = new();

    public SessionDaemon()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_111_111);
        PoolDir = Directory.CreateDirectory(System.IO.Path.Combine(_dir.Path, "pool")).FullName;
        File.SetUnixFileMode(PoolDir, (UnixFileMode)0b111_111_111);
        var socket = System.IO.Path.Combine(_dir.Path, "run", "libvirt", "libvirt-sock");
        Uri = $"qemu+unix:///session?socket={socket}";

        var psi = new ProcessStartInfo(Setpriv)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", Libvirtd, "--timeout", "120" })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["HOME"] = _dir.Path;
        psi.Environment["XDG_RUNTIME_DIR"] = System.IO.Path.Combine(_dir.Path, "run");
        psi.Environment["XDG_CONFIG_HOME"] = System.IO.Path.Combine(_dir.Path, "config");
        psi.Environment["XDG_CACHE_HOME"] = System.IO.Path.Combine(_dir.Path, "cache");
        psi.Environment["XDG_DATA_HOME"] = System.IO.Path.Combine(_dir.Path, "data");
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when a connection works (the socket appears before the daemon answers).
        var ready = TestDriver.WaitUntil(
            () =>
            {
                if (_process.HasExited || !File.Exists(socket))
                {
                    return false;
                }

                try
                {
                    using var probe = LibvirtConnection.Open(Uri);
                    return probe.IsAlive;
                }
                catch (LibvirtConnectionException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60));
        if (!ready)
        {
            Dispose();
            throw new InvalidOperationException($"private libvirtd did not come up (exited: {_process.HasExited})");
        }
    }

    public string Uri { get; }

    /// <summary>A directory the daemon's user can write, for <c>dir</c> pools.</summary>
    public string PoolDir { get; }

    public int ProcessId => _process.Id;

    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "Linux only"
        : !Environment.IsPrivilegedProcess ? "needs root to run libvirtd as nobody"
        : !File.Exists(Libvirtd) ? $"{Libvirtd} not installed"
        : !File.Exists(Setpriv) ? $"{Setpriv} not installed"
        : null;

    /// <summary>Stops the daemon (SIGKILL on the process this object started).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        KillHelpers();
        _process.Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// libvirtd auto-spawns helpers (virtlogd for QEMU domains) that live in our directory: end
    /// exactly those, found by their environment pointing into it.
    /// </summary>
    private void KillHelpers()
    {
        var marker = "XDG_RUNTIME_DIR=" + System.IO.Path.Combine(_dir.Path, "run");
        foreach (var procDir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(procDir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllText(System.IO.Path.Combine(procDir, "environ"));
                if (environ.Split('\0').Contains(marker))
                {
                    using var helper = Process.GetProcessById(pid);
                    helper.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Gone already, or not ours to read.
            }
        }
    }
}

/// <summary>A fact that runs only where <see cref="SessionDaemon"/> can start.</summary>
public sealed class SessionDaemonFactAttribute : FactAttribute
{
    public SessionDaemonFactAttribute()
    {
        if (SessionDaemon.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>One private daemon shared by the tests of a collection.</summary>
public sealed class SessionDaemonFixture : IDisposable
{
    private readonly Lazy<SessionDaemon> _daemon = new(() => new SessionDaemon());

    internal SessionDaemon Daemon => _daemon.Value;

    public void Dispose()
    {
        if (_daemon.IsValueCreated)
        {
            _daemon.Value.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SessionDaemonCollection : ICollectionFixture<SessionDaemonFixture>
{
    public const string Name = "private libvirtd";
}
