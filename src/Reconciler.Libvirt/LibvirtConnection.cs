namespace Reconciler.Libvirt;

/// <summary>
/// A connection to a libvirt hypervisor (<c>virConnectPtr</c>). libvirt connections are
/// thread-safe: one instance may be used from several threads. Objects obtained from it
/// (domains, networks, pools...) hold their own libvirt references and must be disposed too.
/// </summary>
public sealed unsafe partial class LibvirtConnection : IDisposable
{
    private LibvirtConnection(ConnectHandle handle, bool eventsEnabled)
    {
        Handle = handle;
        EventsEnabled = eventsEnabled;
    }

    /// <summary>True when the connection was opened after starting <see cref="LibvirtEventLoop"/>.</summary>
    public bool EventsEnabled { get; }

    internal ConnectHandle Handle { get; }

    /// <summary>The canonical URI of the hypervisor (<c>virConnectGetURI</c>).</summary>
    public string Uri => Interop.TakeStringOrThrow(NativeMethods.virConnectGetURI(Handle), "virConnectGetURI");

    /// <summary>The hypervisor host's name (<c>virConnectGetHostname</c>).</summary>
    public string Hostname => Interop.TakeStringOrThrow(NativeMethods.virConnectGetHostname(Handle), "virConnectGetHostname");

    /// <summary>The libvirt version used by the hypervisor side of the connection (<c>virConnectGetLibVersion</c>).</summary>
    public Version LibVersion
    {
        get
        {
            Interop.Check(NativeMethods.virConnectGetLibVersion(Handle, out var v), "virConnectGetLibVersion");
            var n = (ulong)v.Value;
            return new Version((int)(n / 1_000_000), (int)(n / 1000 % 1000), (int)(n % 1000));
        }
    }

    /// <summary>True while the connection is usable (<c>virConnectIsAlive</c>); false once disposed.</summary>
    public bool IsAlive => !Handle.IsClosed && Interop.Check(NativeMethods.virConnectIsAlive(Handle), "virConnectIsAlive") == 1;

    /// <summary>Opens a connection (<c>virConnectOpenAuth</c> without an authentication callback).</summary>
    /// <param name="uri">A libvirt URI, e.g. <c>qemu:///system</c> or <c>test:///default</c>.</param>
    /// <param name="readOnly">Open read-only.</param>
    /// <param name="enableEvents">Start <see cref="LibvirtEventLoop"/> first, so the connection can deliver events.</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="LibvirtConnectionException">Any failure to open; libvirt's own error number is kept in <see cref="LibvirtException.Code"/>.</exception>
    public static LibvirtConnection Open(string uri, bool readOnly = false, bool enableEvents = false) =>
        Open(uri, new LibvirtConnectOptions { ReadOnly = readOnly, EnableEvents = enableEvents });

    /// <summary>Opens a connection (<c>virConnectOpenAuth</c>).</summary>
    /// <param name="uri">A libvirt URI.</param>
    /// <param name="options">Read-only, events, credentials.</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="LibvirtConnectionException">Any failure to open; libvirt's own error number is kept in <see cref="LibvirtException.Code"/>.</exception>
    public static LibvirtConnection Open(string uri, LibvirtConnectOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(options);
        NativeMethods.EnsureInitialized();
        if (options.EnableEvents)
        {
            LibvirtEventLoop.EnsureStarted();
        }

        var flags = options.ReadOnly ? NativeMethods.VIR_CONNECT_RO : 0u;
        ConnectHandle handle;
        if (options.Credentials is null)
        {
            handle = NativeMethods.virConnectOpenAuth(uri, null, flags);
        }
        else
        {
            handle = OpenWithCredentials(uri, flags, options.Credentials);
        }

        if (handle.IsInvalid)
        {
            var ex = Interop.LastException("virConnectOpenAuth", duringConnect: true);
            handle.Dispose();
            throw ex;
        }

        return new LibvirtConnection(handle, options.EnableEvents);
    }

    /// <summary>The host capabilities XML (<c>virConnectGetCapabilities</c>).</summary>
    /// <returns>The capabilities document.</returns>
    public string GetCapabilities() =>
        Interop.TakeStringOrThrow(NativeMethods.virConnectGetCapabilities(Handle), "virConnectGetCapabilities");

    /// <summary>What a given emulator/arch/machine/virt type supports (<c>virConnectGetDomainCapabilities</c>).</summary>
    /// <param name="emulator">Emulator binary path, or null for the default.</param>
    /// <param name="arch">Architecture (e.g. <c>x86_64</c>), or null.</param>
    /// <param name="machine">Machine type (e.g. <c>q35</c>), or null.</param>
    /// <param name="virtType">Virtualization type (e.g. <c>kvm</c>, <c>qemu</c>), or null.</param>
    /// <returns>The domain capabilities document.</returns>
    public string GetDomainCapabilities(string? emulator, string? arch, string? machine, string? virtType) =>
        Interop.TakeStringOrThrow(
            NativeMethods.virConnectGetDomainCapabilities(Handle, emulator, arch, machine, virtType, 0),
            "virConnectGetDomainCapabilities");

