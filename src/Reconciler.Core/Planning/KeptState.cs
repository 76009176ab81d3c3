using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Where a domain's TPM state and NVRAM remain when Reconciler undefines or replaces it: apply
/// undefines with libvirt's keep flags (<c>KEEP_TPM</c>, <c>KEEP_NVRAM</c>), so neither is ever
/// deleted, and the plan says where they are.
/// </summary>
public static class KeptState
{
    /// <summary>libvirt's TPM state directory of the system QEMU driver (swtpm_storage_dir), one per domain UUID.</summary>
    public const string SwtpmDirectory = "/var/lib/libvirt/swtpm";

    /// <summary>libvirt's NVRAM directory of the system QEMU driver, for definitions that name no file yet.</summary>
    public const string NvramDirectory = "/var/lib/libvirt/qemu/nvram";

    /// <summary>
    /// "TPM state kept in /var/lib/libvirt/swtpm/UUID/; NVRAM kept in …" for a domain whose
    /// definition has a TPM or UEFI firmware; null for one with neither, or on libvirt's test
    /// driver (which keeps no such files). <paramref name="where"/> ends each part (e.g. " on node hv1").
    /// </summary>
    public static string? Of(LiveDomain live, string where = "")
    {
        if (live.Config is not { } config || config.DomainType == "test") return null;
        var parts = new List<string>(2);
        if (config.Tpm is not null) parts.Add($"TPM state kept in {SwtpmDirectory}/{live.Uuid}/{where}");
        if (config.Firmware == Firmware.Uefi) parts.Add($"NVRAM kept in {config.NvramPath ?? $"{NvramDirectory}/{live.Name}_VARS.fd"}{where}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
