using System.Globalization;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>One field of a domain as the planner compares it: a manifest path and a canonical text value.</summary>
/// <param name="Path">Manifest path, e.g. <c>spec.memory</c> or <c>spec.disks[1].bus</c>.</param>
/// <param name="Value">Canonical value; null means "not specified": the field is not owned and never diffed.</param>
public sealed record FieldValue(string Path, string? Value);

/// <summary>One field whose desired value differs from the live one.</summary>
/// <param name="Path">Manifest path.</param>
/// <param name="Before">Live value (null when absent).</param>
/// <param name="After">Desired value (null when removed).</param>
public sealed record FieldDiff(string Path, string? Before, string? After);

/// <summary>
/// The one place that says which fields of a <see cref="DomainSpec"/> the spec owns and how they
/// compare. The power state and autostart are not part of the definition and are compared by the
/// planner from the live run state; everything here is read back from the persistent XML.
/// </summary>
public static class DomainFields
{
    /// <summary>The definition's fields, in a stable order, with canonical values.</summary>
    public static IReadOnlyList<FieldValue> Flatten(DomainSpec spec) => Flatten(spec, spec.Disks);

    /// <summary>The most fields one flatten has given so far: the next list starts that large instead of growing step by step.</summary>
    private static int s_capacity = 64;

    private static List<FieldValue> Flatten(DomainSpec spec, IReadOnlyList<DiskSpec?> disks)
    {
        var f = new List<FieldValue>(Volatile.Read(ref s_capacity));
        void Add(string path, string? value) => f.Add(new FieldValue(path, value));

        foreach (var field in BoundFields.Definition) field.FlattenInto(f, spec);
        DeclaredFields.Domain.FlattenInto(f, spec.Declared);
        for (var i = 0; i < disks.Count; i++)
        {
            if (disks[i] is not { } d) continue;
            var paths = ItemPaths.Of(ItemPaths.Disks, "disks", i, DiskFields.All.Count, j => DiskFields.All[j].Row.Name);
            for (var j = 0; j < DiskFields.All.Count; j++) Add(paths[j], DiskFields.All[j].Value(d));
        }
        for (var i = 0; i < spec.Interfaces.Count; i++)
        {
            var n = spec.Interfaces[i];
            var paths = ItemPaths.Of(ItemPaths.Interfaces, "interfaces", i, InterfaceFields.All.Count, j => InterfaceFields.All[j].Row.Name);
            for (var j = 0; j < InterfaceFields.All.Count; j++) Add(paths[j], InterfaceFields.All[j].Value(n));
        }
        for (var j = 0; j < GraphicsFields.All.Count; j++) Add(GraphicsPaths[j], GraphicsFields.All[j].Value(spec.Graphics));
        foreach (var field in BoundFields.Records) field.FlattenInto(f, spec);
        if (f.Count > Volatile.Read(ref s_capacity)) Volatile.Write(ref s_capacity, f.Count);
        return f;
    }

    private static readonly string[] GraphicsPaths = [.. GraphicsFields.All.Select(f => "spec.graphics." + f.Row.Name)];

    /// <summary>
    /// The paths of the fields of the i-th disk or NIC (<c>spec.disks[i].bus</c>, …), made once per
    /// index and kept: every flatten of every domain asks for the same few.
    /// </summary>
    private static class ItemPaths
    {
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string[]> Disks = new();
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string[]> Interfaces = new();

        public static string[] Of(System.Collections.Concurrent.ConcurrentDictionary<int, string[]> cache, string list, int index, int count, Func<int, string> name) =>
            cache.TryGetValue(index, out var paths) ? paths : cache.GetOrAdd(index, i =>
            {
                var prefix = string.Create(CultureInfo.InvariantCulture, $"spec.{list}[{i}].");
                var made = new string[count];
                for (var j = 0; j < count; j++) made[j] = prefix + name(j);
                return made;
            });
    }

    /// <summary>
    /// The owned fields whose values differ. A desired value of null is not owned (libvirt's choice
    /// is kept); a field present on only one side (a disk added or removed) is a difference.
    /// Labels are owned as a whole: a live label that the spec no longer has is a difference.
    /// </summary>
    public static IReadOnlyList<FieldDiff> Diff(DomainSpec desired, DomainSpec live)
    {
        // Both records are immutable: the same pair gives the same differences. The controller
        // compares the same pair on every pass while neither the file nor the definition changed
        // (the spec file cache and the session's parse cache hand back the same records).
        if (LastDiff.TryGetValue(desired, out var last) && ReferenceEquals(last.Live, live)) return last.Diffs;
        var diffs = Compute(desired, live);
        LastDiff.AddOrUpdate(desired, new DiffOf(live, diffs));
        return diffs;
    }

    /// <summary>The last live record each spec record was compared with, and the differences found.</summary>
    private sealed record DiffOf(DomainSpec Live, IReadOnlyList<FieldDiff> Diffs);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DomainSpec, DiffOf> LastDiff = new();

