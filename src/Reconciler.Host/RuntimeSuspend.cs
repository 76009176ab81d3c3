namespace Reconciler.Host;

/// <summary>
/// The runtime suspend of the dashboard and <c>POST /actions/suspend</c>: while on, passes plan and
/// report but change nothing, as with the <c>--suspend</c> start-up flag. It lasts until resumed or
/// until the controller restarts (it is not persisted); it never lifts the start-up flag.
/// </summary>
internal sealed class RuntimeSuspend
{
    private volatile bool _on;

    /// <summary>True while suspended at runtime.</summary>
    public bool On => _on;

    /// <summary>Turns the runtime suspend on or off; returns whether that changed anything.</summary>
    public bool Set(bool on)
    {
        var was = _on;
        _on = on;
        return was != on;
    }
}
