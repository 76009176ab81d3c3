using FluentValidation;
namespace Reconciler.Specs.Validation;

/// <summary>The rules of <c>spec.boot</c>, <c>spec.tpm</c> and <c>spec.console</c> that a row cannot state (paths, fields that need each other, libvirt's refusals).</summary>
internal static class BootChecks
{
    private static readonly FieldPath Boot = DomainPaths.Spec.Field("boot");

    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var kernel = d.Declared[Boot.Field("kernel")];
        foreach (var name in new[] { "kernel", "initrd" })
        {
            var path = Boot.Field(name);
            if (d.Declared[path] is { } file && !file.StartsWith('/'))
            {
                Failures.Add(ctx, InvalidPath, path.Text, $"'{Failures.Printable(file)}' is not an absolute path",
                    $"{name} is a file on the node, e.g. {name}: {BootFields.Boot[name].Example}");
            }
        }
        foreach (var name in new[] { "initrd", "cmdline" })
        {
            var path = Boot.Field(name);
            if (d.Declared[path] is not null && kernel is null)
            {
                Failures.Add(ctx, MissingField, path.Text, $"{name} is only used with kernel",
                    $"add kernel: (the file to boot directly), or remove {name}", Boot.Field("kernel").Text);
            }
        }
        CheckOrder(d, ctx);
        if (d.Tpm is { } tpm)
        {
            if (!BootFields.TpmModels.Contains(tpm.Model))
            {
                Failures.Add(ctx, InvalidEnum, "spec.tpm.model", $"'{Failures.Printable(tpm.Model)}' is not a valid tpm model", "allowed values: " + string.Join(", ", BootFields.TpmModels));
            }
            if (!BootFields.TpmVersions.Contains(tpm.Version))
            {
                Failures.Add(ctx, InvalidEnum, "spec.tpm.version", $"'{Failures.Printable(tpm.Version)}' is not a valid tpm version", "allowed values: \"2.0\", \"1.2\"");
            }
            else if (tpm.Model == "crb" && tpm.Version != "2.0")
            {
                Failures.Add(ctx, ConflictingFields, "spec.tpm.version", $"a crb TPM is TPM 2.0 only, not {tpm.Version}",
                    "use version: \"2.0\", or model: tis for a TPM 1.2", "spec.tpm.model");
            }
        }
        if (d.Console is { } console && !console.Log.StartsWith('/'))
        {
            Failures.Add(ctx, InvalidPath, "spec.console.log", $"'{Failures.Printable(console.Log)}' is not an absolute path",
                "the log is a file on the node, e.g. log: /var/log/reconciler/NAME.console.log");
        }
    }

    private static void CheckOrder(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        if (d.BootOrder is not { } order) return;
        var path = Boot.Field("order");
        if (order.Count == 0)
        {
            Failures.Add(ctx, InvalidValue, path.Text, "boot order lists no device", "e.g. order: [hd, cdrom], or remove order for libvirt's default (hd)");
            return;
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < order.Count; i++)
        {
            var item = path.Item(i).Text;
            if (!BootFields.BootDevices.Contains(order[i]))
            {
                Failures.Add(ctx, InvalidEnum, item, $"'{Failures.Printable(order[i])}' is not a boot device", "allowed values: " + string.Join(", ", BootFields.BootDevices));
            }
            else if (seen.TryGetValue(order[i], out var first))
            {
                Failures.Add(ctx, InvalidValue, item, $"{order[i]} is already in the boot order (order[{first}])", "name each device once");
            }
            else
            {
                seen[order[i]] = i;
            }
        }
        for (var i = 0; i < d.Disks.Count; i++)
        {
            if (d.Disks[i].Boot is null) continue;
            var disk = $"spec.disks[{i}].boot";
            Failures.Add(ctx, ConflictingFields, path.Text, $"boot.order cannot be used together with a disk's boot (disks[{i}] has boot: {d.Disks[i].Boot}); libvirt refuses both",
                "keep one: boot.order for device types, or boot: on the disks for single devices", disk);
            return;
        }
    }
}
