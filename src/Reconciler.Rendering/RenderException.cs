namespace Reconciler.Rendering;

/// <summary>
/// A spec could not be rendered into domain XML (an invalid character, a volume disk without a pool,
/// an XML patch that is invalid or selects nothing), or, as <see cref="DomainParseException"/>,
/// domain XML could not be parsed back. The message names the field, patch or domain.
/// </summary>
public class RenderException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the field or the patch index.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public RenderException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }

    /// <summary>The manifest path of the offending field (<c>spec.xml[2]</c>, <c>spec.disks[0].pool</c>), when known.</summary>
    public string? FieldPath { get; init; }
}

/// <summary>
/// Domain XML read from libvirt could not be parsed into the model (malformed XML, no name, a bad
/// number). A <see cref="RenderException"/>, so one catch covers both directions.
/// </summary>
public sealed class DomainParseException : RenderException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with the line when known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DomainParseException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
