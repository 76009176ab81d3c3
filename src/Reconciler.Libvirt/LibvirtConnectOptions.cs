namespace Reconciler.Libvirt;

/// <summary>How to open a <see cref="LibvirtConnection"/>.</summary>
public sealed record LibvirtConnectOptions
{
    /// <summary>Open a read-only connection (<c>VIR_CONNECT_RO</c>).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Start <see cref="LibvirtEventLoop"/> before connecting. Required for
    /// <see cref="LibvirtConnection.RegisterDomainLifecycleEvents"/>,
    /// <see cref="LibvirtConnection.SetKeepAlive"/> and close callbacks on remote connections:
    /// libvirt only wires a connection to the event loop if the loop existed when it was opened.
    /// </summary>
    public bool EnableEvents { get; init; }

    /// <summary>
    /// Answers libvirt's credential requests while connecting (SASL, SSH, the test driver's
    /// <c>&lt;auth&gt;</c>...). Return null to decline a request (the open then fails). When null,
    /// no authentication callback is given to libvirt.
    /// </summary>
    public Func<LibvirtCredentialRequest, string?>? Credentials { get; init; }
}

/// <summary>The kind of credential libvirt asks for (<c>virConnectCredentialType</c>).</summary>
public enum LibvirtCredentialType
{
    /// <summary>Identity to act as (<c>VIR_CRED_USERNAME</c>).</summary>
    Username = 1,

    /// <summary>Identity to authorize as (<c>VIR_CRED_AUTHNAME</c>).</summary>
    AuthName = 2,

    /// <summary>RFC 1766 languages (<c>VIR_CRED_LANGUAGE</c>).</summary>
    Language = 3,

    /// <summary>Client nonce (<c>VIR_CRED_CNONCE</c>).</summary>
    ClientNonce = 4,

    /// <summary>Passphrase secret (<c>VIR_CRED_PASSPHRASE</c>).</summary>
    Passphrase = 5,

    /// <summary>Challenge response, echoed (<c>VIR_CRED_ECHOPROMPT</c>).</summary>
    EchoPrompt = 6,

    /// <summary>Challenge response, not echoed (<c>VIR_CRED_NOECHOPROMPT</c>).</summary>
    NoEchoPrompt = 7,

    /// <summary>Authentication realm (<c>VIR_CRED_REALM</c>).</summary>
    Realm = 8,

    /// <summary>Externally managed credential (<c>VIR_CRED_EXTERNAL</c>).</summary>
    External = 9,
}

/// <summary>One credential libvirt asks for while connecting.</summary>
/// <param name="Type">What is asked for.</param>
/// <param name="Prompt">libvirt's prompt text.</param>
/// <param name="Challenge">Additional challenge text, if any.</param>
/// <param name="DefaultResult">libvirt's suggested answer, if any.</param>
public sealed record LibvirtCredentialRequest(LibvirtCredentialType Type, string Prompt, string? Challenge, string? DefaultResult);
