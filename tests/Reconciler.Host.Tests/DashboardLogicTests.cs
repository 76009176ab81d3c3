using Reconciler.Host.Dashboard;

namespace Reconciler.Host.Tests;

/// <summary>The dashboard's contracts that need no browser: where a form may send you back to, the change signal, the table's query.</summary>
public sealed class DashboardLogicTests
{
    [Theory]
    [InlineData("/resources?q=web", "/resources?q=web")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("/ok\r\nSet-Cookie: x=1", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    public void A_form_returns_only_to_a_local_path(string? given, string expected) =>
        Assert.Equal(expected, DashboardEndpoints.LocalReturn(given));

    [Fact]
    public async Task The_signal_wakes_a_waiter_once_per_change_and_says_the_version()
    {
        var signal = new DashboardSignal();
        var seen = signal.Version;
        var waiting = signal.WaitAsync(seen, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        signal.Changed();
        Assert.Equal(seen + 1, await waiting);
        // Already past what the caller saw: no wait at all.
        Assert.Equal(seen + 1, await signal.WaitAsync(seen, TimeSpan.FromMinutes(5), CancellationToken.None));
        // Nothing new: the timeout gives back the same version; cancellation gives null.
        Assert.Equal(seen + 1, await signal.WaitAsync(seen + 1, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        var cancelled = signal.WaitAsync(seen + 1, TimeSpan.FromMinutes(5), cancel.Token);
        await cancel.CancelAsync();
        Assert.Null(await cancelled);
    }

    [Fact]
    public void The_table_query_filters_by_label_and_condition_and_sorts_both_ways()
    {
        static ResourceStatus R(string name, string state, bool drifted = false) =>
            new("n1", "Domain", name, state, "r", null, [], null, null, [], drifted, 0, null, DateTimeOffset.UnixEpoch);
        var all = new[] { R("b", "Ready"), R("a", "Drifted", drifted: true), R("c", "Ready") };
        var labels = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["a"] = new Dictionary<string, string> { ["tier"] = "web" },
            ["b"] = new Dictionary<string, string> { ["tier"] = "db" },
        };
        string Names(ResourceQuery q) => string.Join(",", DashboardData.Filter(all, q, labels).Select(r => r.Name));
        Assert.Equal("a,b,c", Names(ResourceQuery.None));
        Assert.Equal("c,b,a", Names(ResourceQuery.None with { Descending = true }));
        Assert.Equal("a", Names(ResourceQuery.None with { Label = "tier=web" }));
        Assert.Equal("a,b", Names(ResourceQuery.None with { Label = "tier" }));
        Assert.Equal("a", Names(ResourceQuery.None with { Condition = "attention" }));
        Assert.Equal("b,c", Names(ResourceQuery.None with { Condition = "ready" }));
        Assert.Equal("a", Names(ResourceQuery.None with { Search = "DRIFT" }));
        Assert.Equal("a,b,c", Names(ResourceQuery.None with { Sort = "node" }));
        Assert.Equal("/resources?sort=state", ResourceQuery.None.SortLink("state"));
        Assert.Equal("/resources?sort=state&dir=desc", (ResourceQuery.None with { Sort = "state" }).SortLink("state"));
    }
}
