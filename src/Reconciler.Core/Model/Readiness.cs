namespace Reconciler.Core.Model;

/// <summary>What "the guest is ready" means for a domain (<c>spec.readiness</c>).</summary>
public enum ReadinessKind
{
    /// <summary>The domain runs (the default: nothing is asked of the guest).</summary>
    Running,

    /// <summary>The guest agent answers (a call that goes through it succeeds).</summary>
    Agent,

    /// <summary>An address of the guest is known (from leases, the agent or ARP).</summary>
    Address,

    /// <summary>A TCP connect to the guest's first address on <see cref="Readiness.Port"/> succeeds from where Reconciler runs.</summary>
    Tcp,

    /// <summary>A line of the serial console holds <see cref="Readiness.ConsoleText"/>.</summary>
    Console,
}

/// <summary>
/// A domain's readiness check. Not part of the libvirt definition and never compared by the
/// planner: it is read by <c>apply --wait ready</c>, <c>status</c> and the controller's
/// <c>GuestReady</c> condition.
/// </summary>
/// <param name="Kind">Which check.</param>
/// <param name="Port">The TCP port, for <see cref="ReadinessKind.Tcp"/>.</param>
/// <param name="ConsoleText">The text a console line must hold, for <see cref="ReadinessKind.Console"/>.</param>
public sealed record Readiness(ReadinessKind Kind, int? Port = null, string? ConsoleText = null)
{
    /// <summary>The readiness of a domain that declares none: it runs.</summary>
    public static Readiness Default { get; } = new(ReadinessKind.Running);

    /// <summary>The check as a user wrote it, e.g. <c>tcp: 22</c>.</summary>
    public override string ToString() => Kind switch
    {
        ReadinessKind.Agent => "agent",
        ReadinessKind.Address => "address",
        ReadinessKind.Tcp => $"tcp: {Port}",
        ReadinessKind.Console => $"console: \"{ConsoleText}\"",
        _ => "running",
    };
}
