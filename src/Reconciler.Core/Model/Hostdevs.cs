namespace Reconciler.Core.Model;

/// <summary>A USB device by its vendor and product ids (<c>&lt;source&gt;&lt;vendor id/&gt;&lt;product id/&gt;</c>).</summary>
/// <param name="Vendor">The vendor id, canonical <c>0x046d</c> (lower-case, four hex digits).</param>
/// <param name="Product">The product id, canonical like <paramref name="Vendor"/>.</param>
public sealed record UsbDeviceId(string Vendor, string Product);

/// <summary>
/// A selector that lets the planner pick a free matching PCI device of the node (<c>{class: gpu, vendor: "10de"}</c>).
/// </summary>
/// <param name="Class">The device class name (<c>gpu</c>, <c>network</c>, …; see <see cref="HostdevClasses"/>).</param>
/// <param name="Vendor">The PCI vendor id, canonical four lower-case hex digits without 0x; null for any.</param>
/// <param name="Product">The PCI product id, like <paramref name="Vendor"/>; null for any.</param>
public sealed record HostdevSelector(string Class, string? Vendor, string? Product)
{
    /// <summary><c>class gpu vendor 10de</c>.</summary>
    public override string ToString() =>
        $"class {Class}" + (Vendor is { } v ? $" vendor {v}" : "") + (Product is { } p ? $" product {p}" : "");
}

/// <summary>
/// One host device given to the guest (<c>spec.hostdevs[i]</c>, a <c>&lt;hostdev mode='subsystem'&gt;</c>):
/// exactly one of a PCI address, a USB vendor/product, a mediated device UUID, or a selector the
/// planner resolves to a PCI address of the node (then <see cref="Pci"/> holds the chosen one).
/// </summary>
public sealed record HostdevSpec
{
    /// <summary>The host PCI address, canonical <c>0000:03:00.0</c> (lower-case, domain always written).</summary>
    public string? Pci { get; init; }

    /// <summary>The USB device.</summary>
    public UsbDeviceId? Usb { get; init; }

    /// <summary>The mediated device's UUID, lower-case.</summary>
    public string? Mdev { get; init; }

    /// <summary>The mediated device's model (<c>vfio-pci</c>, <c>vfio-ccw</c>, <c>vfio-ap</c>); only with <see cref="Mdev"/>.</summary>
    public string? Model { get; init; }

    /// <summary>The selector this item was written as; null for an item that names its device.</summary>
    public HostdevSelector? Select { get; init; }

    /// <summary>libvirt detaches the device from its host driver at start and gives it back at stop (<c>managed='yes'</c>); PCI and USB only.</summary>
    public bool Managed { get; init; } = true;

    /// <summary>Whether libvirt can attach and detach this device on a running domain (PCI and USB).</summary>
    public bool HotPluggable => Mdev is null && (Pci is not null || Usb is not null);

    /// <summary>The canonical text the planner compares: <c>pci 0000:03:00.0</c>, <c>usb 0x046d:0xc52b</c>, <c>mdev UUID vfio-pci</c>.</summary>
    public string Text =>
        Pci is { } pci ? "pci " + pci + (Managed ? "" : " unmanaged")
        : Usb is { } usb ? $"usb {usb.Vendor}:{usb.Product}" + (Managed ? "" : " unmanaged")
        : Mdev is { } mdev ? $"mdev {mdev} {Model ?? "vfio-pci"}"
        : Select?.ToString() ?? "";
}

/// <summary>The device classes a <see cref="HostdevSelector"/> names, and the PCI class codes each covers.</summary>
public static class HostdevClasses
{
    /// <summary>Class name → the prefix of the six-hex-digit PCI class code (<c>0x030000</c> → <c>03</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["gpu"] = "03",
        ["network"] = "02",
        ["storage"] = "01",
        ["multimedia"] = "04",
        ["usb-controller"] = "0c03",
        ["accelerator"] = "12",
    };

    /// <summary>The class names, sorted.</summary>
    public static IReadOnlyList<string> Names => [.. Prefixes.Keys];

    /// <summary>Whether a PCI class code (<c>0x030000</c>) is of class <paramref name="name"/>.</summary>
    public static bool Matches(string name, string? classCode)
    {
        if (classCode is null || !Prefixes.TryGetValue(name, out var prefix)) return false;
        var hex = classCode.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? classCode[2..] : classCode;
        return hex.PadLeft(6, '0').StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
    }
}

public sealed partial record DomainSpec
{
    /// <summary><c>spec.hostdevs</c>: the host devices given to the guest, in order; empty for none.</summary>
    public IReadOnlyList<HostdevSpec> Hostdevs { get; init; } = [];
}
