using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Specs.Tests;

/// <summary><c>spec.migration</c>: the policy fields load into the model; bad values are located errors; the policy is not compared.</summary>
public class MigrationSpecTests
{
    // Spec lines start at line 6 of T.Domain's document.
    private const string Base = "  vcpus: 1\n  memory: 2GiB\n";

    [Fact]
    public void The_full_policy_loads()
    {
        var d = T.OneDomain(T.Domain(Base + "  migration:\n    storage: copy\n    bandwidth: 200MiB\n    autoConverge: true\n    postCopy: true\n    compressed: true\n"
            + "    timeout: {perGiB: 30s, action: postcopy}\n    snapshots: delete\n"));

        var m = d.Migration!;
        Assert.Equal(MigrationStorage.Copy, m.Storage);
        Assert.Equal(200UL, m.BandwidthMiBps);
        Assert.True(m.AutoConverge);
        Assert.True(m.PostCopy);
        Assert.True(m.Compressed);
        Assert.Equal(new MigrationTimeout(TimeSpan.FromSeconds(30), MigrationTimeoutAction.Postcopy), m.Timeout);
        Assert.Equal(MigrationSnapshots.Delete, m.Snapshots);
        Assert.Equal(TimeSpan.FromMinutes(1), m.Timeout!.For(d.MemoryBytes)); // 2GiB × 30s
        Assert.Equal("copy, 200 MiB/s, auto-converge, post-copy allowed, compressed, timeout 30s/GiB → postcopy", m.Describe());
    }

    [Fact]
    public void Defaults_are_libvirts_shared_storage_no_limit_no_timeout_and_snapshots_refuse()
    {
        var d = T.OneDomain(T.Domain(Base + "  migration: {storage: shared}\n"));

        Assert.Equal(MigrationPolicy.Default, d.Migration);
        Assert.Null(d.Migration!.BandwidthMiBps);
        Assert.Null(d.Migration.Timeout);
        Assert.Equal(MigrationSnapshots.Refuse, d.Migration.Snapshots);
        Assert.Equal("shared", d.Migration.Describe());
    }

    [Theory]
    [InlineData("1500ms", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    public void PerGiB_takes_ms_s_m_and_h(string text, int ms)
    {
        var d = T.OneDomain(T.Domain(Base + $"  migration: {{timeout: {{perGiB: {text}}}}}\n"));

        Assert.Equal(TimeSpan.FromMilliseconds(ms), d.Migration!.Timeout!.PerGiB);
        Assert.Equal(MigrationTimeoutAction.Abort, d.Migration.Timeout.Action);
        Assert.Equal(text, MigrationTimeout.FormatDuration(d.Migration.Timeout.PerGiB));
    }

    [Fact]
    public void A_bandwidth_that_is_not_a_size_is_located()
    {
        var r = T.Domain(Base + "  migration:\n    bandwidth: fast\n");

        T.Expect(r, "invalid-size", "spec.migration.bandwidth", 9, 16);
    }

    [Fact]
    public void A_bandwidth_that_is_not_whole_MiB_is_located()
    {
        var r = T.Domain(Base + "  migration:\n    bandwidth: 1536KiB\n");

        var d = T.Expect(r, "out-of-range", "spec.migration.bandwidth", 9, 16);
        Assert.Contains("whole number of MiB", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("0s")]
    [InlineData("30 s")]
    [InlineData("2d")]
    public void A_perGiB_that_is_not_a_duration_is_located(string text)
    {
        var r = T.Domain(Base + $"  migration:\n    timeout:\n      perGiB: \"{text}\"\n");

        var d = T.Expect(r, "invalid-value", "spec.migration.timeout.perGiB", 10, 15);
        Assert.Contains("is not a duration", d.Message, StringComparison.Ordinal);
        Assert.Contains("perGiB: 30s", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_postcopy_without_postCopy_true_is_a_located_conflict()
    {
        var r = T.Domain(Base + "  migration:\n    timeout:\n      perGiB: 30s\n      action: postcopy\n");

        var d = T.Expect(r, "conflicting-fields", "spec.migration.timeout.action", 11, 15);
        Assert.Contains("postCopy: true", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timeout_without_perGiB_is_a_located_missing_field()
    {
        var r = T.Domain(Base + "  migration:\n    timeout: {action: abort}\n");

        T.Expect(r, "missing-field", "spec.migration.timeout.perGiB", 9, 14);
    }

    [Fact]
    public void An_unknown_action_is_located()
    {
        var r = T.Domain(Base + "  migration:\n    timeout: {perGiB: 30s, action: kill}\n");

        T.Expect(r, "invalid-enum", "spec.migration.timeout.action", 9, 36);
    }

    [Fact]
    public void The_policy_is_not_part_of_the_compared_fields()
    {
        var without = T.OneDomain(T.Domain(Base));
        var with = T.OneDomain(T.Domain(Base + "  migration: {bandwidth: 200MiB, autoConverge: true, timeout: {perGiB: 30s}, snapshots: delete}\n"));

        Assert.Equal(SpecHash.Compute(without), SpecHash.Compute(with));
        Assert.Empty(DomainFields.Diff(with, without));
    }
}
