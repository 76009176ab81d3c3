using System.Runtime.ExceptionServices;

namespace Reconciler.Engine.Nodes;

/// <summary>Listing a node's domains: run states from filtered listings, and the bounded parallel loop the reads share.</summary>
internal sealed partial class NodeSession
{
    /// <summary>What a listing already told about one domain; a null run state is asked for one by one.</summary>
    private readonly record struct Listed(LiveRunState? RunState, bool Persistent, bool Autostart);

    /// <summary>The UUIDs of five filtered listings; null when the driver refuses a filter.</summary>
    private sealed record StateSets(HashSet<string> Transient, HashSet<string> Autostart, HashSet<string> Running, HashSet<string> Paused, HashSet<string> Shutoff);

    /// <summary>
    /// The five filtered listings behind <see cref="MatchStates"/>; with <paramref name="concurrent"/>,
    /// all five calls are in flight at once (one round trip to a remote node instead of five).
    /// Null when the driver refuses a filter; a lost connection is thrown.
    /// </summary>
    private static StateSets? ListStateSets(LibvirtConnection connection, bool concurrent)
    {
        DomainListFlags[] filters = [DomainListFlags.Transient, DomainListFlags.Autostart, DomainListFlags.Running, DomainListFlags.Paused, DomainListFlags.Shutoff];
        var sets = new HashSet<string>[filters.Length];
        void List(int k)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var domain in connection.ListAllDomains(filters[k]))
            {
                using (domain) set.Add(domain.Uuid);
            }
            sets[k] = set;
        }
        try
        {
            ForEachParallel(filters.Length, concurrent ? filters.Length : 1, 1, List);
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            return null;
        }
        return new StateSets(sets[0], sets[1], sets[2], sets[3], sets[4]);
    }

    /// <summary>
    /// Run state, persistence and autostart of every listed domain from the filtered listings.
    /// States other than running, paused and shut off (blocked, shutting down, crashed, suspended)
    /// and domains that changed state between the listings get a null run state: <see cref="ReadDomain(LibvirtDomain, Listed?)"/>
    /// asks for it. Without listings (the driver refused a filter), nulls throughout: everything is asked per domain.
    /// </summary>
    private static Listed?[] MatchStates(IReadOnlyList<LibvirtDomain> listed, StateSets? sets)
    {
        var known = new Listed?[listed.Count];
        if (listed.Count == 0 || sets is null) return known;
        for (var i = 0; i < listed.Count; i++)
        {
            var uuid = listed[i].Uuid;
            LiveRunState? state = sets.Running.Contains(uuid) ? LiveRunState.Running
                : sets.Paused.Contains(uuid) ? LiveRunState.Paused
                : sets.Shutoff.Contains(uuid) ? LiveRunState.Stopped
                : null;
            var persistent = !sets.Transient.Contains(uuid);
            known[i] = new Listed(state, persistent, persistent && sets.Autostart.Contains(uuid));
        }
        return known;
    }

    /// <summary>
    /// Calls <paramref name="body"/> for 0 … <paramref name="count"/>-1 on up to <paramref name="parallelism"/>
    /// threads (the caller's among them), each with at least <paramref name="perWorker"/> items; the
    /// first exception stops the rest and is rethrown as is.
    /// </summary>
    private static void ForEachParallel(int count, int parallelism, int perWorker, Action<int> body)
    {
        var workers = Math.Min(parallelism, count / Math.Max(1, perWorker));
        if (workers <= 1)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        var next = -1;
        ExceptionDispatchInfo? failure = null;
        void Work()
        {
            int i;
            while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                }
            }
        }
        var threads = new Thread[workers - 1];
        for (var t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(Work) { IsBackground = true, Name = "reconcile-read" };
            threads[t].Start();
        }
        Work();
        foreach (var thread in threads) thread.Join();
        failure?.Throw();
    }
}
