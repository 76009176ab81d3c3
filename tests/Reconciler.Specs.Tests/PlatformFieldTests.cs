using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.clock.timers, spec.features.hyperv, spec.usbController, spec.osinfo and the spice extras of spec.graphics: loaded, and every rule located where the value is written.</summary>
public sealed class PlatformFieldTests
{
    private static readonly FieldPath Spec = DomainPaths.Spec;

    [Fact]
    public void What_virt_install_writes_is_loaded()
    {
        var d = T.OneDomain(T.Domain("""
              clock: {offset: localtime, timers: {rtc: catchup, pit: delay, hpet: "no", hypervclock: "yes"}}
              features: {vmport: "off", hyperv: {relaxed: "on", vapic: "on", spinlocks: "on", spinlockRetries: 8191}}
              usbController: {model: qemu-xhci, ports: 15}
              osinfo: http://microsoft.com/win/10
              graphics: {type: spice, listen: default, compression: "off", usbRedirection: 2}

            """));
        var timers = Spec.Field("clock").Field("timers");
        Assert.Equal(("catchup", "delay", "no", "yes"), (d.Declared[timers.Field("rtc")], d.Declared[timers.Field("pit")], d.Declared[timers.Field("hpet")], d.Declared[timers.Field("hypervclock")]));
        Assert.Null(d.Declared[timers.Field("kvmclock")]);
        var hyperv = Spec.Field("features").Field("hyperv");
        Assert.Equal(("on", "on", "on", "8191"), (d.Declared[hyperv.Field("relaxed")], d.Declared[hyperv.Field("vapic")], d.Declared[hyperv.Field("spinlocks")], d.Declared[hyperv.Field("spinlockRetries")]));
        Assert.Equal(("qemu-xhci", "15"), (d.Declared[Spec.Field("usbController").Field("model")], d.Declared[Spec.Field("usbController").Field("ports")]));
        Assert.Equal("http://microsoft.com/win/10", d.Declared[Spec.Field("osinfo")]);
        Assert.Equal(new GraphicsSpec(GraphicsType.Spice, "default", "off", 2), d.Graphics);
    }

    [Fact]
    public void Without_them_nothing_is_owned()
    {
        var d = T.OneDomain(T.Domain("  graphics: {type: spice}\n"));
        Assert.False(d.Declared.AnyWithin(Spec.Field("clock")));
        Assert.False(d.Declared.AnyWithin(Spec.Field("usbController")));
        Assert.Null(d.Declared[Spec.Field("osinfo")]);
        Assert.Equal((null, null), (d.Graphics.Compression, d.Graphics.UsbRedirection));
    }

    [Fact]
    public void An_unknown_tick_policy_is_located_at_the_timer() =>
        T.Expect(T.Domain("  clock: {timers: {rtc: slow}}\n"), InvalidEnum, "spec.clock.timers.rtc", 6, 25);

    [Fact]
    public void A_usb_controller_needs_its_model() =>
        T.Expect(T.Domain("  usbController: {ports: 15}\n"), MissingField, "spec.usbController.model", 6, 18);

    [Fact]
    public void Ports_of_a_uhci_controller_are_a_conflict() =>
        Assert.Contains("only xhci", T.Expect(T.Domain("  usbController: {model: piix3-uhci, ports: 2}\n"), ConflictingFields, "spec.usbController.ports", 6, 45).Message, StringComparison.Ordinal);

    [Fact]
    public void Companions_of_another_controller_than_ich9_ehci1_are_a_conflict() =>
        Assert.Contains("ich9-ehci1", T.Expect(T.Domain("  usbController: {model: qemu-xhci, companions: true}\n"), ConflictingFields, "spec.usbController.companions", 6, 49).Message, StringComparison.Ordinal);

    [Fact]
    public void A_scsi_controller_model_the_spec_cannot_name_is_located() =>
        T.Expect(T.Domain("  scsiController: {model: megasas}\n"), InvalidEnum, "spec.scsiController.model", 6, 27);

    [Fact]
    public void A_usb_controller_with_usb_off_is_a_conflict() =>
        T.Expect(T.Domain("  devices: {usb: false, tablet: false}\n  usbController: {model: qemu-xhci}\n"), ConflictingFields, "spec.usbController", 7, 3);

    [Fact]
    public void Spinlock_retries_need_spinlocks_on() =>
        Assert.Contains("spinlocks on", T.Expect(T.Domain("  features: {hyperv: {spinlockRetries: 8191}}\n"), ConflictingFields, "spec.features.hyperv.spinlockRetries", 6, 40).Message, StringComparison.Ordinal);

    [Fact]
    public void Too_few_spinlock_retries_are_out_of_range() =>
        T.Expect(T.Domain("  features: {hyperv: {spinlocks: \"on\", spinlockRetries: 10}}\n"), OutOfRange, "spec.features.hyperv.spinlockRetries", 6, 57);

    [Fact]
    public void An_osinfo_that_is_not_a_url_is_located_at_it() =>
        T.Expect(T.Domain("  osinfo: debian12\n"), InvalidValue, "spec.osinfo", 6, 11);

    [Theory]
    [InlineData("  graphics: {type: vnc, compression: \"off\"}\n", "spec.graphics.compression", 38)]
    [InlineData("  graphics: {type: vnc, usbRedirection: 2}\n", "spec.graphics.usbRedirection", 41)]
    public void Spice_extras_on_a_vnc_console_are_a_conflict(string yaml, string path, int column) =>
        Assert.Contains("spice", T.Expect(T.Domain(yaml), ConflictingFields, path, 6, column).Message, StringComparison.Ordinal);

    [Fact]
    public void Usb_redirection_with_usb_off_is_a_conflict() =>
        T.Expect(T.Domain("  devices: {usb: false, tablet: false}\n  graphics: {type: spice, usbRedirection: 2}\n"), ConflictingFields, "spec.graphics.usbRedirection", 7, 43);

    [Fact]
    public void A_listen_that_is_neither_an_address_nor_default_is_an_error() =>
        Assert.Contains("or default", T.Expect(T.Domain("  graphics: {type: spice, listen: localhost}\n"), InvalidAddress, "spec.graphics.listen", 6, 35).Hint, StringComparison.Ordinal);
}
