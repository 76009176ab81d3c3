namespace Reconciler.Libvirt;

/// <summary>
/// A libvirt domain (<c>virDomainPtr</c>). Thread-safe as far as libvirt is; disposing drops the
/// reference (<c>virDomainFree</c>), it does not touch the VM.
/// </summary>
public sealed unsafe partial class LibvirtDomain : LibvirtPersistentObject
{
    private readonly DomainHandle _handle;

    internal LibvirtDomain(LibvirtConnection connection, DomainHandle handle)
        : base(connection, handle, PersistentCalls.Domain) => _handle = handle;

    internal DomainHandle Handle => _handle;

    /// <summary>The domain XML (<c>virDomainGetXMLDesc</c>).</summary>
    /// <param name="flags">Which definition and how much detail.</param>
    /// <returns>The XML document.</returns>
    public string GetXmlDesc(DomainXmlFlags flags = DomainXmlFlags.None) =>
        Interop.TakeStringOrThrow(NativeMethods.virDomainGetXMLDesc(_handle, (uint)flags), "virDomainGetXMLDesc");

    /// <summary>
    /// The domain XML (<c>virDomainGetXMLDesc</c>) handed to <paramref name="read"/> as the UTF-8
    /// bytes libvirt returned, without decoding them into a string; the bytes are freed when
    /// <paramref name="read"/> returns, so it must not keep the span.
    /// </summary>
    /// <typeparam name="T">What <paramref name="read"/> makes of the text.</typeparam>
    /// <param name="flags">Which definition and how much detail.</param>
    /// <param name="read">Reads the text.</param>
    /// <returns>What <paramref name="read"/> returned.</returns>
    public T ReadXmlDesc<T>(DomainXmlFlags flags, Utf8TextReader<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var text = NativeMethods.virDomainGetXMLDesc(_handle, (uint)flags);
        if (text == 0) throw Interop.LastException("virDomainGetXMLDesc");
        try
        {
            return read(MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)text));
        }
        finally
        {
            NativeMethods.free(text);
        }
    }

    /// <summary>State, memory, vCPUs and CPU time (<c>virDomainGetInfo</c>).</summary>
    /// <returns>The information.</returns>
    public DomainInfo GetInfo()
    {
        Interop.Check(NativeMethods.virDomainGetInfo(_handle, out var i), "virDomainGetInfo");
        return new DomainInfo((DomainRunState)i.State, i.MaxMem.Value, i.Memory.Value, i.NrVirtCpu, i.CpuTime);
    }

    /// <summary>The run state and the reason for it (<c>virDomainGetState</c>).</summary>
    /// <returns>The state, and the state-specific reason code (e.g. <c>virDomainShutoffReason</c>).</returns>
    public (DomainRunState State, int Reason) GetState()
    {
        Interop.Check(NativeMethods.virDomainGetState(_handle, out var state, out var reason, 0), "virDomainGetState");
        return ((DomainRunState)state, reason);
    }

    /// <summary>Starts the defined domain (<c>virDomainCreateWithFlags</c>).</summary>
    /// <param name="paused">Leave it paused (<c>VIR_DOMAIN_START_PAUSED</c>).</param>
    public void Create(bool paused = false) =>
        Interop.Check(NativeMethods.virDomainCreateWithFlags(_handle, paused ? 1u : 0u), "virDomainCreateWithFlags");

    /// <summary>Asks the guest to shut down, the hypervisor's default way, usually ACPI (<c>virDomainShutdownFlags</c>). Returns before the guest is off.</summary>
    public void Shutdown() =>
        Interop.Check(NativeMethods.virDomainShutdownFlags(_handle, 0), "virDomainShutdownFlags");

    /// <summary>Pauses the running domain's vCPUs (<c>virDomainSuspend</c>).</summary>
    public void Suspend() => Interop.Check(NativeMethods.virDomainSuspend(_handle), "virDomainSuspend");

    /// <summary>Resumes a paused domain (<c>virDomainResume</c>).</summary>
    public void Resume() => Interop.Check(NativeMethods.virDomainResume(_handle), "virDomainResume");

    /// <summary>Stops the domain immediately, like pulling the plug (<c>virDomainDestroyFlags</c>).</summary>
    public void Destroy() =>
        Interop.Check(NativeMethods.virDomainDestroyFlags(_handle, 0), "virDomainDestroyFlags");

    /// <summary>Asks the guest to reboot (<c>virDomainReboot</c>).</summary>
    public void Reboot() =>
        Interop.Check(NativeMethods.virDomainReboot(_handle, 0), "virDomainReboot");

    /// <summary>Removes the persistent definition (<c>virDomainUndefineFlags</c>). A running domain becomes transient.</summary>
    /// <param name="flags">
    /// What else to remove or keep; by default the NVRAM file and the TPM state are kept. Like
    /// <c>virsh</c>, when the driver rejects <see cref="UndefineFlags.KeepNvram"/> or
    /// <see cref="UndefineFlags.KeepTpm"/> (drivers without NVRAM or TPM state, e.g. the test
    /// driver) the call is retried without the keep flags; a driver that keeps TPM state knows
    /// <see cref="UndefineFlags.KeepTpm"/> (libvirt 8.9 and later), so state is never dropped this way.
    /// </param>
    public void Undefine(UndefineFlags flags = Keep)
    {
        if (NativeMethods.virDomainUndefineFlags(_handle, (uint)flags) == 0)
        {
            return;
        }

        var error = Interop.CaptureLastError("virDomainUndefineFlags");
        if ((flags & Keep) != 0 &&
            error.Code is LibvirtErrorCode.InvalidArg or LibvirtErrorCode.NoSupport or LibvirtErrorCode.ArgumentUnsupported)
        {
            Interop.Check(
                NativeMethods.virDomainUndefineFlags(_handle, (uint)(flags & ~Keep)),
                "virDomainUndefineFlags");
            return;
        }

        throw LibvirtException.Create(error);
    }

    /// <summary>What <see cref="Undefine"/> keeps by default: the NVRAM file and the TPM state.</summary>
    public const UndefineFlags Keep = UndefineFlags.KeepNvram | UndefineFlags.KeepTpm;

    /// <summary>Reads the custom <c>&lt;metadata&gt;</c> element in <paramref name="namespaceUri"/> (<c>virDomainGetMetadata</c>, <c>VIR_DOMAIN_METADATA_ELEMENT</c>).</summary>
    /// <param name="namespaceUri">The element's XML namespace.</param>
    /// <param name="impact">Live or persistent definition.</param>
    /// <returns>The element's XML, or null when there is no such element.</returns>
    public string? GetMetadata(string namespaceUri, DomainModificationImpact impact = DomainModificationImpact.Current)
    {
        ArgumentNullException.ThrowIfNull(namespaceUri);
        var p = NativeMethods.virDomainGetMetadata(_handle, NativeMethods.VIR_DOMAIN_METADATA_ELEMENT, namespaceUri, (uint)impact);
        if (p == 0)
        {
            var error = Interop.CaptureLastError("virDomainGetMetadata");
            if (error.Code == LibvirtErrorCode.NoDomainMetadata)
            {
                return null;
            }

            throw LibvirtException.Create(error);
        }

        return Interop.TakeString(p);
    }

    /// <summary>Sets or removes the custom <c>&lt;metadata&gt;</c> element in <paramref name="namespaceUri"/> (<c>virDomainSetMetadata</c>).</summary>
    /// <param name="xml">One XML element (its namespace is replaced by <paramref name="namespaceUri"/>), or null to remove it.</param>
    /// <param name="prefix">The namespace prefix libvirt writes.</param>
    /// <param name="namespaceUri">The element's XML namespace.</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void SetMetadata(string? xml, string prefix, string namespaceUri, DomainModificationImpact impact = DomainModificationImpact.Current)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(namespaceUri);
        Interop.Check(
            NativeMethods.virDomainSetMetadata(_handle, NativeMethods.VIR_DOMAIN_METADATA_ELEMENT, xml, prefix, namespaceUri, (uint)impact),
            "virDomainSetMetadata");
    }

    /// <summary>Sets the current memory, in KiB (<c>virDomainSetMemoryFlags</c>).</summary>
    /// <param name="kib">Memory in KiB.</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void SetMemory(ulong kib, DomainModificationImpact impact = DomainModificationImpact.Current) =>
        Interop.Check(NativeMethods.virDomainSetMemoryFlags(_handle, new CULong(checked((nuint)kib)), (uint)impact), "virDomainSetMemoryFlags");

    /// <summary>Sets the maximum memory, in KiB (<c>virDomainSetMemoryFlags</c> with <c>VIR_DOMAIN_MEM_MAXIMUM</c>).</summary>
    /// <param name="kib">Memory in KiB.</param>
    /// <param name="impact">Usually <see cref="DomainModificationImpact.Config"/>: most hypervisors cannot change it live.</param>
    public void SetMaxMemory(ulong kib, DomainModificationImpact impact = DomainModificationImpact.Config) =>
        Interop.Check(
            NativeMethods.virDomainSetMemoryFlags(_handle, new CULong(checked((nuint)kib)), (uint)impact | NativeMethods.VIR_DOMAIN_MEM_MAXIMUM),
            "virDomainSetMemoryFlags");

    /// <summary>The maximum memory, in KiB (<c>virDomainGetMaxMemory</c>).</summary>
    /// <returns>KiB.</returns>
    public ulong GetMaxMemory()
    {
        var v = NativeMethods.virDomainGetMaxMemory(_handle).Value;
        if (v == 0)
        {
            throw Interop.LastException("virDomainGetMaxMemory");
        }

        return v;
    }

    /// <summary>Sets the vCPU count (<c>virDomainSetVcpusFlags</c>); add <see cref="DomainVcpuFlags.Maximum"/> to set the maximum.</summary>
    /// <param name="count">Number of vCPUs.</param>
    /// <param name="flags">Live/config/maximum...</param>
    public void SetVcpus(uint count, DomainVcpuFlags flags = DomainVcpuFlags.Current) =>
        Interop.Check(NativeMethods.virDomainSetVcpusFlags(_handle, count, (uint)flags), "virDomainSetVcpusFlags");

    /// <summary>The vCPU count (<c>virDomainGetVcpusFlags</c>); add <see cref="DomainVcpuFlags.Maximum"/> for the maximum.</summary>
    /// <param name="flags">Live/config/maximum...</param>
    /// <returns>The count.</returns>
    public int GetVcpusFlags(DomainVcpuFlags flags = DomainVcpuFlags.Current) =>
        Interop.Check(NativeMethods.virDomainGetVcpusFlags(_handle, (uint)flags), "virDomainGetVcpusFlags");

    /// <summary>Adds a device (<c>virDomainAttachDeviceFlags</c>).</summary>
    /// <param name="xml">The device XML.</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void AttachDevice(string xml, DomainModificationImpact impact = DomainModificationImpact.Current)
    {
        ArgumentNullException.ThrowIfNull(xml);
        Interop.Check(NativeMethods.virDomainAttachDeviceFlags(_handle, xml, (uint)impact), "virDomainAttachDeviceFlags");
    }

    /// <summary>Removes a device (<c>virDomainDetachDeviceFlags</c>). Live detach may complete asynchronously.</summary>
    /// <param name="xml">The device XML (enough of it to identify the device).</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void DetachDevice(string xml, DomainModificationImpact impact = DomainModificationImpact.Current)
    {
        ArgumentNullException.ThrowIfNull(xml);
        Interop.Check(NativeMethods.virDomainDetachDeviceFlags(_handle, xml, (uint)impact), "virDomainDetachDeviceFlags");
    }

    /// <summary>Changes a device, e.g. the media of a CD-ROM or a NIC's link state (<c>virDomainUpdateDeviceFlags</c>).</summary>
    /// <param name="xml">The new device XML.</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void UpdateDevice(string xml, DomainModificationImpact impact = DomainModificationImpact.Current)
    {
        ArgumentNullException.ThrowIfNull(xml);
        Interop.Check(NativeMethods.virDomainUpdateDeviceFlags(_handle, xml, (uint)impact), "virDomainUpdateDeviceFlags");
    }

    /// <summary>Grows a disk of a running domain (<c>virDomainBlockResize</c> with <c>VIR_DOMAIN_BLOCK_RESIZE_BYTES</c>).</summary>
    /// <param name="disk">Target name (e.g. <c>vda</c>) or source path.</param>
    /// <param name="bytes">New size in bytes.</param>
    public void BlockResize(string disk, ulong bytes)
    {
        ArgumentNullException.ThrowIfNull(disk);
        Interop.Check(NativeMethods.virDomainBlockResize(_handle, disk, bytes, NativeMethods.VIR_DOMAIN_BLOCK_RESIZE_BYTES), "virDomainBlockResize");
    }
}

/// <summary>Reads a text given as UTF-8 bytes that are valid only during the call.</summary>
/// <typeparam name="T">What is made of the text.</typeparam>
/// <param name="utf8">The text.</param>
/// <returns>What was made of it.</returns>
public delegate T Utf8TextReader<T>(ReadOnlySpan<byte> utf8);
