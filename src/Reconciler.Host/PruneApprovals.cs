namespace Reconciler.Host;

/// <summary>
/// One-shot approvals of held mass removals (<c>reconcile approve-prune REVISION</c>): an approval
/// releases the held removals of that revision only, and is dropped as soon as a pass reconciles
/// another revision, so a later mass removal is held again.
/// </summary>
internal sealed class PruneApprovals
{
    private readonly Lock _gate = new();
    private string? _approved;

    /// <summary>Approves the held removals of <paramref name="revision"/>.</summary>
    public void Approve(string revision)
    {
        lock (_gate) _approved = revision;
    }

    /// <summary>Called as a pass starts: true when <paramref name="revision"/>'s removals are approved; an approval of any other revision is dropped.</summary>
    public bool ForPass(string revision)
    {
        lock (_gate)
        {
            if (_approved != revision) _approved = null;
            return _approved is not null;
        }
    }
}