    private static IReadOnlyList<FieldDiff> Compute(DomainSpec desired, DomainSpec live)
    {
        var want = Flatten(desired, desired.Disks);
        var liveFields = Flatten(live, AlignDisks(desired.Disks, live.Disks));
        if (SamePaths(want, liveFields))
        {
            // The usual case (same disks, NICs, labels and patches on both sides): compare field by
            // field; every live field is seen, so no live-only item can be left over.
            List<FieldDiff>? found = null;
            for (var i = 0; i < want.Count; i++)
            {
                var (path, value) = want[i];
                if (value is not null && !Equivalent(path, value, liveFields[i].Value)) (found ??= []).Add(new FieldDiff(path, liveFields[i].Value, value));
            }
            return found ?? (IReadOnlyList<FieldDiff>)[];
        }
        var have = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in liveFields) have[field.Path] = field.Value;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var diffs = new List<FieldDiff>();
        foreach (var (path, value) in want)
        {
            seen.Add(path);
            have.TryGetValue(path, out var current);
            if (value is null) continue;
            if (!Equivalent(path, value, current)) diffs.Add(new FieldDiff(path, current, value));
        }
        foreach (var (path, value) in have)
        {
            if (seen.Contains(path) || value is null) continue;
            // Live-only fields matter only when they describe whole items the spec dropped (a disk,
            // a NIC, a label, a patch); libvirt's extra detail inside an item is never listed.
            if (IsItemField(path)) diffs.Add(new FieldDiff(path, value, null));
        }
        return diffs;
    }

    /// <summary>True when both sides list the same field paths in the same order (paths are unique within a side).</summary>
    private static bool SamePaths(List<FieldValue> a, List<FieldValue> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i].Path, b[i].Path, StringComparison.Ordinal)) return false;
        }
        return true;
    }

    /// <summary>
    /// Puts the live disks in the desired order. libvirt stores disks grouped by bus and sorted by
    /// target, so position means nothing on the live side: a live disk belongs to the desired disk
    /// with the same device and source. Desired disks with no such match take the unmatched live
    /// disks in order (a changed path then reads as that disk's path changing); live disks left
    /// over follow, as disks the spec removed; a desired disk with nothing left is new (null).
    /// </summary>
    public static IReadOnlyList<DiskSpec?> AlignDisks(IReadOnlyList<DiskSpec> desired, IReadOnlyList<DiskSpec> live)
    {
        static string Key(DiskSpec d) => $"{d.Device}|{d.Path}|{d.Pool}|{d.Volume}|{(d.Network is { } n ? DiskTuningFields.Canonical(n) : null)}";
        var used = new bool[live.Count];
        var aligned = new DiskSpec?[desired.Count];
        for (var i = 0; i < desired.Count; i++)
        {
            for (var j = 0; j < live.Count; j++)
            {
                if (used[j] || Key(live[j]) != Key(desired[i])) continue;
                if (desired[i].Target is { } t && live[j].Target != t && live.Skip(j + 1).Any(l => Key(l) == Key(desired[i]) && l.Target == t)) continue;
                aligned[i] = live[j];
                used[j] = true;
                break;
            }
        }
        var rest = new Queue<DiskSpec>(live.Where((_, j) => !used[j]));
        for (var i = 0; i < desired.Count && rest.Count > 0; i++)
        {
            aligned[i] ??= rest.Dequeue();
        }
        return [.. aligned, .. rest];
    }

    /// <summary>True when the desired and live values mean the same thing.</summary>
    public static bool Equivalent(string path, string desired, string? live)
    {
        if (live is null) return false;
        if (string.Equals(desired, live, StringComparison.Ordinal)) return true;
        return BoundFields.Find(new FieldPath(path))?.Equivalent is { } equivalent && equivalent(desired, live);
    }

    /// <summary>
    /// A machine alias matches the versioned name libvirt expands it to: <c>q35</c> ≡ <c>pc-q35-7.2</c>,
    /// <c>pc</c> ≡ <c>pc-i440fx-7.2</c>. A versioned desired name must match exactly.
    /// </summary>
    public static bool MachineMatches(string desired, string live) => BoundFields.MachineMatches(desired, live);

    /// <summary>The field that stands for a whole item: a disk's device, a NIC's model, a label, a patch.</summary>
    private static bool IsItemField(string text)
    {
        var path = new FieldPath(text);
        return (path.TryItemOf(DomainPaths.Disks, out var disk, out _) && path == disk.Field("device"))
            || (path.TryItemOf(DomainPaths.Interfaces, out var nic, out _) && path == nic.Field("model"))
            || (path.IsWithin(DomainPaths.Labels) && path != DomainPaths.Labels)
            || path.TryItemOf(DomainPaths.Xml, out _, out _);
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
