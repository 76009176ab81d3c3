using System.Globalization;

namespace Reconciler.Core.Model;

/// <summary>How a snapshot holds the domain's state.</summary>
public enum SnapshotKind
{
    /// <summary>Inside each qcow2 image, memory included (the guest pauses while it is written); <c>reconcile rollback</c> restores it.</summary>
    Internal,

    /// <summary>Disk-only overlays (no pause beyond the freeze); merged back into their base when pruned.</summary>
    External,
}

/// <summary>What a scheduled snapshot does when <c>quiesce: true</c> and the guest agent does not freeze the guest's filesystems.</summary>
public enum QuiesceFailure
{
    /// <summary>No snapshot this time: the failure is recorded and counted; the next slot tries again.</summary>
    Skip,

    /// <summary>The snapshot is taken without the freeze (crash-consistent), and says so in its description.</summary>
    Proceed,
}

/// <summary>A domain's <c>spec.snapshots</c>: when Reconciler snapshots it, and how.</summary>
/// <param name="Schedule">The schedule as written, or null for none (snapshots only by hand and before updates).</param>
/// <param name="Kind">Internal or external.</param>
/// <param name="Quiesce">Freeze the guest's filesystems through the guest agent around the snapshot.</param>
/// <param name="OnQuiesceFailure">What to do when the agent does not freeze them.</param>
public sealed record SnapshotPolicy(
    string? Schedule = null,
    SnapshotKind Kind = SnapshotKind.Internal,
    bool Quiesce = false,
    QuiesceFailure OnQuiesceFailure = QuiesceFailure.Skip)
{
    /// <summary>The policy of a domain that gives none: internal, no schedule, no freeze.</summary>
    public static SnapshotPolicy Default { get; } = new();
}

/// <summary>
/// When scheduled snapshots are due, in UTC. Two forms:
/// <list type="bullet">
/// <item>optional days, then one or more times: <c>Mon-Fri 02:00</c>, <c>Sat,Sun 03:30</c>,
/// <c>02:00,14:00</c> (days as in <c>updatePolicy.window</c>: <c>Mon</c>…<c>Sun</c>, comma-separated,
/// and ranges such as <c>Mon-Fri</c>; no days means every day);</item>
/// <item><c>every Nh</c> or <c>every Nm</c>: slots at whole multiples of the interval counted from
/// 1970-01-01 00:00 UTC (so <c>every 6h</c> is 00:00, 06:00, 12:00 and 18:00).</item>
/// </list>
/// A snapshot is due at <c>now</c> when the newest slot at or before <c>now</c> is later than the
/// newest scheduled snapshot: however many slots were missed, one snapshot catches up.
/// </summary>
public sealed record SnapshotSchedule
{
    private static readonly string[] DayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    private SnapshotSchedule(IReadOnlySet<DayOfWeek> days, IReadOnlyList<TimeSpan> times, TimeSpan? every)
    {
        Days = days;
        Times = times;
        Every = every;
    }

    /// <summary>Days the times apply on; empty means every day. Unused with <see cref="Every"/>.</summary>
    public IReadOnlySet<DayOfWeek> Days { get; }

    /// <summary>Times of day, ascending. Empty with <see cref="Every"/>.</summary>
    public IReadOnlyList<TimeSpan> Times { get; }

    /// <summary>The interval of an <c>every</c> schedule, or null.</summary>
    public TimeSpan? Every { get; }

    /// <summary>The shortest interval <c>every</c> accepts.</summary>
    public static readonly TimeSpan MinimumEvery = TimeSpan.FromMinutes(5);

