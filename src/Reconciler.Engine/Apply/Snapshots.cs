using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>Who made one of Reconciler's snapshots.</summary>
public enum SnapshotOrigin
{
    /// <summary>The controller, on the domain's <c>spec.snapshots.schedule</c>.</summary>
    Schedule,

    /// <summary>An apply, before a restart or replace change (<c>snapshotBeforeUpdate: true</c>).</summary>
    Update,

    /// <summary><c>reconcile snapshot NAME DIR</c>.</summary>
    Hand,
}

/// <summary>One of Reconciler's snapshots of a domain, as read back from libvirt.</summary>
/// <param name="Name">The snapshot's name (<c>reconciler-YYYYMMDDTHHMMSSZ</c>, maybe with a <c>-N</c> suffix).</param>
/// <param name="TakenAt">When Reconciler took it, by the clock it was taken with (the time in its name); libvirt's creation time for a name without one.</param>
/// <param name="Kind">Internal or external (from its XML: an external memory or disk snapshot makes it external).</param>
/// <param name="Origin">Who made it (from its description; older snapshots without one were taken before updates).</param>
/// <param name="State">The domain's state when taken (running, shutoff…).</param>
/// <param name="Quiesced">True when the guest's filesystems were frozen, false when a freeze was asked for but not done, null when none was asked for.</param>
/// <param name="Label">The <c>--label</c> given by hand, or null.</param>
/// <param name="Revision">The source revision in force when taken, or null.</param>
/// <param name="SizeBytes">The size it takes, when known (libvirt does not report it for internal snapshots), else null.</param>
/// <param name="Description">Its description as stored.</param>
public sealed record SnapshotInfo(string Name, DateTimeOffset TakenAt, SnapshotKind Kind, SnapshotOrigin Origin, string State, bool? Quiesced,
    string? Label, string? Revision, long? SizeBytes, string Description);

/// <summary>What taking one snapshot did.</summary>
/// <param name="Name">The snapshot taken, or null when none was (see <paramref name="Skipped"/>).</param>
/// <param name="Quiesced">As in <see cref="SnapshotInfo.Quiesced"/>.</param>
/// <param name="Skipped">Why no snapshot was taken (the freeze failed and the policy says skip), or null.</param>
/// <param name="QuiesceError">The agent's error when a freeze was asked for and failed, else null.</param>
/// <param name="Pruned">Reconciler's older snapshots deleted after it, oldest first.</param>
public sealed record SnapshotTaken(string? Name, bool? Quiesced, string? Skipped, string? QuiesceError, IReadOnlyList<string> Pruned)
{
    /// <summary>Why older snapshots beyond the retention were kept this time (an external one's merge failed or waits for the domain to run), else empty.</summary>
    public IReadOnlyList<string> Kept { get; init; } = [];
}

/// <summary>
/// The mechanics of one snapshot kind: how a snapshot is created and how it is deleted. The one seam
/// between the snapshot policy (names, origins, the freeze, retention) and what libvirt does.
/// </summary>
public interface ISnapshotMechanics
{
    /// <summary>Creates a snapshot with this name and description of <paramref name="domain"/>, as it is now.</summary>
    void Create(LibvirtDomain domain, string name, string description);

    /// <summary>Deletes the snapshot <paramref name="name"/> of <paramref name="domain"/> (for an external one: merging its overlays back first).</summary>
    /// <returns>Null when it was deleted; otherwise why it was kept (the domain is left usable, on its chain as before).</returns>
    string? Delete(LibvirtDomain domain, string name);
}

/// <summary>Internal snapshots: held inside each qcow2 image, memory included for a running domain (which pauses while it is written).</summary>
public sealed class InternalSnapshots : ISnapshotMechanics
{
    /// <summary>The one instance.</summary>
    public static InternalSnapshots Instance { get; } = new();

    private InternalSnapshots()
    {
    }

    /// <inheritdoc/>
    public void Create(LibvirtDomain domain, string name, string description)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var xml = new XElement("domainsnapshot", new XElement("name", name), new XElement("description", description));
        domain.CreateSnapshot(xml.ToString(), SnapshotCreateFlags.None);
    }

    /// <inheritdoc/>
    public string? Delete(LibvirtDomain domain, string name)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain.DeleteSnapshot(name, SnapshotDeleteFlags.None);
        return null;
    }
}

/// <summary>
/// External snapshots through <see cref="ExternalSnapshots"/>: disk-only overlays beside each file
/// disk, no memory, no pause beyond the freeze that <see cref="Snapshots.Take"/> does around
/// <see cref="Create"/>; deleting one merges its overlays back (block commit) while the domain runs.
/// </summary>
public sealed class ExternalSnapshotMechanics : ISnapshotMechanics
{
    private static readonly ExternalSnapshots Engine = new();

