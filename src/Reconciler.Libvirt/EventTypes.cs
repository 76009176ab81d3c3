namespace Reconciler.Libvirt;

/// <summary>What happened to a domain (<c>virDomainEventType</c>).</summary>
public enum DomainEventType
{
    /// <summary>Defined or updated (<c>VIR_DOMAIN_EVENT_DEFINED</c>).</summary>
    Defined = 0,

    /// <summary>Undefined (<c>VIR_DOMAIN_EVENT_UNDEFINED</c>).</summary>
    Undefined = 1,

    /// <summary>Started (<c>VIR_DOMAIN_EVENT_STARTED</c>).</summary>
    Started = 2,

    /// <summary>Paused (<c>VIR_DOMAIN_EVENT_SUSPENDED</c>).</summary>
    Suspended = 3,

    /// <summary>Resumed (<c>VIR_DOMAIN_EVENT_RESUMED</c>).</summary>
    Resumed = 4,

    /// <summary>Stopped (<c>VIR_DOMAIN_EVENT_STOPPED</c>).</summary>
    Stopped = 5,

    /// <summary>Guest shutdown progress (<c>VIR_DOMAIN_EVENT_SHUTDOWN</c>).</summary>
    Shutdown = 6,

    /// <summary>Power-management suspended (<c>VIR_DOMAIN_EVENT_PMSUSPENDED</c>).</summary>
    PmSuspended = 7,

    /// <summary>Crashed (<c>VIR_DOMAIN_EVENT_CRASHED</c>).</summary>
    Crashed = 8,
}

/// <summary>A domain lifecycle event (<c>VIR_DOMAIN_EVENT_ID_LIFECYCLE</c>).</summary>
/// <param name="DomainName">The domain's name.</param>
/// <param name="DomainUuid">The domain's UUID in string form.</param>
/// <param name="Type">What happened.</param>
/// <param name="Detail">The type-specific detail code (e.g. <c>virDomainEventStoppedDetailType</c>).</param>
public sealed record DomainLifecycleEvent(string DomainName, string DomainUuid, DomainEventType Type, int Detail);

/// <summary>Why a connection was closed (<c>virConnectCloseReason</c>).</summary>
public enum ConnectionCloseReason
{
    /// <summary>Miscellaneous I/O error (<c>VIR_CONNECT_CLOSE_REASON_ERROR</c>).</summary>
    Error = 0,

    /// <summary>End of file from the server (<c>VIR_CONNECT_CLOSE_REASON_EOF</c>).</summary>
    Eof = 1,

    /// <summary>The keep-alive timer fired (<c>VIR_CONNECT_CLOSE_REASON_KEEPALIVE</c>).</summary>
    KeepAlive = 2,

    /// <summary>The client asked for it (<c>VIR_CONNECT_CLOSE_REASON_CLIENT</c>).</summary>
    Client = 3,
}
