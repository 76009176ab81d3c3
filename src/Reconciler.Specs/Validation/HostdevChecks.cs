using FluentValidation;
namespace Reconciler.Specs.Validation;

/// <summary>The rules of <c>spec.hostdevs</c> that a row cannot state: exactly one device form per item, well-formed addresses, ids and UUIDs, fields that belong to one form only, and no device twice.</summary>
internal static class HostdevChecks
{
    private const string PciHint = "a host PCI address is DDDD:BB:SS.F in hex, e.g. \"0000:03:00.0\" (slot 00-1f, function 0-7); virsh nodedev-list --cap pci lists the node's as pci_0000_03_00_0";

    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < d.Hostdevs.Count; i++)
        {
            var h = d.Hostdevs[i];
            var p = $"spec.hostdevs[{i}]";
            var forms = new[] { ("pci", h.Pci is not null), ("usb", h.Usb is not null), ("mdev", h.Mdev is not null), ("class", h.Select is not null) }
                .Where(f => f.Item2).Select(f => f.Item1).ToList();
            if (forms.Count == 0)
            {
                Failures.Add(ctx, MissingField, p, "a host device needs one of pci, usb, mdev or class",
                    "e.g. {pci: \"0000:03:00.0\"}, {usb: {vendor: \"0x046d\", product: \"0xc52b\"}}, {mdev: UUID, model: vfio-pci} or {class: gpu, vendor: \"10de\"}");
                continue;
            }
            if (forms.Count > 1)
            {
                Failures.Add(ctx, ConflictingFields, $"{p}.{forms[1]}", $"a host device is one of pci, usb, mdev or class, not {string.Join(" and ", forms)}",
                    "write one device per item", $"{p}.{forms[0]}");
                continue;
            }
            if (h.Pci is { } pci && HostdevFields.ParsePci(pci) is null)
            {
                Failures.Add(ctx, InvalidAddress, p + ".pci", $"'{Failures.Printable(pci)}' is not a PCI address", PciHint);
            }
            if (h.Usb is { } usb)
            {
                foreach (var (name, value) in new[] { ("vendor", usb.Vendor), ("product", usb.Product) })
                {
                    if (!Regex.IsMatch(value, HostdevFields.IdPattern))
                    {
                        Failures.Add(ctx, InvalidValue, $"{p}.usb.{name}", $"'{Failures.Printable(value)}' is not a USB {name} id",
                            "four hex digits, quoted, e.g. \"0x046d\" (lsusb shows vendor:product as 046d:c52b)");
                    }
                }
            }
            if (h.Mdev is { } mdev && !Regex.IsMatch(mdev, HostdevFields.UuidPattern))
            {
                Failures.Add(ctx, InvalidValue, p + ".mdev", $"'{Failures.Printable(mdev)}' is not a UUID",
                    "a mediated device is named by its UUID, e.g. 4b20d080-1b54-4048-85b3-a6a62d165c01 (mdevctl list shows them)");
            }
            if (h.Model is { } model)
            {
                if (h.Mdev is null)
                {
                    Failures.Add(ctx, ConflictingFields, p + ".model", "model is only used with mdev", "remove model, or use mdev: UUID");
                }
                else if (!HostdevFields.MdevModels.Contains(model))
                {
                    Failures.Add(ctx, InvalidEnum, p + ".model", $"'{Failures.Printable(model)}' is not a valid mdev model", "allowed values: " + string.Join(", ", HostdevFields.MdevModels));
                }
            }
            if (h.Mdev is not null && !h.Managed)
            {
                Failures.Add(ctx, ConflictingFields, p + ".managed", "managed is not used with mdev (libvirt never detaches a mediated device)", "remove managed", p + ".mdev");
            }
            if (h.Select is { } select)
            {
                if (select.Class.Length == 0)
                {
                    Failures.Add(ctx, MissingField, p + ".class", "vendor and product select a PCI device only together with class",
                        "add class:, e.g. {class: gpu, vendor: \"10de\"} (allowed classes: " + string.Join(", ", HostdevClasses.Names) + ")");
                }
                else if (!HostdevClasses.Prefixes.ContainsKey(select.Class))
                {
                    Failures.Add(ctx, InvalidEnum, p + ".class", $"'{Failures.Printable(select.Class)}' is not a device class", "allowed values: " + string.Join(", ", HostdevClasses.Names));
                }
                foreach (var (name, value) in new[] { ("vendor", select.Vendor), ("product", select.Product) })
                {
                    if (value is not null && !Regex.IsMatch(value, HostdevFields.IdPattern))
                    {
                        Failures.Add(ctx, InvalidValue, $"{p}.{name}", $"'{Failures.Printable(value)}' is not a PCI {name} id", "four hex digits, quoted, e.g. \"10de\"");
                    }
                }
            }
            var key = h.Select is null ? h.Text : null;
            if (key is not null)
            {
                var identity = key.Replace(" unmanaged", "", StringComparison.Ordinal);
                if (seen.TryGetValue(identity, out var first))
                {
                    Failures.Add(ctx, InvalidValue, p, $"hostdevs[{first}] already gives the guest {identity}", "a host device can be given once");
                }
                else
                {
                    seen[identity] = i;
                }
            }
        }
    }
}
