namespace Reconciler.Engine.Guests;

public sealed partial class GuestWatch
{
    /// <summary>
    /// One node's domains from two listings (all, and the active ones) instead of a lookup and a
    /// state call per domain every round: at thousands of mostly stopped domains those calls were
    /// the controller's whole idle CPU. A stopped domain's guest needs nothing more.
    /// </summary>
    private sealed class NodeListing : IDisposable
    {
        private readonly Dictionary<string, LibvirtDomain> _byName = new(StringComparer.Ordinal);

        /// <summary>Set for a listing of names only: the domains read are looked up by name.</summary>
        private NodeSession? _lookup;

        /// <summary>Names of every domain listed.</summary>
        public HashSet<string> All { get; private init; } = new(StringComparer.Ordinal);

        /// <summary>A listing kept from an earlier round (no lifecycle event since): nothing was asked of libvirt for it.</summary>
        public bool Kept => _lookup is not null;

        /// <summary>Names of the domains that were active (running or paused) when listed.</summary>
        public HashSet<string> Active { get; private init; } = new(StringComparer.Ordinal);

        /// <summary>Lists the session's node; null when the listing fails (its domains are then looked up one by one).</summary>
        public static NodeListing? Read(NodeSession session)
        {
            var listing = new NodeListing();
            try
            {
                foreach (var domain in session.Connection.ListAllDomains(DomainListFlags.Active))
                {
                    using (domain) listing.Active.Add(domain.Name);
                }
                foreach (var domain in session.Connection.ListAllDomains())
                {
                    listing._byName[domain.Name] = domain;
                    listing.All.Add(domain.Name);
                }
                return listing;
            }
            catch (LibvirtException)
            {
                listing.Dispose();
                return null;
            }
        }

        /// <summary>A listing known from before (names only).</summary>
        public static NodeListing Names(HashSet<string> all, HashSet<string> active, NodeSession session) =>
            new() { All = all, Active = active, _lookup = session };

        /// <summary>The listed domain of that name, now the caller's to dispose; null when not listed (or gone since).</summary>
        public LibvirtDomain? Take(string name)
        {
            if (_byName.Remove(name, out var domain)) return domain;
            if (_lookup is null || !All.Contains(name)) return null;
            try
            {
                return _lookup.Connection.LookupDomainByName(name);
            }
            catch (LibvirtException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            foreach (var domain in _byName.Values) domain.Dispose();
            _byName.Clear();
        }
    }
}

/// <summary>
/// How a <see cref="GuestWatch"/> spares guests whose reads have settled. A running guest whose
/// read is complete — it is ready by its check (or runs, when it declares none) — and the same as
/// the read before (state, readiness, reason, every address, the sources skipped) is read again
/// after 2, 4, 8… rounds, at most <paramref name="MaxRounds"/>; any difference, a read that is not
/// complete, a lifecycle event of the domain on the connection it is read over, a reconnect of
/// that connection, or another readiness check in the specs puts it back on every round (an
/// event or a new check: the very next round). A guest not yet ready is read every round.
/// </summary>
/// <param name="MaxRounds">The longest wait between two reads of a settled guest, in rounds (1: every round).</param>
public sealed record GuestBackoff(int MaxRounds);
