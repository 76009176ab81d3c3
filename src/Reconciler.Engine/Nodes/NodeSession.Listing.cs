using System.Runtime.ExceptionServices;

namespace Reconciler.Engine.Nodes;

/// <summary>Listing a node's domains: run states from filtered listings, and the bounded parallel loop the reads share.</summary>
internal sealed partial class NodeSession
{
    /// <summary>What a listing already told about one domain; a null run state is asked for one by one.</summary>
    private readonly record struct Listed(LiveRunState? RunState, bool Persistent, bool Autostart);

    /// <summary>
    /// Run state, persistence and autostart of every listed domain from five filtered listings.
    /// States other than running, paused and shut off (blocked, shutting down, crashed, suspended)
    /// and domains that changed state between the listings get a null run state: <see cref="ReadDomain(LibvirtDomain, Listed?)"/>
    /// asks for it. A driver that refuses a filter gets nulls throughout: everything is asked per domain.
    /// </summary>
    private static Listed?[] ListStates(LibvirtConnection connection, IReadOnlyList<LibvirtDomain> listed)
    {
        var known = new Listed?[listed.Count];
        if (listed.Count == 0) return known;
        HashSet<string> Uuids(DomainListFlags flags)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var domain in connection.ListAllDomains(flags))
            {
                using (domain) set.Add(domain.Uuid);
            }
            return set;
        }
        HashSet<string> transient, autostart, running, paused, shutoff;
        try
        {
            transient = Uuids(DomainListFlags.Transient);
            autostart = Uuids(DomainListFlags.Autostart);
            running = Uuids(DomainListFlags.Running);
            paused = Uuids(DomainListFlags.Paused);
            shutoff = Uuids(DomainListFlags.Shutoff);
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            return known;
        }
        for (var i = 0; i < listed.Count; i++)
        {
            var uuid = listed[i].Uuid;
            LiveRunState? state = running.Contains(uuid) ? LiveRunState.Running
                : paused.Contains(uuid) ? LiveRunState.Paused
                : shutoff.Contains(uuid) ? LiveRunState.Stopped
                : null;
            var persistent = !transient.Contains(uuid);
            known[i] = new Listed(state, persistent, persistent && autostart.Contains(uuid));
        }
        return known;
    }

    /// <summary>
    /// Calls <paramref name="body"/> for 0 … <paramref name="count"/>-1 on up to <paramref name="parallelism"/>
    /// threads (the caller's among them); the first exception stops the rest and is rethrown as is.
    /// </summary>
    private static void ForEachParallel(int count, int parallelism, Action<int> body)
    {
        var workers = Math.Min(parallelism, count / 8);
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
