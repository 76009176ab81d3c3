using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;
using Reconciler.Engine.Output;

namespace Reconciler.GitHub;

/// <summary>The state of a commit status, as GitHub names them.</summary>
public enum CommitStatusState
{
    /// <summary>In progress.</summary>
    Pending,
    /// <summary>Done, fine.</summary>
    Success,
    /// <summary>Done, not fine (plan errors, a failed apply).</summary>
    Failure,
    /// <summary>Could not be done at all.</summary>
    Error,
}

/// <summary>One commit status to set.</summary>
/// <param name="Context">The status name, e.g. <c>reconciler/plan</c>.</param>
/// <param name="State">Its state.</param>
/// <param name="Description">At most 140 characters, e.g. <c>3 to create, 1 to update</c>.</param>
public sealed record CommitStatusUpdate(string Context, CommitStatusState State, string Description)
{
    /// <summary>GitHub's limit on a status description.</summary>
    public const int MaxDescription = 140;

    /// <summary>The description cut to GitHub's limit.</summary>
    public string TrimmedDescription => Description.Length <= MaxDescription ? Description : Description[..(MaxDescription - 1)] + "…";
}

/// <summary>The <c>reconciler/plan</c> commit status of a plan: success without errors, failure with.</summary>
public static class PlanCommitStatus
{
    /// <summary>The status context.</summary>
    public const string Context = "reconciler/plan";

    /// <summary>The status for <paramref name="plan"/>.</summary>
    public static CommitStatusUpdate Of(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var errors = plan.Diagnostics.Count(d => d.Severity == Severity.Error);
        var counts = plan.IsEmpty ? "no changes" : Counts(PlanSummary.Of(plan));
        return errors > 0
            ? new(Context, CommitStatusState.Failure, $"{PlanMarkdown.Count(errors, "error")}; {counts}")
            : new(Context, CommitStatusState.Success, plan.IsEmpty ? "No changes" : counts);
    }

    /// <summary>The status for specs that did not load.</summary>
    public static CommitStatusUpdate Invalid(IReadOnlyList<Diagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        var errors = diagnostics.Count(d => d.Severity == Severity.Error);
        return new(Context, CommitStatusState.Failure, $"Invalid specs: {PlanMarkdown.Count(errors, "error")}; no plan");
    }

    /// <summary><c>3 to create, 1 to update</c>: the non-zero counts, or <c>no changes</c>.</summary>
    public static string Counts(PlanSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var parts = new List<string>(3);
        if (summary.Create > 0) parts.Add($"{summary.Create} to create");
        if (summary.Update > 0) parts.Add($"{summary.Update} to update");
        if (summary.Destroy > 0) parts.Add($"{summary.Destroy} to destroy");
        return parts.Count == 0 ? "no changes" : string.Join(", ", parts);
    }
}
