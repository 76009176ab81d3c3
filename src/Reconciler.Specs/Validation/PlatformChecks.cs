using FluentValidation;
namespace Reconciler.Specs.Validation;

/// <summary>
/// The checks across fields of the spice console's extras, the USB controller and the Hyper-V
/// enlightenments (<see cref="GuestPlatformFields"/>, <see cref="GraphicsFields"/>); each field's own
/// range and values are checked where it is read.
/// </summary>
internal static class PlatformChecks
{
    private static readonly FieldPath Hyperv = DomainPaths.Spec.Field("features").Field("hyperv");
    private static readonly FieldPath Usb = DomainPaths.Spec.Field("usbController");

    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        if (d.Declared[DomainPaths.Spec.Field("osinfo")] is { } osinfo && !Regex.IsMatch(osinfo, GuestPlatformFields.OsinfoPattern))
        {
            Failures.Add(ctx, InvalidValue, "spec.osinfo", $"'{Failures.Printable(osinfo)}' is not a libosinfo OS id",
                "an id is a URL such as http://debian.org/debian/12 (osinfo-query os -f id lists them)");
        }
        if (d.Graphics.Type != GraphicsType.Spice)
        {
            if (d.Graphics.Compression is not null)
            {
                Failures.Add(ctx, ConflictingFields, "spec.graphics.compression", "image compression is a spice setting, but the console is not spice", "remove compression, or use type: spice", "spec.graphics.type");
            }
            if (d.Graphics.UsbRedirection is not null)
            {
                Failures.Add(ctx, ConflictingFields, "spec.graphics.usbRedirection", "USB redirection goes over spice, but the console is not spice", "remove usbRedirection, or use type: spice", "spec.graphics.type");
            }
        }
        if (d.Graphics is { Type: GraphicsType.Spice, UsbRedirection: > 0 } && !d.Devices.Usb)
        {
            Failures.Add(ctx, ConflictingFields, "spec.graphics.usbRedirection", "USB redirection needs a USB controller, but spec.devices.usb is false", "remove usbRedirection, or keep usb", "spec.devices.usb");
        }
        if (d.Declared[Usb.Field("model")] is not null && !d.Devices.Usb)
        {
            Failures.Add(ctx, ConflictingFields, "spec.usbController", "a USB controller is described, but spec.devices.usb is false", "remove usbController, or keep usb", "spec.devices.usb");
        }
        if (d.Declared[Usb.Field("ports")] is not null && d.Declared[Usb.Field("model")] is not ("qemu-xhci" or "nec-xhci"))
        {
            Failures.Add(ctx, ConflictingFields, "spec.usbController.ports", "only xhci controllers (qemu-xhci, nec-xhci) have a port count", "remove ports, or use model: qemu-xhci", "spec.usbController.model");
        }
        if (d.UsbCompanions == true && d.Declared[Usb.Field("model")] != "ich9-ehci1")
        {
            Failures.Add(ctx, ConflictingFields, "spec.usbController.companions", "companion controllers belong to an ich9-ehci1 controller", "remove companions, or use model: ich9-ehci1", "spec.usbController.model");
        }
                if (d.Declared[Hyperv.Field("spinlockRetries")] is not null && d.Declared[Hyperv.Field("spinlocks")] != "on")
        {
            Failures.Add(ctx, ConflictingFields, "spec.features.hyperv.spinlockRetries", "spinlock retries need spinlocks on", "add spinlocks: \"on\" beside spinlockRetries", "spec.features.hyperv.spinlocks");
        }
    }
}
