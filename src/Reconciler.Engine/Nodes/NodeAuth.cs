namespace Reconciler.Engine.Nodes;

/// <summary>
/// Answers libvirt's credential requests for one connection attempt from the sources a Node spec's
/// <c>credentials</c> names (environment variables, a file). Read when the connection is opened,
/// never earlier, and never written anywhere: no message built here contains the password.
/// Contract per request type: user name requests (<c>VIR_CRED_AUTHNAME</c>, <c>VIR_CRED_USERNAME</c>)
/// get the configured user name, else libvirt's suggested default; secret requests
/// (<c>VIR_CRED_PASSPHRASE</c>, <c>VIR_CRED_NOECHOPROMPT</c>) get the password; realm, language
/// and client nonce get libvirt's default (or empty); <c>VIR_CRED_ECHOPROMPT</c> (e.g. "accept
/// this host key?") and <c>VIR_CRED_EXTERNAL</c> are declined, which fails the open, and are
/// named in the error.
/// </summary>
internal sealed class NodeAuth
{
    private readonly string? _username;
    private readonly string _password;
    private readonly List<string> _declined = [];

    private NodeAuth(string? username, string password, string describe)
    {
        _username = username;
        _password = password;
        Describe = describe;
    }

    /// <summary>Where the credentials came from, for messages (names of variables and files only).</summary>
    public string Describe { get; }

    /// <summary>True once libvirt asked for the password (so a failure is most likely a wrong one).</summary>
    public bool PasswordAsked { get; private set; }

    /// <summary>What was declined, for the error message.</summary>
    public IReadOnlyList<string> Declined => _declined;

    /// <summary>
    /// Reads the credentials named by <paramref name="credentials"/>.
    /// </summary>
    /// <exception cref="LibvirtConnectionException">A variable is unset or empty, or the file cannot be read; the message names the field and where it was written.</exception>
    public static NodeAuth Read(NodeCredentials credentials, string where, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        environment ??= Environment.GetEnvironmentVariable;
        var at = string.IsNullOrEmpty(where) ? "" : $" ({where})";
        string? username = credentials.Username;
        var describe = new List<string>();
        if (credentials.UsernameEnv is { } userVar)
        {
            username = environment(userVar);
            if (string.IsNullOrEmpty(username))
            {
                throw Fail($"spec.credentials.usernameEnv{at}: the environment variable {userVar} is not set or empty; set it in the Reconciler process's environment");
            }
            describe.Add($"user from ${userVar}");
        }
        string password;
        if (credentials.PasswordEnv is { } passVar)
        {
            password = environment(passVar) ?? "";
            if (password.Length == 0)
            {
                throw Fail($"spec.credentials.passwordEnv{at}: the environment variable {passVar} is not set or empty; set it in the Reconciler process's environment");
            }
            describe.Add($"password from ${passVar}");
        }
        else if (credentials.PasswordFile is { } file)
        {
            try
            {
                password = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw Fail($"spec.credentials.passwordFile{at}: cannot read '{file}': {e.Message}");
            }
            if (password.EndsWith('\n')) password = password[..^1];
            if (password.EndsWith('\r')) password = password[..^1];
            if (password.Length == 0) throw Fail($"spec.credentials.passwordFile{at}: '{file}' is empty");
            describe.Add($"password from file {file}");
        }
        else
        {
            throw Fail($"spec.credentials{at}: no password source (passwordEnv or passwordFile)");
        }
        var user = username is null ? "libvirt's default user" : $"user '{username}'";
        return new NodeAuth(username, password, $"{user}, {string.Join(", ", describe)}");
    }

    /// <summary>The answer to one request, or null to decline it (see the class contract).</summary>
    public string? Answer(LibvirtCredentialRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.Type)
        {
            case LibvirtCredentialType.AuthName or LibvirtCredentialType.Username:
                if (_username is not null) return _username;
                if (!string.IsNullOrEmpty(request.DefaultResult)) return request.DefaultResult;
                _declined.Add("a user name (set spec.credentials.username or usernameEnv)");
                return null;
            case LibvirtCredentialType.Passphrase or LibvirtCredentialType.NoEchoPrompt:
                PasswordAsked = true;
                return _password;
            case LibvirtCredentialType.Realm or LibvirtCredentialType.Language or LibvirtCredentialType.ClientNonce:
                return request.DefaultResult ?? "";
            default:
                _declined.Add($"'{request.Prompt.Trim()}' ({request.Type}), which Reconciler does not answer");
                return null;
        }
    }

    /// <summary>
    /// The error to report for a failed open that used these credentials: libvirt's message with
    /// what was tried (user, where the password came from), never the password.
    /// </summary>
    public LibvirtConnectionException Explain(LibvirtException failure, string where)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var at = string.IsNullOrEmpty(where) ? "" : $" ({where})";
        var message = _declined.Count > 0
            ? $"{failure.Message}; libvirt asked for {string.Join(" and ", _declined)}"
            : PasswordAsked
                ? $"{failure.Message} (authenticating as {Describe} from spec.credentials{at}; check the user name and password)"
                : failure.Message;
        // Defence in depth: libvirt never echoes the password, and neither may we.
        if (_password.Length >= 4) message = message.Replace(_password, "***", StringComparison.Ordinal);
        return new LibvirtConnectionException(failure.Error with { Message = message });
    }

    private static LibvirtConnectionException Fail(string message) =>
        new(new LibvirtError(LibvirtErrorCode.AuthFailed, LibvirtErrorDomain.None, message, LibvirtErrorLevel.Error));
}
