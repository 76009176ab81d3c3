// Generated from /usr/include/libvirt/virterror.h (libvirt 9.0); values must match the header.
namespace Reconciler.Libvirt;

/// <summary>The part of libvirt that raised an error (<c>virErrorDomain</c>).</summary>
public enum LibvirtErrorDomain
{
    /// <summary>No particular origin (<c>VIR_FROM_NONE</c>).</summary>
    None = 0,

    /// <summary>Error at Xen hypervisor layer (<c>VIR_FROM_XEN</c>).</summary>
    Xen = 1,

    /// <summary>Error at connection with xend daemon (<c>VIR_FROM_XEND</c>).</summary>
    Xend = 2,

    /// <summary>Error at connection with xen store (<c>VIR_FROM_XENSTORE</c>).</summary>
    Xenstore = 3,

    /// <summary>Error in the S-Expression code (<c>VIR_FROM_SEXPR</c>).</summary>
    Sexpr = 4,

    /// <summary>Error in the XML code (<c>VIR_FROM_XML</c>).</summary>
    Xml = 5,

    /// <summary>Error when operating on a domain (<c>VIR_FROM_DOM</c>).</summary>
    Dom = 6,

    /// <summary>Error in the XML-RPC code (<c>VIR_FROM_RPC</c>).</summary>
    Rpc = 7,

    /// <summary>Error in the proxy code; unused since 0.8.6 (<c>VIR_FROM_PROXY</c>).</summary>
    Proxy = 8,

    /// <summary>Error in the configuration file handling (<c>VIR_FROM_CONF</c>).</summary>
    Conf = 9,

    /// <summary>Error at the QEMU daemon (<c>VIR_FROM_QEMU</c>).</summary>
    Qemu = 10,

    /// <summary>Error when operating on a network (<c>VIR_FROM_NET</c>).</summary>
    Net = 11,

    /// <summary>Error from test driver (<c>VIR_FROM_TEST</c>).</summary>
    Test = 12,

    /// <summary>Error from remote driver (<c>VIR_FROM_REMOTE</c>).</summary>
    Remote = 13,

    /// <summary>Error from OpenVZ driver (<c>VIR_FROM_OPENVZ</c>).</summary>
    Openvz = 14,

    /// <summary>Error at Xen XM layer (<c>VIR_FROM_XENXM</c>).</summary>
    Xenxm = 15,

    /// <summary>Error in the Linux Stats code (<c>VIR_FROM_STATS_LINUX</c>).</summary>
    StatsLinux = 16,

    /// <summary>Error from Linux Container driver (<c>VIR_FROM_LXC</c>).</summary>
    Lxc = 17,

    /// <summary>Error from storage driver (<c>VIR_FROM_STORAGE</c>).</summary>
    Storage = 18,

    /// <summary>Error from network config (<c>VIR_FROM_NETWORK</c>).</summary>
    Network = 19,

    /// <summary>Error from domain config (<c>VIR_FROM_DOMAIN</c>).</summary>
    Domain = 20,

    /// <summary>Error at the UML driver; unused since 5.0.0 (<c>VIR_FROM_UML</c>).</summary>
    Uml = 21,

    /// <summary>Error from node device monitor (<c>VIR_FROM_NODEDEV</c>).</summary>
    Nodedev = 22,

    /// <summary>Error from xen inotify layer (<c>VIR_FROM_XEN_INOTIFY</c>).</summary>
    XenInotify = 23,

    /// <summary>Error from security framework (<c>VIR_FROM_SECURITY</c>).</summary>
    Security = 24,

    /// <summary>Error from VirtualBox driver (<c>VIR_FROM_VBOX</c>).</summary>
    Vbox = 25,

    /// <summary>Error when operating on an interface (<c>VIR_FROM_INTERFACE</c>).</summary>
    Interface = 26,

    /// <summary>The OpenNebula driver no longer exists. Retained for ABI/API compat only (<c>VIR_FROM_ONE</c>).</summary>
    One = 27,

    /// <summary>Error from ESX driver (<c>VIR_FROM_ESX</c>).</summary>
    Esx = 28,

    /// <summary>Error from the phyp driver, unused since 6.0.0 (<c>VIR_FROM_PHYP</c>).</summary>
    Phyp = 29,

    /// <summary>Error from secret storage (<c>VIR_FROM_SECRET</c>).</summary>
    Secret = 30,

    /// <summary>Error from CPU driver (<c>VIR_FROM_CPU</c>).</summary>
    Cpu = 31,

    /// <summary>Error from XenAPI (<c>VIR_FROM_XENAPI</c>).</summary>
    Xenapi = 32,

    /// <summary>Error from network filter driver (<c>VIR_FROM_NWFILTER</c>).</summary>
    Nwfilter = 33,

    /// <summary>Error from Synchronous hooks (<c>VIR_FROM_HOOK</c>).</summary>
    Hook = 34,

