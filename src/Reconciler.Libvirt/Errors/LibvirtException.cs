using System.Collections.Frozen;

namespace Reconciler.Libvirt;

/// <summary>
/// A failed libvirt call. Carries libvirt's own error number, origin and message, copied from
/// <c>virGetLastError()</c> on the thread that made the call. Catch a subclass to react to a
/// category (not found, invalid XML, ...); every libvirt error maps to exactly one class through
/// one table (see <see cref="LibvirtException.Create(LibvirtError, bool)"/>).
/// </summary>
public class LibvirtException : Exception
{
    /// <summary>Creates an exception with no libvirt error attached (code <see cref="LibvirtErrorCode.InternalError"/>).</summary>
    public LibvirtException()
        : this(new LibvirtError(LibvirtErrorCode.InternalError, LibvirtErrorDomain.None, "libvirt call failed", LibvirtErrorLevel.Error))
    {
    }

    /// <summary>Creates an exception with a message and no libvirt error attached.</summary>
    /// <param name="message">The message.</param>
    public LibvirtException(string message)
        : this(new LibvirtError(LibvirtErrorCode.InternalError, LibvirtErrorDomain.None, message, LibvirtErrorLevel.Error))
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LibvirtException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new LibvirtError(LibvirtErrorCode.InternalError, LibvirtErrorDomain.None, message, LibvirtErrorLevel.Error);
    }

    /// <summary>Creates an exception from a copied libvirt error.</summary>
    /// <param name="error">The error as reported by libvirt.</param>
    public LibvirtException(LibvirtError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>The full libvirt error record.</summary>
    public LibvirtError Error { get; }

    /// <summary>libvirt's error number (<c>virErrorNumber</c>).</summary>
    public LibvirtErrorCode Code => Error.Code;

    /// <summary>The part of libvirt that raised the error (<c>virErrorDomain</c>).</summary>
    public LibvirtErrorDomain ErrorDomain => Error.Domain;

    /// <summary>The severity libvirt gave the error.</summary>
    public LibvirtErrorLevel Level => Error.Level;

    /// <summary>
    /// The one table that maps libvirt error numbers to exception categories. Codes not listed are
    /// <see cref="LibvirtExceptionKind.Generic"/>. Exposed for tests and diagnostics.
    /// </summary>
    public static IReadOnlyDictionary<LibvirtErrorCode, LibvirtExceptionKind> KindTable => ErrorTable.Kinds;

    /// <summary>The category <paramref name="code"/> maps to.</summary>
    /// <param name="code">A libvirt error number.</param>
    /// <param name="duringConnect">True when the error came from opening a connection: every
    /// failure to open is then a <see cref="LibvirtExceptionKind.Connection"/> (the original
    /// <see cref="Code"/> is kept), so callers of <c>Open</c> catch one type.</param>
    /// <returns>The category.</returns>
    public static LibvirtExceptionKind KindOf(LibvirtErrorCode code, bool duringConnect = false)
    {
        if (duringConnect)
        {
            return LibvirtExceptionKind.Connection;
        }

        return ErrorTable.Kinds.TryGetValue(code, out var k) ? k : LibvirtExceptionKind.Generic;
    }

    /// <summary>Builds the typed exception for a libvirt error, through the one mapping table.</summary>
    /// <param name="error">The copied libvirt error.</param>
    /// <param name="duringConnect">True when the error came from opening a connection.</param>
    /// <returns>The exception to throw.</returns>
    public static LibvirtException Create(LibvirtError error, bool duringConnect = false)
    {
        ArgumentNullException.ThrowIfNull(error);
        return KindOf(error.Code, duringConnect) switch
        {
            LibvirtExceptionKind.NotFound => new LibvirtNotFoundException(error),
            LibvirtExceptionKind.InvalidXml => new LibvirtInvalidXmlException(error),
            LibvirtExceptionKind.OperationInvalid => new LibvirtOperationInvalidException(error),
            LibvirtExceptionKind.Connection => new LibvirtConnectionException(error),
            LibvirtExceptionKind.Unsupported => new LibvirtUnsupportedException(error),
            LibvirtExceptionKind.Timeout => new LibvirtOperationTimeoutException(error),
            LibvirtExceptionKind.OperationFailed => new LibvirtOperationFailedException(error),
            LibvirtExceptionKind.AlreadyExists => new LibvirtAlreadyExistsException(error),
            LibvirtExceptionKind.AccessDenied => new LibvirtAccessDeniedException(error),
            LibvirtExceptionKind.InvalidArgument => new LibvirtInvalidArgumentException(error),
            _ => new LibvirtException(error),
        };
    }
}