    /// <summary>Memory, CPU and NUMA information about the host (<c>virNodeGetInfo</c>).</summary>
    /// <returns>The node information.</returns>
    public NodeInfo GetNodeInfo()
    {
        Interop.Check(NativeMethods.virNodeGetInfo(Handle, out var info), "virNodeGetInfo");
        var model = new ReadOnlySpan<byte>(info.Model, 32);
        var nul = model.IndexOf((byte)0);
        return new NodeInfo(
            System.Text.Encoding.UTF8.GetString(nul < 0 ? model : model[..nul]),
            info.Memory.Value,
            info.Cpus,
            info.Mhz,
            info.Nodes,
            info.Sockets,
            info.Cores,
            info.Threads);
    }

    /// <summary>Free memory on the host, in bytes (<c>virNodeGetFreeMemory</c>).</summary>
    /// <returns>Free bytes.</returns>
    public ulong GetFreeMemory()
    {
        var free = NativeMethods.virNodeGetFreeMemory(Handle);
        if (free == 0)
        {
            // 0 is also the error value: only an error if libvirt set one.
            var err = NativeMethods.virGetLastError();
            if (err != null && err->Code != 0)
            {
                throw Interop.LastException("virNodeGetFreeMemory");
            }
        }

        return free;
    }

    /// <summary>All domains, optionally filtered (<c>virConnectListAllDomains</c>).</summary>
    /// <param name="flags">Filters; <see cref="DomainListFlags.None"/> lists every domain.</param>
    /// <returns>The domains; the caller disposes each.</returns>
    public IReadOnlyList<LibvirtDomain> ListAllDomains(DomainListFlags flags = DomainListFlags.None) =>
        Interop.ListAll(NativeMethods.virConnectListAllDomains, Handle, (uint)flags, "virConnectListAllDomains", (DomainHandle h) => new LibvirtDomain(this, h));

    /// <summary>The domain with this name (<c>virDomainLookupByName</c>), or null if there is none.</summary>
    /// <param name="name">Domain name.</param>
    /// <returns>The domain or null.</returns>
    public LibvirtDomain? LookupDomainByName(string name) =>
        Interop.Lookup(NativeMethods.virDomainLookupByName, Handle, name, "virDomainLookupByName", h => new LibvirtDomain(this, h));

    /// <summary>The domain with this UUID (<c>virDomainLookupByUUIDString</c>), or null if there is none.</summary>
    /// <param name="uuid">UUID in string form.</param>
    /// <returns>The domain or null.</returns>
    /// <exception cref="LibvirtInvalidArgumentException"><paramref name="uuid"/> is not a UUID.</exception>
    public LibvirtDomain? LookupDomainByUuid(string uuid) =>
        Interop.Lookup(NativeMethods.virDomainLookupByUUIDString, Handle, uuid, "virDomainLookupByUUIDString", h => new LibvirtDomain(this, h));

    /// <summary>Defines (or redefines) a persistent domain (<c>virDomainDefineXMLFlags</c>).</summary>
    /// <param name="xml">The domain XML.</param>
    /// <param name="validate">Validate against libvirt's RNG schema first (<c>VIR_DOMAIN_DEFINE_VALIDATE</c>).</param>
    /// <returns>The defined domain.</returns>
    /// <exception cref="LibvirtInvalidXmlException">The XML is malformed, schema-invalid or unsupported.</exception>
    public LibvirtDomain DefineDomain(string xml, bool validate = true) =>
        Interop.Define(NativeMethods.virDomainDefineXMLFlags, Handle, xml, validate ? NativeMethods.VIR_DOMAIN_DEFINE_VALIDATE : 0u, "virDomainDefineXMLFlags", h => new LibvirtDomain(this, h));

    /// <summary>Drops this connection's reference (<c>virConnectClose</c>).</summary>
    public void Dispose() => Handle.Dispose();

    private static ConnectHandle OpenWithCredentials(string uri, uint flags, Func<LibvirtCredentialRequest, string?> credentials)
    {
        var types = stackalloc int[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        var state = GCHandle.Alloc(credentials);
        try
        {
            var auth = new VirConnectAuth
            {
                CredType = types,
                NCredType = 9,
                Cb = &AuthCallback,
                CbData = GCHandle.ToIntPtr(state),
            };
            return NativeMethods.virConnectOpenAuth(uri, &auth, flags);
        }
        finally
        {
            state.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int AuthCallback(VirConnectCredential* creds, uint count, nint cbdata)
    {
        try
        {
            var answer = (Func<LibvirtCredentialRequest, string?>)GCHandle.FromIntPtr(cbdata).Target!;
            for (var i = 0; i < count; i++)
            {
                var c = &creds[i];
                var request = new LibvirtCredentialRequest(
                    (LibvirtCredentialType)c->Type,
                    Interop.PeekString(c->Prompt) ?? string.Empty,
                    Interop.PeekString(c->Challenge),
                    Interop.PeekString(c->DefResult));
                var value = answer(request);
                if (value is null)
                {
                    return -1;
                }

                // libvirt frees the result with free(): allocate it with malloc.
                var bytes = System.Text.Encoding.UTF8.GetBytes(value);
                var mem = NativeMethods.malloc((nuint)bytes.Length + 1);
                if (mem == 0)
                {
                    return -1;
                }

                var dest = new Span<byte>((void*)mem, bytes.Length + 1);
                bytes.CopyTo(dest);
                dest[bytes.Length] = 0;
                c->Result = mem;
                c->ResultLen = (uint)bytes.Length;
            }

            return 0;
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception)
        {
            return -1;
        }
#pragma warning restore CA1031
    }
}
