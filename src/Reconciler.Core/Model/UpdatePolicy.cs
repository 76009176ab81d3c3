using System.Globalization;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Model;

/// <summary>Whether Reconciler may restart a running domain to make a change take effect.</summary>
public enum RestartPolicy
{
    /// <summary>Never: changes that need a restart stay pending until the guest restarts by itself.</summary>
    Never,
    /// <summary>Restart as soon as such a change is applied (graceful shutdown, then start).</summary>
    Auto,
    /// <summary>Restart only inside the maintenance window; outside it the change stays pending.</summary>
    Window,
}

/// <summary>A domain's update policy: how far an update may disturb the running guest.</summary>
/// <param name="Restart">Whether Reconciler restarts the domain for changes that need it.</param>
/// <param name="Window">For <see cref="RestartPolicy.Window"/>: when, e.g. <c>Sat,Sun 02:00-04:00</c> (UTC).</param>
/// <param name="MaxDisruption">Overrides the command's <c>--max-disruption</c> for this domain.</param>
public sealed record UpdatePolicy(RestartPolicy Restart = RestartPolicy.Never, string? Window = null, Disruption? MaxDisruption = null)
{
    /// <summary>The policy of a domain that names none: never restart, the command's gate applies.</summary>
    public static readonly UpdatePolicy Default = new();
}

/// <summary>
/// A weekly maintenance window in UTC: optional days (<c>Mon</c>…<c>Sun</c>, comma-separated),
/// then <c>HH:MM-HH:MM</c>. An end before the start wraps past midnight.
/// </summary>
/// <param name="Days">Days the window opens on; empty means every day.</param>
/// <param name="Start">Opening time of day.</param>
/// <param name="End">Closing time of day.</param>
public sealed record RestartWindow(IReadOnlySet<DayOfWeek> Days, TimeSpan Start, TimeSpan End)
{
    private static readonly string[] DayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    /// <summary>Parses a window; false with a reason when it is not one.</summary>
    public static bool TryParse(string? text, out RestartWindow? window, out string? error)
    {
        window = null;
        error = null;
        var parts = (text ?? "").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 1 or > 2) { error = "expected '[Days ]HH:MM-HH:MM', e.g. 'Sat,Sun 02:00-04:00'"; return false; }
        var days = new HashSet<DayOfWeek>();
        if (parts.Length == 2)
        {
            foreach (var day in parts[0].Split(','))
            {
                var index = Array.FindIndex(DayNames, d => string.Equals(d, day, StringComparison.OrdinalIgnoreCase));
                if (index < 0) { error = $"'{day}' is not a day (use {string.Join(", ", DayNames)})"; return false; }
                days.Add((DayOfWeek)index);
            }
        }
        var times = parts[^1].Split('-');
        if (times.Length != 2
            || !TimeSpan.TryParseExact(times[0], @"hh\:mm", CultureInfo.InvariantCulture, out var start)
            || !TimeSpan.TryParseExact(times[1], @"hh\:mm", CultureInfo.InvariantCulture, out var end))
        {
            error = $"'{parts[^1]}' is not HH:MM-HH:MM";
            return false;
        }
        if (start == end) { error = "the window is empty (start equals end)"; return false; }
        window = new RestartWindow(days, start, end);
        return true;
    }

    /// <summary>True when <paramref name="now"/> (converted to UTC) falls inside the window.</summary>
    public bool Contains(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        var time = utc.TimeOfDay;
        if (Start < End) return DayOk(utc.DayOfWeek) && time >= Start && time < End;
        // Wraps past midnight: the part after midnight belongs to the previous day's window.
        return (time >= Start && DayOk(utc.DayOfWeek)) || (time < End && DayOk(utc.AddDays(-1).DayOfWeek));
    }

    private bool DayOk(DayOfWeek day) => Days.Count == 0 || Days.Contains(day);
}