/// <summary>An immutable copy of a libvirt <c>virError</c>.</summary>
/// <param name="Code">The error number.</param>
/// <param name="Domain">The part of libvirt that raised it.</param>
/// <param name="Message">libvirt's human-readable message.</param>
/// <param name="Level">The severity.</param>
public sealed record LibvirtError(LibvirtErrorCode Code, LibvirtErrorDomain Domain, string Message, LibvirtErrorLevel Level);

/// <summary>The category a libvirt error maps to; each value has its own exception class.</summary>
public enum LibvirtExceptionKind
{
    /// <summary>No particular category: <see cref="LibvirtException"/>.</summary>
    Generic,

    /// <summary>The object does not exist: <see cref="LibvirtNotFoundException"/>.</summary>
    NotFound,

    /// <summary>Malformed, schema-invalid or unsupported XML/configuration: <see cref="LibvirtInvalidXmlException"/>.</summary>
    InvalidXml,

    /// <summary>The operation does not apply in the object's current state: <see cref="LibvirtOperationInvalidException"/>.</summary>
    OperationInvalid,

    /// <summary>The connection could not be made or was lost: <see cref="LibvirtConnectionException"/>.</summary>
    Connection,

    /// <summary>The driver does not support the call or a flag: <see cref="LibvirtUnsupportedException"/>.</summary>
    Unsupported,

    /// <summary>The operation timed out: <see cref="LibvirtOperationTimeoutException"/>.</summary>
    Timeout,

    /// <summary>The hypervisor or system failed to carry out the operation: <see cref="LibvirtOperationFailedException"/>.</summary>
    OperationFailed,

    /// <summary>An object with that name/UUID already exists: <see cref="LibvirtAlreadyExistsException"/>.</summary>
    AlreadyExists,

    /// <summary>Forbidden (read-only connection, ACL): <see cref="LibvirtAccessDeniedException"/>.</summary>
    AccessDenied,

    /// <summary>An argument was rejected: <see cref="LibvirtInvalidArgumentException"/>.</summary>
    InvalidArgument,
}

/// <summary>The requested libvirt object (domain, network, pool, volume, snapshot, metadata...) does not exist.</summary>
public class LibvirtNotFoundException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtNotFoundException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The XML was not well formed, failed schema validation, or describes an unsupported configuration.</summary>
public class LibvirtInvalidXmlException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtInvalidXmlException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The operation is not valid in the object's current state (e.g. starting a running domain).</summary>
public class LibvirtOperationInvalidException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtOperationInvalidException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>Could not connect to the hypervisor, authentication failed, or the connection broke.</summary>
public class LibvirtConnectionException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtConnectionException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The driver does not implement the call, or does not accept one of the flags/arguments.</summary>
public class LibvirtUnsupportedException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtUnsupportedException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The operation timed out (or the guest agent did not answer).</summary>
public class LibvirtOperationTimeoutException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtOperationTimeoutException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The hypervisor or the host failed to carry out a valid request.</summary>
public class LibvirtOperationFailedException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtOperationFailedException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>An object with the same name or UUID already exists.</summary>
public class LibvirtAlreadyExistsException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtAlreadyExistsException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The operation is forbidden (read-only connection, access control).</summary>
public class LibvirtAccessDeniedException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtAccessDeniedException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>libvirt rejected an argument (bad flags combination, out-of-range value...).</summary>
public class LibvirtInvalidArgumentException : LibvirtException
{
    /// <summary>Creates the exception from a copied libvirt error.</summary>
    /// <param name="error">The libvirt error.</param>
    public LibvirtInvalidArgumentException(LibvirtError error)
        : base(error)
    {
    }
}

