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
    /// <param name="live">The domain as read, before the change.</param>
    /// <param name="where">Ends each part (" on node hv1"), or empty.</param>
    /// <param name="tpmCarriedTo">For a live migration, which copies the TPM state: the node it goes to; the TPM part then says so instead.</param>
    public static string? Of(LiveDomain live, string where = "", string? tpmCarriedTo = null)
    {
        if (live.Config is not { } config || config.DomainType == "test") return null;
        var parts = new List<string>(2);
        if (config.Tpm is not null)
        {
            parts.Add(tpmCarriedTo is null ? $"TPM state kept in {SwtpmDirectory}/{live.Uuid}/{where}" : $"TPM state copied to {tpmCarriedTo} by the live migration");
        }
        if (config.Firmware == Firmware.Uefi) parts.Add($"NVRAM kept in {config.NvramPath ?? $"{NvramDirectory}/{live.Name}_VARS.fd"}{where}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
