using FluentValidation;

namespace Reconciler.Specs.Validation;

/// <summary>
/// Semantic rules of a <see cref="NodeSpec"/>: name and labels, a connection URI that parses and
/// has a known scheme, a known domain type. Failures carry manifest paths as property names,
/// diagnostic codes as error codes and a <see cref="FailureState"/>.
/// </summary>
public sealed partial class NodeSpecValidator : AbstractValidator<NodeSpec>
{
    private static readonly string[] QemuTransports = ["ssh", "tls", "tcp", "unix", "libssh", "libssh2", "ext"];

    /// <summary>Creates the validator.</summary>
    public NodeSpecValidator()
    {
        RuleFor(n => n).Custom((n, ctx) => Failures.CheckMeta(n.Meta, ctx));

        RuleFor(n => n.Uri)
            .Must(IsKnownUri)
            .OverridePropertyName("spec.uri")
            .WithErrorCode(DiagnosticCodes.InvalidUri)
            .WithMessage(n => $"'{Failures.Printable(n.Uri)}' is not a libvirt URI with a known scheme")
            .WithState(_ => new FailureState(
                "use e.g. qemu:///system, qemu+ssh://user@host/system or test:///default; schemes: qemu, qemu+" +
                string.Join(", qemu+", QemuTransports) + ", test, test+<transport>", []));

        RuleFor(n => n.DomainType)
            .Must(t => t is null || NodeKind.DomainTypes.Contains(t))
            .OverridePropertyName("spec.domainType")
            .WithErrorCode(DiagnosticCodes.InvalidEnum)
            .WithMessage(n => $"'{n.DomainType}' is not a valid domainType")
            .WithState(_ => new FailureState("allowed values: " + string.Join(", ", NodeKind.DomainTypes), []));

        RuleFor(n => n).Custom((n, ctx) => CheckCredentials(n.Credentials, ctx));
    }

    private static void CheckCredentials(NodeCredentials? c, ValidationContext<NodeSpec> ctx)
    {
        if (c is null) return;
        const string P = "spec.credentials";
        if (c.Username is not null && c.UsernameEnv is not null)
        {
            Failures.Add(ctx, DiagnosticCodes.ConflictingFields, P + ".usernameEnv", "give the user name either as username or as usernameEnv, not both", "remove one of them");
        }
        if (c.PasswordFile is not null && c.PasswordEnv is not null)
        {
            Failures.Add(ctx, DiagnosticCodes.ConflictingFields, P + ".passwordEnv", "give the password either as passwordFile or as passwordEnv, not both", "remove one of them");
        }
        else if (c.PasswordFile is null && c.PasswordEnv is null)
        {
            Failures.Add(ctx, DiagnosticCodes.MissingField, P, "credentials need a password source: passwordFile or passwordEnv",
                "add passwordEnv: NAME (an environment variable) or passwordFile: /path (never the password itself)");
        }
        foreach (var (field, name) in new[] { ("usernameEnv", c.UsernameEnv), ("passwordEnv", c.PasswordEnv) })
        {
            if (name is not null && !EnvName().IsMatch(name))
            {
                Failures.Add(ctx, DiagnosticCodes.InvalidValue, $"{P}.{field}", $"'{Failures.Printable(name)}' is not an environment variable name",
                    "use letters, digits and underscores, not starting with a digit, e.g. HV1_PASSWORD");
            }
        }
        if (c.PasswordFile is { Length: 0 })
        {
            Failures.Add(ctx, DiagnosticCodes.InvalidPath, P + ".passwordFile", "passwordFile is empty", "give the path of the file holding the password");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex EnvName();

    /// <summary>Whether <paramref name="uri"/> is absolute, parses, and has a scheme libvirt's QEMU or test drivers accept.</summary>
    public static bool IsKnownUri(string uri)
    {
        if (string.IsNullOrWhiteSpace(uri) || uri.Any(char.IsWhiteSpace)) return false;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed)) return false;
        var scheme = parsed.Scheme;
        var plus = scheme.IndexOf('+', StringComparison.Ordinal);
        var driver = plus < 0 ? scheme : scheme[..plus];
        var transport = plus < 0 ? null : scheme[(plus + 1)..];
        return driver switch
        {
            "qemu" => transport is null || QemuTransports.Contains(transport),
            "test" => transport is null || transport.Length > 0,
            _ => false,
        };
    }
}
