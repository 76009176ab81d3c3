using System.Xml.Linq;
using Reconciler.Libvirt;

namespace Reconciler.Benchmarks;

/// <summary>
/// The raw baseline for a node far away: the reads a plan needs, made through the same binding on
/// one connection with as many calls in flight as asked (by default all of them: one thread per
/// call). Two waves after the open: every listing and node-wide read at once, then every
/// definition (inactive XML of each domain, live XML of each running one) at once.
/// </summary>
internal static class RawRemote
{
    /// <summary>Open, the reads of a plan in two waves, parse each XML, then define <paramref name="defines"/> (if any), close. Returns the domains read.</summary>
    /// <param name="width">Calls in flight in the second wave; 0: all of them.</param>
    public static int Read(string uri, int width, IReadOnlyList<string>? defines = null)
    {
        using var connection = LibvirtConnection.Open(uri);
        IReadOnlyList<LibvirtDomain> all = [];
        var running = new HashSet<string>(StringComparer.Ordinal);
        DomainListFlags[] filters = [DomainListFlags.Transient, DomainListFlags.Autostart, DomainListFlags.Running, DomainListFlags.Paused, DomainListFlags.Shutoff];
        var firstWave = new List<Action>
        {
            () => all = connection.ListAllDomains(),
            () => Ignore(() => connection.GetNodeInfo()),
            () => Ignore(() => connection.GetFreeMemory()),
            () => DisposeAll(connection.ListAllStoragePools()),
            () => DisposeAll(connection.ListAllNetworks()),
        };
        foreach (var filter in filters)
        {
            firstWave.Add(() =>
            {
                var listed = connection.ListAllDomains(filter);
                if (filter == DomainListFlags.Running)
                {
                    lock (running)
                    {
                        foreach (var d in listed) running.Add(d.Uuid);
                    }
                }
                DisposeAll(listed);
            });
        }
        Concurrently(firstWave.Count, firstWave.Count, i => firstWave[i]());
        try
        {
            var calls = new List<(LibvirtDomain Domain, DomainXmlFlags Flags)>(all.Count * 2);
            foreach (var d in all)
            {
                calls.Add((d, DomainXmlFlags.Inactive));
                if (running.Contains(d.Uuid)) calls.Add((d, DomainXmlFlags.None));
            }
            var parsed = 0;
            Concurrently(calls.Count, width <= 0 ? calls.Count : width, i =>
            {
                try
                {
                    if (XDocument.Parse(calls[i].Domain.GetXmlDesc(calls[i].Flags)).Root is not null) Interlocked.Increment(ref parsed);
                }
                catch (LibvirtNotFoundException)
                {
                }
            });
            foreach (var xml in defines ?? [])
            {
                // The existing domain's UUID, as Reconciler's redefine carries it (a define by name with another UUID is refused).
                var name = XDocument.Parse(xml).Root!.Element("name")!.Value;
                var uuid = all.First(d => d.Name == name).Uuid;
                using var _ = connection.DefineDomain(WithUuid(xml, uuid), validate: true);
            }
            return parsed;
        }
        finally
        {
            DisposeAll(all);
        }
    }

    /// <summary><paramref name="xml"/> with <c>&lt;uuid&gt;</c> set to <paramref name="uuid"/>.</summary>
    public static string WithUuid(string xml, string uuid)
    {
        var document = XDocument.Parse(xml);
        document.Root!.Element("uuid")?.Remove();
        document.Root.Element("name")!.AddAfterSelf(new XElement("uuid", uuid));
        return document.ToString();
    }

    /// <summary>Open, define each XML, close (the define calls alone, for information).</summary>
    public static void Define(string uri, IReadOnlyList<string> xmls)
    {
        using var connection = LibvirtConnection.Open(uri);
        foreach (var xml in xmls)
        {
            using var _ = connection.DefineDomain(xml, validate: true);
        }
    }

    /// <summary>Runs body(0 … count-1) on up to <paramref name="width"/> dedicated threads; rethrows the first failure once all are done.</summary>
    public static void Concurrently(int count, int width, Action<int> body)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<int>(Enumerable.Range(0, count));
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(width, count)))
            .Select(_ => Task.Factory.StartNew(() =>
            {
                while (queue.TryDequeue(out var i)) body(i);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    private static void Ignore(Action call)
    {
        try
        {
            call();
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
        }
    }

    private static void DisposeAll<T>(IEnumerable<T> items) where T : IDisposable
    {
        foreach (var item in items) item.Dispose();
    }
}
