using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out <see cref="ChangeAction.Migrate"/>: a running domain is live-migrated (persistent
/// on the target, undefined on the source); a stopped one is defined on the target from its
/// source definition (same UUID, same owner metadata) and then undefined on the source. A failed
/// live migration leaves the domain running on the source, and the step's error says so.
/// </summary>
internal static class Migration
{
    private const MigrateFlags Base = MigrateFlags.Live | MigrateFlags.PersistDest | MigrateFlags.UndefineSource;

    /// <summary>Moves <paramref name="change"/>'s domain from its source node to <paramref name="target"/>.</summary>
    public static void Execute(IReadOnlyDictionary<string, NodeSession> sessions, NodeSession target, ResourceChange change, TextWriter progress)
    {
        if (change.FromNode is not { } from || !sessions.TryGetValue(from, out var source))
        {
            throw new ApplyStepException($"source node '{change.FromNode}' of {change.Name} is not connected; nothing was moved");
        }
        using var domain = source.Connection.LookupDomainByName(change.Name)
            ?? throw new ApplyStepException($"domain {change.Name} is no longer on node {from}");
        if (domain.IsActive)
        {
            Live(domain, source, target, change, progress);
        }
        else
        {
            Cold(domain, target, change);
        }
        using var moved = target.Connection.LookupDomainByName(change.Name)
            ?? throw new ApplyStepException($"domain {change.Name} is not on node {target.Target.Name} after the move");
        if (change.Desired is { } desired && moved.Autostart != desired.Autostart) moved.Autostart = desired.Autostart;
    }

    private static void Live(LibvirtDomain domain, NodeSession source, NodeSession target, ResourceChange change, TextWriter progress)
    {
        var destUri = target.Target.Uri;
        var migrateUri = IsLocal(source.Target.Uri) && IsLocal(destUri) ? "tcp://127.0.0.1" : null;
        // Copied storage: libvirt creates each disk image on the target (in the pool holding its
        // path) and mirrors it over NBD before the guest switches over; shared storage moves only
        // memory and device state, and libvirt refuses disks that are not on a shared filesystem.
        var copy = (change.Desired?.Migration ?? MigrationPolicy.Default).Storage == MigrationStorage.Copy;
        var flags = Base | (copy ? MigrateFlags.NonSharedDisk : MigrateFlags.None);
        var storage = copy ? "copying the disks" : "shared storage";
        try
        {
            if (HasHost(destUri) && !IsLocalhostName(destUri))
            {
                progress.WriteLine($"    live migration, peer-to-peer to {destUri}, {storage}");
                domain.Migrate(destUri, flags | MigrateFlags.PeerToPeer, migrateUri: migrateUri);
            }
            else
            {
                // A socket URI (qemu:///system) means something else to the source daemon (its own
                // socket), and libvirt refuses peer-to-peer to a host named localhost ("Attempt to
                // migrate guest to the same host"), so the client drives both sides over the
                // connections it already holds.
                progress.WriteLine($"    live migration to {destUri} (driven by this client: the target has no address the source daemon can dial), {storage}");
                domain.MigrateTo(target.Connection, flags, migrateUri);
            }
        }
        catch (LibvirtException e)
        {
            var state = "in an unknown state";
            try
            {
                using var still = source.Connection.LookupDomainByName(change.Name);
                state = still is null ? "gone" : still.IsActive ? "still running" : "stopped";
            }
            catch (LibvirtException)
            {
                // The source could not be asked; say so below.
            }
            var hint = !copy && e.Message.Contains("shared storage", StringComparison.OrdinalIgnoreCase)
                ? "; its disks are not on storage both nodes share: set spec.migration.storage: copy to copy them" : "";
            throw new ApplyStepException(
                $"live migration from {change.FromNode} to {change.Node} failed: {e.Message}; the domain is {state} on node {change.FromNode}{hint}");
        }
    }

    private static void Cold(LibvirtDomain domain, NodeSession target, ResourceChange change)
    {
        var xml = domain.GetXmlDesc(DomainXmlFlags.Inactive | DomainXmlFlags.Secure);
        using (target.Connection.DefineDomain(xml, validate: false))
        {
        }
        try
        {
            domain.Undefine(UndefineFlags.KeepNvram);
        }
        catch (LibvirtException e)
        {
            throw new ApplyStepException(
                $"{change.Name} was defined on {change.Node} but could not be undefined on {change.FromNode}: {e.Message}; the next plan shows it on both nodes");
        }
    }

    /// <summary>True when the URI names a network host (so another daemon can dial it).</summary>
    internal static bool HasHost(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host);

    /// <summary>True when the URI's host is localhost (or localhost.*): libvirt refuses it as a peer-to-peer destination.</summary>
    internal static bool IsLocalhostName(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.Host.StartsWith("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the URI reaches this machine (a socket, or a loopback address).</summary>
    internal static bool IsLocal(string uri) =>
        !System.Uri.TryCreate(uri, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host) || u.IsLoopback;
}