    /// <summary>Parses a schedule; false with a reason when it is not one.</summary>
    public static bool TryParse(string? text, out SnapshotSchedule? schedule, out string? error)
    {
        schedule = null;
        error = null;
        var parts = (text ?? "").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0].Equals("every", StringComparison.OrdinalIgnoreCase))
        {
            var n = parts[1];
            var unit = n.Length > 0 ? char.ToLowerInvariant(n[^1]) : ' ';
            if (unit is not ('h' or 'm') || !int.TryParse(n.AsSpan(0, n.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
            {
                error = $"'{n}' is not an interval: use a whole number of hours or minutes, e.g. 'every 6h' or 'every 30m'";
                return false;
            }
            var every = unit == 'h' ? TimeSpan.FromHours(count) : TimeSpan.FromMinutes(count);
            if (every < MinimumEvery) { error = $"'every {n}' is too often: the shortest interval is 5m"; return false; }
            if (every > TimeSpan.FromDays(7)) { error = $"'every {n}' is longer than a week: use days and a time, e.g. 'Sun 02:00'"; return false; }
            schedule = new SnapshotSchedule(new HashSet<DayOfWeek>(), [], every);
            return true;
        }
        if (parts.Length is < 1 or > 2)
        {
            error = "expected '[Days ]HH:MM' (UTC), e.g. 'Mon-Fri 02:00', or 'every Nh' / 'every Nm'";
            return false;
        }
        var days = new HashSet<DayOfWeek>();
        if (parts.Length == 2 && !TryDays(parts[0], days, out error)) return false;
        var times = new List<TimeSpan>();
        foreach (var t in parts[^1].Split(','))
        {
            if (!TimeSpan.TryParseExact(t, @"hh\:mm", CultureInfo.InvariantCulture, out var time))
            {
                error = $"'{t}' is not a time of day HH:MM (UTC)";
                return false;
            }
            times.Add(time);
        }
        schedule = new SnapshotSchedule(days, [.. times.Distinct().Order()], null);
        return true;
    }

    private static bool TryDays(string text, HashSet<DayOfWeek> days, out string? error)
    {
        error = null;
        foreach (var item in text.Split(','))
        {
            var range = item.Split('-');
            if (range.Length > 2) { error = $"'{item}' is not a day or a range of days (e.g. Mon-Fri)"; return false; }
            var first = Day(range[0]);
            var last = Day(range[^1]);
            if (first is null || last is null)
            {
                error = $"'{(first is null ? range[0] : range[^1])}' is not a day (use {string.Join(", ", DayNames)})";
                return false;
            }
            for (var d = (int)first; ; d = (d + 1) % 7)
            {
                days.Add((DayOfWeek)d);
                if (d == (int)last) break;
            }
        }
        return true;
    }

    private static DayOfWeek? Day(string name)
    {
        var index = Array.FindIndex(DayNames, d => string.Equals(d, name, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : (DayOfWeek)index;
    }

    /// <summary>The newest slot at or before <paramref name="now"/> (within the last eight days), or null when there is none.</summary>
    public DateTimeOffset? Previous(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        if (Every is { } every)
        {
            var ticks = utc.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            return new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ticks - (ticks % every.Ticks), TimeSpan.Zero);
        }
        for (var back = 0; back <= 7; back++)
        {
            var day = new DateTimeOffset(utc.UtcDateTime.Date, TimeSpan.Zero).AddDays(-back);
            if (Days.Count > 0 && !Days.Contains(day.DayOfWeek)) continue;
            for (var i = Times.Count - 1; i >= 0; i--)
            {
                var slot = day + Times[i];
                if (slot <= utc) return slot;
            }
        }
        return null;
    }

    /// <summary>The first slot after <paramref name="now"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        if (Every is { } every) return Previous(utc)!.Value + every;
        for (var ahead = 0; ahead <= 8; ahead++)
        {
            var day = new DateTimeOffset(utc.UtcDateTime.Date, TimeSpan.Zero).AddDays(ahead);
            if (Days.Count > 0 && !Days.Contains(day.DayOfWeek)) continue;
            foreach (var time in Times)
            {
                var slot = day + time;
                if (slot > utc) return slot;
            }
        }
        throw new InvalidOperationException("a schedule has at least one day and one time");
    }

    /// <summary>True when a snapshot is due at <paramref name="now"/>, given the newest scheduled one (null: none yet).</summary>
    public bool IsDue(DateTimeOffset now, DateTimeOffset? lastTaken) =>
        Previous(now) is { } slot && (lastTaken is not { } last || last < slot);
}