/// <summary>The single libvirt error number → exception category table.</summary>
internal static class ErrorTable
{
    internal static readonly FrozenDictionary<LibvirtErrorCode, LibvirtExceptionKind> Kinds =
        new Dictionary<LibvirtErrorCode, LibvirtExceptionKind>
        {
            // Not found.
            [LibvirtErrorCode.NoDomain] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoNetwork] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoStoragePool] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoStorageVol] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoDomainSnapshot] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoDomainMetadata] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoDomainCheckpoint] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoDomainBackup] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoNodeDevice] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoInterface] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoNwfilter] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoNwfilterBinding] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoSecret] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoNetworkPort] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoSecurityModel] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoHostname] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.DeviceMissing] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoServer] = LibvirtExceptionKind.NotFound,
            [LibvirtErrorCode.NoClient] = LibvirtExceptionKind.NotFound,

            // Bad XML / configuration.
            [LibvirtErrorCode.XmlError] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.XmlDetail] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.XmlInvalidSchema] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.ConfigUnsupported] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.ConfSyntax] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.OsType] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.NoName] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.NoOs] = LibvirtExceptionKind.InvalidXml,
            [LibvirtErrorCode.InvalidMac] = LibvirtExceptionKind.InvalidXml,

            // Wrong state.
            [LibvirtErrorCode.OperationInvalid] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.BlockCopyActive] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.ResourceBusy] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.StoragePoolBuilt] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.SnapshotRevertRisky] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.MigrateUnsafe] = LibvirtExceptionKind.OperationInvalid,
            [LibvirtErrorCode.CheckpointInconsistent] = LibvirtExceptionKind.OperationInvalid,

            // Connection.
            [LibvirtErrorCode.NoConnect] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.InvalidConn] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.Rpc] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.AuthFailed] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.AuthCancelled] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.AuthUnavailable] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.UnknownHost] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.GnutlsError] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.Ssh] = LibvirtExceptionKind.Connection,
            [LibvirtErrorCode.Libssh] = LibvirtExceptionKind.Connection,

            // Unsupported.
            [LibvirtErrorCode.NoSupport] = LibvirtExceptionKind.Unsupported,
            [LibvirtErrorCode.ArgumentUnsupported] = LibvirtExceptionKind.Unsupported,
            [LibvirtErrorCode.OperationUnsupported] = LibvirtExceptionKind.Unsupported,

            // Timeouts.
            [LibvirtErrorCode.OperationTimeout] = LibvirtExceptionKind.Timeout,
            [LibvirtErrorCode.AgentUnresponsive] = LibvirtExceptionKind.Timeout,

            // The hypervisor/host failed.
            [LibvirtErrorCode.OperationFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.SystemError] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.InternalError] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.HookScriptFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.MigratePersistFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.OperationAborted] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.StorageProbeFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.CpuIncompatible] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.OpenFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.ReadFailed] = LibvirtExceptionKind.OperationFailed,
            [LibvirtErrorCode.WriteFailed] = LibvirtExceptionKind.OperationFailed,

            // Duplicates.
            [LibvirtErrorCode.DomExist] = LibvirtExceptionKind.AlreadyExists,
            [LibvirtErrorCode.NetworkExist] = LibvirtExceptionKind.AlreadyExists,
            [LibvirtErrorCode.StorageVolExist] = LibvirtExceptionKind.AlreadyExists,
            [LibvirtErrorCode.NetworkPortExist] = LibvirtExceptionKind.AlreadyExists,
            [LibvirtErrorCode.MultipleDomains] = LibvirtExceptionKind.AlreadyExists,

            // Forbidden.
            [LibvirtErrorCode.OperationDenied] = LibvirtExceptionKind.AccessDenied,
            [LibvirtErrorCode.AccessDenied] = LibvirtExceptionKind.AccessDenied,

            // Bad arguments.
            [LibvirtErrorCode.InvalidArg] = LibvirtExceptionKind.InvalidArgument,
            [LibvirtErrorCode.Overflow] = LibvirtExceptionKind.InvalidArgument,
        }.ToFrozenDictionary();
}
