namespace Reconciler.Rendering;

/// <summary>
/// Records the desired power state of an applied spec in a domain's existing owner element, for
/// changes that start, stop or toggle autostart without redefining the domain.
/// </summary>
public static class OwnerPower
{
    /// <summary>
    /// Returns <paramref name="ownerXml"/> (the owner element as <c>virDomainGetMetadata</c> returns it)
    /// with its <c>state</c> and <c>autostart</c> attributes set; every other attribute and child is kept.
    /// </summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    public static string With(string ownerXml, PowerState state, bool autostart)
    {
        var element = XElement.Parse(ownerXml);
        element.SetAttributeValue(OwnerMetadata.StateAttr, Text(state));
        element.SetAttributeValue(OwnerMetadata.AutostartAttr, autostart ? "true" : "false");
        return element.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>The attribute text of a power state.</summary>
    internal static string Text(PowerState state) => state == PowerState.Running ? "running" : "stopped";

    /// <summary>Parses the attribute text; null when absent or unknown.</summary>
    internal static PowerState? Parse(string? text) => text switch
    {
        "running" => PowerState.Running,
        "stopped" => PowerState.Stopped,
        _ => null,
    };
}