    /// <summary>The one instance.</summary>
    public static ExternalSnapshotMechanics Instance { get; } = new();

    private ExternalSnapshotMechanics()
    {
    }

    /// <inheritdoc/>
    /// <exception cref="LibvirtException">libvirt refused it, or a disk cannot have an overlay (the message names it).</exception>
    public void Create(LibvirtDomain domain, string name, string description)
    {
        try
        {
            // The freeze, when asked, is Snapshots.Take's around this call, so its fallback is the same for both kinds.
            Engine.Take(domain, name, description, quiesce: false);
        }
        catch (ExternalSnapshotException e)
        {
            throw new LibvirtException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public string? Delete(LibvirtDomain domain, string name)
    {
        var outcome = Engine.Prune(domain, name);
        switch (outcome.Status)
        {
            case ExternalPruneStatus.Merged:
                return null;
            case ExternalPruneStatus.NotExternal:
                return InternalSnapshots.Instance.Delete(domain, name);
            default:
                return outcome.Message;
        }
    }
}

/// <summary>
/// Snapshots Reconciler takes: on a domain's schedule (the controller), by hand
/// (<c>reconcile snapshot</c>) and before a restart or replace change (<c>snapshotBeforeUpdate: true</c>).
/// They are named <c>reconciler-YYYYMMDDTHHMMSSZ</c> (with <c>-2</c>, <c>-3</c>… when that name is
/// taken, so several in one second stay distinct), carry their origin, revision and freeze in their
/// description, are pruned to the spec's <c>snapshotsToKeep</c> after each new one (only those with
/// the prefix), and restored by <c>reconcile rollback NAME</c>. Snapshots anyone else made are never touched.
/// </summary>
public static partial class Snapshots
{
    /// <summary>The name prefix of Reconciler's snapshots.</summary>
    public const string Prefix = "reconciler-";

    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The mechanics of <paramref name="kind"/>.</summary>
    public static ISnapshotMechanics For(SnapshotKind kind) => kind switch
    {
        SnapshotKind.Internal => InternalSnapshots.Instance,
        SnapshotKind.External => ExternalSnapshotMechanics.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such snapshot kind"),
    };

    /// <summary>
    /// Takes a snapshot now under <paramref name="policy"/> (kind, freeze), then prunes Reconciler's
    /// snapshots to <paramref name="keep"/>. With <c>quiesce</c> on a running domain the guest's
    /// filesystems are frozen through the agent for the moment of the snapshot and thawed after
    /// (even when the snapshot fails); when the freeze fails, <see cref="QuiesceFailure.Skip"/> takes
    /// nothing (and prunes nothing), <see cref="QuiesceFailure.Proceed"/> takes it unfrozen.
    /// </summary>
    /// <exception cref="LibvirtException">libvirt refused the snapshot or a deletion.</exception>
    public static SnapshotTaken Take(LibvirtDomain domain, SnapshotPolicy policy, int keep, SnapshotOrigin origin, string? revision, DateTimeOffset now, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(policy);
        var mechanics = For(policy.Kind);
        var frozen = false;
        bool? quiesced = null;
        string? quiesceError = null;
        if (policy.Quiesce && domain.IsActive)
        {
            try
            {
                domain.FreezeFilesystems();
                frozen = true;
                quiesced = true;
            }
            catch (LibvirtException e)
            {
                quiesced = false;
                quiesceError = e.Message;
                if (policy.OnQuiesceFailure == QuiesceFailure.Skip)
                {
                    return new SnapshotTaken(null, false, $"the guest agent did not freeze the filesystems ({e.Message}); onQuiesceFailure: skip", e.Message, []);
                }
            }
        }
        string name;
        try
        {
            name = UniqueName(domain.ListSnapshotNames(), now);
            mechanics.Create(domain, name, Describe(origin, revision, quiesced, label));
        }
        finally
        {
            if (frozen) domain.ThawFilesystems();
        }
        var (pruned, kept) = Prune(domain, keep);
        return new SnapshotTaken(name, quiesced, null, quiesceError, pruned) { Kept = kept };
    }

    /// <summary>
    /// The name for a snapshot taken at <paramref name="now"/> that none of <paramref name="existing"/> has,
    /// and that sorts after every one of them taken in the same second: the suffix is one past the highest
    /// there (a name freed by a prune is not reused, or the newest would sort as the oldest and be pruned).
    /// </summary>
    public static string UniqueName(IReadOnlyCollection<string> existing, DateTimeOffset now)
    {
        var stem = Prefix + now.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);
        var highest = existing.Where(n => n == stem || n.StartsWith(stem + "-", StringComparison.Ordinal)).Select(Sequence).DefaultIfEmpty(0).Max();
        return highest == 0 ? stem : $"{stem}-{highest + 1}";
    }

    /// <summary>The description that records a snapshot's origin (read back by <see cref="Read"/>).</summary>
    internal static string Describe(SnapshotOrigin origin, string? revision, bool? quiesced, string? label)
    {
        var parts = new List<string> { "taken by Reconciler", "origin=" + origin.ToString().ToLowerInvariant() };
        if (revision is not null) parts.Add("revision=" + revision);
        if (quiesced is { } q) parts.Add("quiesced=" + (q ? "yes" : "no"));
        if (label is not null) parts.Add("label=" + label.ReplaceLineEndings(" ").Replace(';', ','));
        return string.Join("; ", parts);
    }

    /// <summary>Reconciler's snapshots of <paramref name="domain"/> (by name prefix), oldest first.</summary>
    public static IReadOnlyList<string> List(LibvirtDomain domain) => Read(domain).Select(s => s.Name).ToList();

    /// <summary>Reconciler's snapshots of <paramref name="domain"/> with what their XML says, oldest first.</summary>
    public static IReadOnlyList<SnapshotInfo> Read(LibvirtDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var result = new List<SnapshotInfo>();
        foreach (var name in domain.ListSnapshotNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            string xml;
            try
            {
                xml = domain.GetSnapshotXml(name);
            }
            catch (LibvirtNotFoundException)
            {
                continue; // deleted in between
            }
            result.Add(Parse(name, XElement.Parse(xml)));
        }
        return [.. result.OrderBy(s => s.TakenAt).ThenBy(s => Sequence(s.Name)).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Deletes Reconciler's oldest snapshots beyond <paramref name="keep"/>, oldest first, each by its
    /// own kind's mechanics. The first one that is kept (an external snapshot whose merge failed or
    /// whose domain is not running) ends the pruning: the newer ones stay, and a later prune retries.
    /// </summary>
    /// <returns>The names deleted, and why one was kept (empty when none was).</returns>
    public static (IReadOnlyList<string> Deleted, IReadOnlyList<string> Kept) Prune(LibvirtDomain domain, int keep)
    {
        var ours = Read(domain);
        var doomed = ours.Take(Math.Max(0, ours.Count - keep)).ToList();
        var deleted = new List<string>();
        foreach (var s in doomed)
        {
            if (For(s.Kind).Delete(domain, s.Name) is { } why) return (deleted, [why]);
            deleted.Add(s.Name);
        }
        return (deleted, []);
    }

    private static SnapshotInfo Parse(string name, XElement x)
    {
        var description = (string?)x.Element("description") ?? "";
        var created = long.TryParse((string?)x.Element("creationTime"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var secs)
            ? DateTimeOffset.FromUnixTimeSeconds(secs) : DateTimeOffset.MinValue;
        var stamp = name.Length >= Prefix.Length + 16
            && DateTimeOffset.TryParseExact(name.AsSpan(Prefix.Length, 16), StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : created;
        var external = (string?)x.Element("memory")?.Attribute("snapshot") == "external"
            || (x.Element("disks")?.Elements("disk").Any(d => (string?)d.Attribute("snapshot") == "external") ?? false);
        var fields = DescriptionField().Matches(description).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim(), StringComparer.Ordinal);
        var origin = fields.GetValueOrDefault("origin") switch
        {
            "schedule" => SnapshotOrigin.Schedule,
            "hand" => SnapshotOrigin.Hand,
            _ => SnapshotOrigin.Update, // "taken by Reconciler before applying revision X" (before origins were recorded)
        };
        var legacy = LegacyRevision().Match(description);
        var revision = fields.GetValueOrDefault("revision") ?? (legacy.Success ? legacy.Groups[1].Value : null);
        bool? quiesced = fields.GetValueOrDefault("quiesced") switch { "yes" => true, "no" => false, _ => null };
        return new SnapshotInfo(name, stamp, external ? SnapshotKind.External : SnapshotKind.Internal, origin,
            (string?)x.Element("state") ?? "unknown", quiesced, fields.GetValueOrDefault("label"), revision, null, description);
    }

    /// <summary>The <c>-N</c> suffix of a name (1 without one), so that <c>-10</c> sorts after <c>-9</c>.</summary>
    private static int Sequence(string name)
    {
        var rest = name.AsSpan(Math.Min(name.Length, Prefix.Length + 16));
        return rest.Length > 1 && rest[0] == '-' && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
    }

    [GeneratedRegex(@"(?:^|; )(origin|revision|quiesced|label)=([^;]*)")]
    private static partial Regex DescriptionField();

    [GeneratedRegex(@"before applying revision (\S+)")]
    private static partial Regex LegacyRevision();
}
