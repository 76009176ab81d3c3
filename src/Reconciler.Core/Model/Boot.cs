namespace Reconciler.Core.Model;

/// <summary>A virtual TPM backed by swtpm (<c>&lt;tpm model&gt;&lt;backend type='emulator' version&gt;</c>).</summary>
/// <param name="Model"><c>crb</c> or <c>tis</c> (libvirt's <c>tpm-crb</c>, <c>tpm-tis</c>).</param>
/// <param name="Version"><c>2.0</c> or <c>1.2</c>.</param>
public sealed record TpmSpec(string Model = "crb", string Version = "2.0");

/// <summary>Where the serial console's output is written (virtlogd's <c>&lt;log file append&gt;</c> on the pty serial).</summary>
/// <param name="Log">An absolute path on the node.</param>
/// <param name="Append">Keep what earlier starts wrote (libvirt's <c>append='on'</c>); false empties the file at each start.</param>
public sealed record ConsoleSpec(string Log, bool Append = false);

public sealed partial record DomainSpec
{
    /// <summary>
    /// <c>spec.boot.order</c>: the boot devices in order (<c>hd</c>, <c>cdrom</c>, <c>network</c>,
    /// <c>fd</c>); null when not written (libvirt's default, <c>hd</c>, is then not a difference).
    /// The kernel, initrd and command line of <c>spec.boot</c> are declared fields (<see cref="Declared"/>).
    /// </summary>
    public IReadOnlyList<string>? BootOrder { get; init; }

    /// <summary><c>spec.tpm</c>: the virtual TPM, or null for none.</summary>
    public TpmSpec? Tpm { get; init; }

    /// <summary><c>spec.console</c>: where the serial console is logged, or null when it is not.</summary>
    public ConsoleSpec? Console { get; init; }

    /// <summary>
    /// Read from live XML only (never compared): the NVRAM file of a UEFI domain as libvirt
    /// recorded it (<c>&lt;os&gt;&lt;nvram&gt;</c>), or null when the definition names none yet.
    /// </summary>
    public string? NvramPath { get; init; }
}