    /// <summary>Error from domain snapshot (<c>VIR_FROM_DOMAIN_SNAPSHOT</c>).</summary>
    DomainSnapshot = 35,

    /// <summary>Error from auditing subsystem (<c>VIR_FROM_AUDIT</c>).</summary>
    Audit = 36,

    /// <summary>Error from sysinfo/SMBIOS (<c>VIR_FROM_SYSINFO</c>).</summary>
    Sysinfo = 37,

    /// <summary>Error from I/O streams (<c>VIR_FROM_STREAMS</c>).</summary>
    Streams = 38,

    /// <summary>Error from VMware driver (<c>VIR_FROM_VMWARE</c>).</summary>
    Vmware = 39,

    /// <summary>Error from event loop impl (<c>VIR_FROM_EVENT</c>).</summary>
    Event = 40,

    /// <summary>Error from libxenlight driver (<c>VIR_FROM_LIBXL</c>).</summary>
    Libxl = 41,

    /// <summary>Error from lock manager (<c>VIR_FROM_LOCKING</c>).</summary>
    Locking = 42,

    /// <summary>Error from Hyper-V driver (<c>VIR_FROM_HYPERV</c>).</summary>
    Hyperv = 43,

    /// <summary>Error from capabilities (<c>VIR_FROM_CAPABILITIES</c>).</summary>
    Capabilities = 44,

    /// <summary>Error from URI handling (<c>VIR_FROM_URI</c>).</summary>
    Uri = 45,

    /// <summary>Error from auth handling (<c>VIR_FROM_AUTH</c>).</summary>
    Auth = 46,

    /// <summary>Error from DBus (<c>VIR_FROM_DBUS</c>).</summary>
    Dbus = 47,

    /// <summary>Error from Parallels (<c>VIR_FROM_PARALLELS</c>).</summary>
    Parallels = 48,

    /// <summary>Error from Device (<c>VIR_FROM_DEVICE</c>).</summary>
    Device = 49,

    /// <summary>Error from libssh2 connection transport (<c>VIR_FROM_SSH</c>).</summary>
    Ssh = 50,

    /// <summary>Error from lockspace (<c>VIR_FROM_LOCKSPACE</c>).</summary>
    Lockspace = 51,

    /// <summary>Error from initctl device communication (<c>VIR_FROM_INITCTL</c>).</summary>
    Initctl = 52,

    /// <summary>Error from identity code (<c>VIR_FROM_IDENTITY</c>).</summary>
    Identity = 53,

    /// <summary>Error from cgroups (<c>VIR_FROM_CGROUP</c>).</summary>
    Cgroup = 54,

    /// <summary>Error from access control manager (<c>VIR_FROM_ACCESS</c>).</summary>
    Access = 55,

    /// <summary>Error from systemd code (<c>VIR_FROM_SYSTEMD</c>).</summary>
    Systemd = 56,

    /// <summary>Error from bhyve driver (<c>VIR_FROM_BHYVE</c>).</summary>
    Bhyve = 57,

    /// <summary>Error from crypto code (<c>VIR_FROM_CRYPTO</c>).</summary>
    Crypto = 58,

    /// <summary>Error from firewall (<c>VIR_FROM_FIREWALL</c>).</summary>
    Firewall = 59,

    /// <summary>Error from polkit code (<c>VIR_FROM_POLKIT</c>).</summary>
    Polkit = 60,

    /// <summary>Error from thread utils (<c>VIR_FROM_THREAD</c>).</summary>
    Thread = 61,

    /// <summary>Error from admin backend (<c>VIR_FROM_ADMIN</c>).</summary>
    Admin = 62,

    /// <summary>Error from log manager (<c>VIR_FROM_LOGGING</c>).</summary>
    Logging = 63,

    /// <summary>Error from Xen xl config code (<c>VIR_FROM_XENXL</c>).</summary>
    Xenxl = 64,

    /// <summary>Error from perf (<c>VIR_FROM_PERF</c>).</summary>
    Perf = 65,

    /// <summary>Error from libssh connection transport (<c>VIR_FROM_LIBSSH</c>).</summary>
    Libssh = 66,

    /// <summary>Error from resource control (<c>VIR_FROM_RESCTRL</c>).</summary>
    Resctrl = 67,

    /// <summary>Error from firewalld (<c>VIR_FROM_FIREWALLD</c>).</summary>
    Firewalld = 68,

    /// <summary>Error from domain checkpoint (<c>VIR_FROM_DOMAIN_CHECKPOINT</c>).</summary>
    DomainCheckpoint = 69,

    /// <summary>Error from TPM (<c>VIR_FROM_TPM</c>).</summary>
    Tpm = 70,

    /// <summary>Error from BPF code (<c>VIR_FROM_BPF</c>).</summary>
    Bpf = 71,

    /// <summary>Error from Cloud-Hypervisor driver (<c>VIR_FROM_CH</c>).</summary>
    Ch = 72,
}
