using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.hostdevs: loaded in every form, made canonical, and every rule located where the value is written.</summary>
public sealed class HostdevSpecTests
{
    [Fact]
    public void Every_form_is_loaded_with_canonical_addresses_and_ids()
    {
        var d = T.OneDomain(T.Domain("""
              hostdevs:
                - {pci: "0000:03:00.0"}
                - {pci: "3B:1F.7", managed: false}
                - {usb: {vendor: "0x046D", product: "c52b"}}
                - {mdev: "4B20D080-1B54-4048-85B3-A6A62D165C01", model: vfio-ccw}
                - {mdev: "4b20d080-1b54-4048-85b3-a6a62d165c02"}
                - {class: gpu, vendor: "0x10DE"}

            """));
        Assert.Equal(6, d.Hostdevs.Count);
        Assert.Equal(new HostdevSpec { Pci = "0000:03:00.0" }, d.Hostdevs[0]);
        Assert.Equal(new HostdevSpec { Pci = "0000:3b:1f.7", Managed = false }, d.Hostdevs[1]);
        Assert.Equal(new UsbDeviceId("0x046d", "0xc52b"), d.Hostdevs[2].Usb);
        Assert.Equal(("4b20d080-1b54-4048-85b3-a6a62d165c01", "vfio-ccw"), (d.Hostdevs[3].Mdev, d.Hostdevs[3].Model));
        Assert.Equal("vfio-pci", d.Hostdevs[4].Model);
        Assert.Equal(new HostdevSelector("gpu", "10de", null), d.Hostdevs[5].Select);
        Assert.Null(d.Hostdevs[5].Pci);
    }

    [Fact]
    public void Without_hostdevs_the_list_is_empty() => Assert.Empty(T.OneDomain(T.Domain("  vcpus: 1\n")).Hostdevs);

    [Fact]
    public void A_malformed_PCI_address_is_located_at_the_address_with_the_form_in_the_hint()
    {
        var d = T.Expect(T.Domain("  hostdevs: [{pci: \"0000:03:20.0\"}]\n"), InvalidAddress, "spec.hostdevs[0].pci", 6, 20);
        Assert.Contains("'0000:03:20.0' is not a PCI address", d.Message, StringComparison.Ordinal);
        Assert.Contains("DDDD:BB:SS.F", d.Hint!, StringComparison.Ordinal);
    }

    [Fact]
    public void An_mdev_that_is_not_a_UUID_is_located_at_the_mdev() =>
        Assert.Contains("is not a UUID", T.Expect(T.Domain("  hostdevs: [{mdev: \"gpu-0\"}]\n"), InvalidValue, "spec.hostdevs[0].mdev", 6, 21).Message, StringComparison.Ordinal);

    [Fact]
    public void A_USB_id_that_is_not_four_hex_digits_is_located_at_the_id() =>
        T.Expect(T.Domain("  hostdevs:\n    - usb: {vendor: \"0x046d\", product: \"logitech\"}\n"), InvalidValue, "spec.hostdevs[0].usb.product", 7, 40);

    [Fact]
    public void Two_device_forms_in_one_item_are_refused() =>
        T.Expect(T.Domain("  hostdevs:\n    - {pci: \"0000:03:00.0\", mdev: \"4b20d080-1b54-4048-85b3-a6a62d165c01\"}\n"), ConflictingFields, "spec.hostdevs[0].mdev", 7, 35);

    [Fact]
    public void An_item_with_no_device_is_refused() =>
        T.Expect(T.Domain("  hostdevs:\n    - {managed: false}\n"), MissingField, "spec.hostdevs[0]", 7, 7);

    [Fact]
    public void A_model_without_mdev_is_refused_at_the_model() =>
        T.Expect(T.Domain("  hostdevs:\n    - {pci: \"0000:03:00.0\", model: vfio-pci}\n"), ConflictingFields, "spec.hostdevs[0].model", 7, 36);

    [Fact]
    public void An_unknown_class_is_refused_with_the_allowed_classes() =>
        Assert.Contains("gpu", T.Expect(T.Domain("  hostdevs: [{class: fpga}]\n"), InvalidEnum, "spec.hostdevs[0].class", 6, 22).Hint!, StringComparison.Ordinal);

    [Fact]
    public void The_same_device_twice_is_refused_at_the_second_even_written_differently() =>
        Assert.Contains("hostdevs[0] already gives the guest pci 0000:03:00.0",
            T.Expect(T.Domain("  hostdevs:\n    - {pci: \"0000:03:00.0\"}\n    - {pci: \"03:00.0\", managed: false}\n"), InvalidValue, "spec.hostdevs[1]", 8, 7).Message, StringComparison.Ordinal);
}
