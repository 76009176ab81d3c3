using Reconciler.Core.Fields;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.boot, spec.tpm and spec.console: loaded, and every rule located where the value is written.</summary>
public sealed class BootFieldTests
{
    private static readonly FieldPath Boot = DomainPaths.Spec.Field("boot");

    [Fact]
    public void Boot_tpm_and_console_are_loaded()
    {
        var d = T.OneDomain(T.Domain("""
              boot:
                kernel: /var/lib/libvirt/boot/vmlinuz
                initrd: /var/lib/libvirt/boot/initrd.gz
                cmdline: "console=ttyS0 quiet"
                order: [network, hd]
              tpm: {model: tis, version: "1.2"}
              console: {log: /var/log/reconciler/web-1.log, append: true}

            """));
        Assert.Equal("/var/lib/libvirt/boot/vmlinuz", d.Declared[Boot.Field("kernel")]);
        Assert.Equal("/var/lib/libvirt/boot/initrd.gz", d.Declared[Boot.Field("initrd")]);
        Assert.Equal("console=ttyS0 quiet", d.Declared[Boot.Field("cmdline")]);
        Assert.Equal(["network", "hd"], d.BootOrder!);
        Assert.Equal(new Core.Model.TpmSpec("tis", "1.2"), d.Tpm);
        Assert.Equal(new Core.Model.ConsoleSpec("/var/log/reconciler/web-1.log", Append: true), d.Console);
    }

    [Fact]
    public void An_empty_tpm_is_a_crb_tpm_2_0_and_an_unquoted_version_is_read_as_written()
    {
        Assert.Equal(new Core.Model.TpmSpec("crb", "2.0"), T.OneDomain(T.Domain("  tpm: {}\n")).Tpm);
        Assert.Equal(new Core.Model.TpmSpec("crb", "2.0"), T.OneDomain(T.Domain("  tpm: {version: 2.0}\n")).Tpm);
    }

    [Fact]
    public void Without_them_nothing_is_set()
    {
        var d = T.OneDomain(T.Domain("  vcpus: 1\n"));
        Assert.Null(d.BootOrder);
        Assert.Null(d.Tpm);
        Assert.Null(d.Console);
        Assert.False(d.Declared.AnyWithin(Boot));
    }

    [Fact]
    public void A_relative_kernel_is_located_at_the_kernel() =>
        Assert.Contains("not an absolute path", T.Expect(T.Domain("  boot: {kernel: boot/vmlinuz}\n"), InvalidPath, "spec.boot.kernel", 6, 18).Message, StringComparison.Ordinal);

    [Fact]
    public void A_relative_initrd_is_located_at_the_initrd() =>
        T.Expect(T.Domain("  boot:\n    kernel: /k\n    initrd: initrd.gz\n"), InvalidPath, "spec.boot.initrd", 8, 13);

    [Fact]
    public void An_initrd_without_a_kernel_is_an_error() =>
        Assert.Contains("only used with kernel", T.Expect(T.Domain("  boot: {initrd: /i.gz}\n"), MissingField, "spec.boot.initrd", 6, 18).Message, StringComparison.Ordinal);

    [Fact]
    public void A_cmdline_without_a_kernel_is_an_error() =>
        T.Expect(T.Domain("  boot:\n    cmdline: console=ttyS0\n"), MissingField, "spec.boot.cmdline", 7, 14);

    [Fact]
    public void A_device_named_twice_is_located_at_the_second()
    {
        var d = T.Expect(T.Domain("  boot: {order: [hd, cdrom, hd]}\n"), InvalidValue, "spec.boot.order[2]", 6, 29);
        Assert.Contains("order[0]", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_boot_device_names_the_allowed_ones()
    {
        var d = T.Expect(T.Domain("  boot: {order: [hd, floppy]}\n"), InvalidEnum, "spec.boot.order[1]", 6, 22);
        Assert.Contains("fd", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_order_is_an_error() =>
        T.Expect(T.Domain("  boot: {order: []}\n"), InvalidValue, "spec.boot.order", 6, 10);

    [Fact]
    public void An_order_that_is_not_a_list_is_a_type_error() =>
        T.Expect(T.Domain("  boot: {order: hd}\n"), WrongType, "spec.boot.order", 6, 17);

    [Fact]
    public void A_boot_order_together_with_a_disks_boot_is_refused_as_libvirt_does()
    {
        var d = T.Expect(T.Domain("  boot:\n    order: [hd]\n  disks:\n    - {path: /v/a.qcow2, boot: 1}\n"), ConflictingFields, "spec.boot.order", 7, 5);
        Assert.Contains("disks[0] has boot: 1", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_crb_tpm_1_2_is_refused_at_the_version() =>
        T.Expect(T.Domain("  tpm: {model: crb, version: \"1.2\"}\n"), ConflictingFields, "spec.tpm.version", 6, 30);

    [Fact]
    public void An_unknown_tpm_model_is_an_enum_error() =>
        T.Expect(T.Domain("  tpm: {model: tpm-crb}\n"), InvalidEnum, "spec.tpm.model", 6, 16);

    [Fact]
    public void A_tpm_version_that_is_not_offered_is_an_enum_error() =>
        T.Expect(T.Domain("  tpm: {version: 2}\n"), InvalidEnum, "spec.tpm.version", 6, 18);

    [Fact]
    public void A_relative_console_log_is_located_at_the_log() =>
        T.Expect(T.Domain("  console: {log: web-1.log}\n"), InvalidPath, "spec.console.log", 6, 18);

    [Fact]
    public void A_console_needs_its_log() =>
        T.Expect(T.Domain("  console: {append: true}\n"), MissingField, "spec.console.log", 6, 12);
}
