using System.Globalization;
using System.Text;

namespace Reconciler.Host;

/// <summary>Renders a <see cref="StatusDocument"/> as the table <c>reconcile status</c> prints.</summary>
public static class StatusText
{
    /// <summary>The table: a header for the controller and the source, then one row per resource.</summary>
    public static string Render(StatusDocument doc)
    {
        var b = new StringBuilder();
        var c = doc.Source.Condition;
        b.Append(CultureInfo.InvariantCulture, $"Controller: {(doc.Ready ? "ready" : "not ready")}{(doc.Suspended ? ", SUSPENDED (changes are not applied)" : "")}, drift: {doc.DriftMode}\n");
        b.Append(CultureInfo.InvariantCulture, $"Source:     {doc.Source.Kind} {doc.Source.Description}\n");
        b.Append(CultureInfo.InvariantCulture, $"Revision:   {Short(doc.Source.AppliedRevision)} in force ({c.Reason}{(c.Status == "True" ? "" : ": " + c.Message)})\n");
        foreach (var reason in doc.Source.RejectedBecause.Take(10)) b.Append("            ").Append(reason.Split('\n')[0]).Append('\n');
        foreach (var n in doc.Nodes)
        {
            b.Append(CultureInfo.InvariantCulture, $"Node:       {n.Name} {n.Uri} {(n.Reachable ? "reachable" : "UNREACHABLE")}, events {(n.EventsConnected ? "connected" : "disconnected")}{(n.LastError is null ? "" : ": " + n.LastError)}\n");
        }
        if (doc.LastPass is { } p)
        {
            b.Append(CultureInfo.InvariantCulture, $"Last pass:  {p.At:yyyy-MM-dd HH:mm:ss}Z, {p.DurationSeconds:0.00}s, {p.Changes} change(s), {p.Applied} applied{(p.Error is null ? "" : ", error: " + p.Error)}\n");
        }
        foreach (var h in doc.HeldPrunes)
        {
            b.Append(CultureInfo.InvariantCulture, $"HELD:       {h.Count} of {h.Owned} owned domains on node {h.Node} would be removed by revision {h.Revision} (mass removal); if intended: reconcile approve-prune {h.Revision}\n");
        }
        b.Append('\n');
        if (doc.Resources.Count == 0)
        {
            b.Append("No resources.\n");
            return b.ToString();
        }
        var rows = new List<string[]> { new[] { "NODE", "KIND", "NAME", "STATE", "REASON", "REVISION", "GUEST", "MESSAGE" } };
        foreach (var r in doc.Resources)
        {
            var message = r.LastError ?? r.Message ?? "";
            if (r.PendingRestart.Count > 0) message = $"restart pending: {string.Join(", ", r.PendingRestart)}" + (message.Length == 0 ? "" : "; " + message);
            if (message.Length > 100) message = message[..97] + "...";
            rows.Add([r.Node, r.Kind, r.Name, r.State, r.Reason, Short(r.LastAppliedRevision), Guest(r.Guest), message]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                b.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }
            b.Append('\n');
        }
        return b.ToString();
    }

    /// <summary>GuestReady and the first address: <c>ready 198.18.9.101</c>, <c>not ready</c>, <c>-</c> when not read.</summary>
    private static string Guest(GuestStatusInfo? g) => g is null ? "-"
        : (g.Ready switch { true => "ready", false => "not ready", null => "unknown" }) + (g.Address is null ? "" : " " + g.Address);

    private static string Short(string? revision) => revision is null or "" ? "-" : revision.Length > 12 ? revision[..12] : revision;
}
