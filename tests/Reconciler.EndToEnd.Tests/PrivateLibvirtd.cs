using System.Diagnostics;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// An extra real libvirtd (plus its virtlogd) beside the system one, listening on plain TCP on
/// 127.0.0.1, in a private mount namespace with its own libvirt directories: the recipe verified
/// in shared/notes/multi-node.md §2. The system daemon at qemu:///system is never touched.
/// Optionally with <c>auth_tcp = "sasl"</c> (DIGEST-MD5 from a private sasldb made with
/// saslpasswd2; libsasl2 reads its config from SASL_CONF_PATH, so nothing goes to /etc).
/// Can be stopped and started again on the same directories and port (a node going away and
/// coming back). Needs root, unshare and libvirtd; ports are the caller's (this worktree uses 16810–16829; the
/// latency benchmark, which compiles this file in, 16870–16879).
/// </summary>
internal sealed class PrivateLibvirtd : IDisposable
{
    private readonly string _dir;

    /// <param name="tls">Also listen for TLS on this port with the server certificate in this directory (cacert.pem, servercert.pem, serverkey.pem).</param>
    /// <param name="extraConf">More libvirtd.conf lines (e.g. <c>max_client_requests = 64</c>).</param>
    /// <param name="monitorLog">Log the QMP commands libvirtd sends to QEMU (debug level of qemu.qemu_monitor, whose QEMU_MONITOR_SEND_MSG lines carry them, and qemu.qemu_monitor_json) into <see cref="Log"/>.</param>
    public PrivateLibvirtd(string name, int port, (string User, string Password)? sasl = null, (int Port, string PkiDir)? tls = null, string? extraConf = null, bool monitorLog = false)
    {
        Name = name;
        Port = port;
        _dir = Path.Combine(Path.GetTempPath(), "rc-" + name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(_dir);
        var r = _dir;
        var conf = (tls is { } t ? $"""
            listen_tls = 1
            tls_port = "{t.Port}"
            ca_file = "{t.PkiDir}/cacert.pem"
            cert_file = "{t.PkiDir}/servercert.pem"
            key_file = "{t.PkiDir}/serverkey.pem"

            """ : "listen_tls = 0\n") + $"""
            listen_tcp = 1
            listen_addr = "127.0.0.1"
            tcp_port = "{port}"
            auth_tcp = "{(sasl is null ? "none" : "sasl")}"
            host_uuid = "{Guid.NewGuid()}"
            """ + (monitorLog ? "\nlog_filters = \"1:qemu.qemu_monitor 1:qemu.qemu_monitor_json\"\nlog_outputs = \"1:file:/var/log/libvirt/libvirtd.log\"" : "");
        foreach (var d in new[] { "etc/qemu", "etc/storage", "etc/secrets", "etc/nwfilter", "run", "lib", "cache", "log", "sasl2" })
        {
            Directory.CreateDirectory(Path.Combine(r, d));
        }
        File.WriteAllText(Path.Combine(r, "etc/libvirtd.conf"), conf + "\n" + (extraConf is null ? "" : extraConf + "\n"));
        File.WriteAllText(Path.Combine(r, "etc/qemu.conf"),
            "user = \"root\"\ngroup = \"root\"\ndynamic_ownership = 0\nremember_owner = 0\nsecurity_driver = \"none\"\ncgroup_controllers = [ ]\n");
        if (sasl is { } s)
        {
            File.WriteAllText(Path.Combine(r, "sasl2/libvirt.conf"), $"mech_list: digest-md5\nsasldb_path: {r}/sasl2/passwd.db\n");
            Sh($"printf '%s' \"$RC_SASL_PW\" | saslpasswd2 -p -a libvirt -f {r}/sasl2/passwd.db {s.User}", ("RC_SASL_PW", s.Password));
        }
        if (Directory.Exists("/var/cache/libvirt/qemu")) Sh($"cp -a /var/cache/libvirt/qemu {r}/cache/ || true");
        Start();
    }

    public string Name { get; }

    public int Port { get; }

    public string Uri => $"qemu+tcp://127.0.0.1:{Port}/system";

    /// <summary>The daemon's log file (written only with monitorLog).</summary>
    public string Log => Path.Combine(_dir, "log", "libvirtd.log");

    /// <summary>A URI that reaches the daemon over its unix socket (no authentication), for checks and cleanup.</summary>
    public string AdminUri => $"qemu+unix:///system?socket={_dir}/run/libvirt-sock";

    public void Start()
    {
        var r = _dir;
        Sh($"""
            unshare --mount --propagation private /bin/sh -ec '
              mount --bind {r}/etc   /etc/libvirt
              mount --bind {r}/run   /run/libvirt
              mount --bind {r}/lib   /var/lib/libvirt
              mount --bind {r}/cache /var/cache/libvirt
              mount --bind {r}/log   /var/log/libvirt
              virtlogd -d -p {r}/virtlogd.pid </dev/null >>{r}/start.log 2>&1
              SASL_CONF_PATH={r}/sasl2 libvirtd -d -l -f /etc/libvirt/libvirtd.conf -p {r}/libvirtd.pid </dev/null >>{r}/start.log 2>&1'
            """);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var c = LibvirtConnection.Open(AdminUri);
                return;
            }
            catch (LibvirtException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Kills libvirtd and virtlogd (SIGKILL for libvirtd: the node vanishes as in a crash) and waits until the port is closed.</summary>
    public void Kill()
    {
        Sh($"kill -9 $(cat {_dir}/libvirtd.pid 2>/dev/null) 2>/dev/null || true; kill $(cat {_dir}/virtlogd.pid 2>/dev/null) 2>/dev/null || true; rm -f {_dir}/libvirtd.pid {_dir}/virtlogd.pid {_dir}/run/libvirt-sock");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                probe.Connect("127.0.0.1", Port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return;
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>The pid of a running domain's QEMU process (from the pid file QEMU writes early in its start), or null while there is none.</summary>
    public int? QemuPid(string domain)
    {
        var file = Path.Combine(_dir, "run", "qemu", domain + ".pid");
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The status file libvirt keeps for an active domain (run/qemu/NAME.xml of this daemon's state directory).</summary>
    public string StatusFile(string domain) => Path.Combine(_dir, "run", "qemu", domain + ".xml");

    /// <summary>libvirtd's pid while it runs (from its pid file), or null.</summary>
    public int? DaemonPid
    {
        get
        {
            try
            {
                var file = Path.Combine(_dir, "libvirtd.pid");
                return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && pid > 0 ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Stops libvirtd and virtlogd the way a service manager does (SIGTERM) and waits until libvirtd has exited.</summary>
    public void Stop()
    {
        var pid = DaemonPid;
        Sh($"kill $(cat {_dir}/libvirtd.pid 2>/dev/null) 2>/dev/null || true; kill $(cat {_dir}/virtlogd.pid 2>/dev/null) 2>/dev/null || true");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (pid is { } p && Alive(p) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }
        Sh($"rm -f {_dir}/libvirtd.pid {_dir}/virtlogd.pid {_dir}/run/libvirt-sock");
    }

    /// <summary>True while the process exists and is not a zombie (nothing here need reap a daemonised libvirtd).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not 'Z' and not 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends a signal (a name kill(1) knows: STOP, CONT) to a process of this daemon's, e.g. a domain's QEMU.</summary>
    public static void Signal(int pid, string signal) => Sh($"kill -{signal} {pid}");

    /// <summary>Destroys and undefines every domain on the daemon, then stops it and removes its directories.</summary>
    public void Dispose()
    {
        try
        {
            using var c = LibvirtConnection.Open(AdminUri);
            foreach (var d in c.ListAllDomains())
            {
                using (d)
                {
                    try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                    try { d.Undefine(); } catch (LibvirtException) { }
                }
            }
        }
        catch (LibvirtException)
        {
        }
        Sh($"kill $(cat {_dir}/libvirtd.pid 2>/dev/null) 2>/dev/null || true; kill $(cat {_dir}/virtlogd.pid 2>/dev/null) 2>/dev/null || true");
        Thread.Sleep(300);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void Sh(string script, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-ec", script]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (n, v) in env) psi.Environment[n] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{script}' failed ({p.ExitCode}): {err.Result}{output.Result}");
    }
}
