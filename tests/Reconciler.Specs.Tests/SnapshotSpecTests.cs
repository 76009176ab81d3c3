using Reconciler.Core.Model;

namespace Reconciler.Specs.Tests;

/// <summary><c>spec.snapshots</c>: the fields, their defaults, and located errors for bad schedules.</summary>
public class SnapshotSpecTests
{
    private const string Base = "  vcpus: 1\n  memory: 128MiB\n";

    [Fact]
    public void Every_field_loads()
    {
        var d = T.OneDomain(T.Domain(Base + "  snapshotsToKeep: 7\n  snapshots: {schedule: \"Mon-Fri 02:00\", kind: internal, quiesce: true, onQuiesceFailure: proceed}\n"));

        Assert.Equal(new SnapshotPolicy("Mon-Fri 02:00", SnapshotKind.Internal, true, QuiesceFailure.Proceed), d.Snapshots);
        Assert.Equal(7, d.SnapshotsToKeep);
    }

    [Fact]
    public void Defaults_are_internal_unfrozen_skip_and_no_schedule()
    {
        var d = T.OneDomain(T.Domain(Base + "  snapshots: {}\n"));

        Assert.Equal(new SnapshotPolicy(null, SnapshotKind.Internal, false, QuiesceFailure.Skip), d.Snapshots);
        Assert.Null(T.OneDomain(T.Domain(Base)).Snapshots);
    }

    [Fact]
    public void Snapshot_fields_are_not_compared_so_changing_them_disturbs_nothing()
    {
        var without = T.OneDomain(T.Domain(Base));
        var with = T.OneDomain(T.Domain(Base + "  snapshotsToKeep: 9\n  snapshots: {schedule: \"every 6h\", quiesce: true}\n"));

        Assert.Equal(Reconciler.Core.Planning.SpecHash.Compute(without), Reconciler.Core.Planning.SpecHash.Compute(with));
    }

    [Theory]
    [InlineData("Mon-Fri 25:00", "'25:00' is not a time of day")]
    [InlineData("Someday 02:00", "'Someday' is not a day")]
    [InlineData("every 6d", "'6d' is not an interval")]
    [InlineData("every 1m", "too often")]
    [InlineData("at dawn daily", "expected '[Days ]HH:MM'")]
    public void A_bad_schedule_is_a_located_error_with_a_hint(string schedule, string why)
    {
        var r = T.Domain(Base + "  snapshots:\n    schedule: \"" + schedule + "\"\n");

        var d = T.Expect(r, "invalid-value", "spec.snapshots.schedule", 9, 15);
        Assert.Contains(why, d.Message, StringComparison.Ordinal);
        Assert.Contains("every 6h", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void External_loads_as_the_external_kind()
    {
        var r = T.Domain(Base + "  snapshots:\n    kind: external\n    quiesce: true\n");

        Assert.Empty(r.Diagnostics);
        var policy = Assert.Single(r.Specs!.Domains).Snapshots!;
        Assert.Equal(SnapshotKind.External, policy.Kind);
        Assert.True(policy.Quiesce);
    }

    [Fact]
    public void An_unknown_policy_value_is_located()
    {
        var r = T.Domain(Base + "  snapshots: {onQuiesceFailure: retry}\n");

        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.snapshots.onQuiesceFailure" && d.Location!.Line == 8);
        Assert.Null(r.Specs);
    }

    [Theory]
    [InlineData("Mon-Fri 02:00", "2026-12-02T01:59:00Z", "2026-12-01T02:00:00Z")] // Wednesday before 02:00: Tuesday's slot
    [InlineData("Mon-Fri 02:00", "2026-12-06T12:00:00Z", "2026-12-04T02:00:00Z")] // Sunday: Friday's slot
    [InlineData("Sat,Sun 03:30", "2026-12-07T00:00:00Z", "2026-12-06T03:30:00Z")]
    [InlineData("02:00,14:00", "2026-12-03T13:59:59Z", "2026-12-03T02:00:00Z")]
    [InlineData("02:00,14:00", "2026-12-03T14:00:00Z", "2026-12-03T14:00:00Z")]
    [InlineData("Fri-Mon 02:00", "2026-12-08T05:00:00Z", "2026-12-07T02:00:00Z")] // a range wrapping past Sunday
    [InlineData("every 6h", "2026-12-03T17:59:00Z", "2026-12-03T12:00:00Z")]
    [InlineData("every 45m", "2026-12-03T01:00:00Z", "2026-12-03T00:45:00Z")]
    public void The_previous_slot_follows_the_grammar(string text, string now, string slot)
    {
        Assert.True(SnapshotSchedule.TryParse(text, out var schedule, out var error), error);

        Assert.Equal(DateTimeOffset.Parse(slot, System.Globalization.CultureInfo.InvariantCulture), schedule!.Previous(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Missed_slots_make_one_snapshot_due_not_one_per_slot()
    {
        SnapshotSchedule.TryParse("every 6h", out var s, out _);
        var last = new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);
        var now = last.AddDays(2).AddHours(1); // eight slots missed

        Assert.True(s!.IsDue(now, last));
        // Once one is taken at now, nothing more is due until the next slot.
        Assert.False(s.IsDue(now.AddMinutes(1), now));
        Assert.False(s.IsDue(s.Next(now).AddTicks(-1), now));
        Assert.True(s.IsDue(s.Next(now), now));
    }
}
