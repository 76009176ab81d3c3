using Reconciler.Libvirt;

namespace Reconciler.Engine.Nodes;

public sealed partial class NodeConnections
{
    /// <summary>
    /// Runs <paramref name="read"/> on the connection the pool holds to <paramref name="target"/>,
    /// without waiting and without connecting (for readers beside the passes, such as the dashboard:
    /// a node gets no second connection). Returns the error instead when the node is not up, is an
    /// in-process node (nothing is held for it), or <paramref name="read"/> fails in libvirt.
    /// </summary>
    public (T? Value, string? Error) ReadHeld<T>(NodeTarget target, Func<LibvirtConnection, T> read)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(read);
        if (IsInProcess(target)) return (default, "an in-process test node: the controller holds no connection to it");
        var (sessions, errors) = Held([target]);
        if (!sessions.TryGetValue(target.Name, out var session)) return (default, errors.GetValueOrDefault(target.Name) ?? "not connected");
        try
        {
            return (read(session.Connection), null);
        }
        catch (LibvirtException e)
        {
            return (default, e.Message);
        }
    }
}
