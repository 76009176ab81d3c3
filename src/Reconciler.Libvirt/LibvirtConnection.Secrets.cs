namespace Reconciler.Libvirt;

public sealed partial class LibvirtConnection
{
    /// <summary>The secret with this UUID (<c>virSecretLookupByUUIDString</c>), or null if there is none.</summary>
    /// <param name="uuid">The UUID in string form.</param>
    /// <returns>The secret or null.</returns>
    public LibvirtSecret? LookupSecretByUuid(string uuid) =>
        Interop.Lookup(NativeMethods.virSecretLookupByUUIDString, Handle, uuid, "virSecretLookupByUUIDString", h => new LibvirtSecret(h));

    /// <summary>Defines (or redefines) a secret (<c>virSecretDefineXML</c>); its value is set separately.</summary>
    /// <param name="xml">The secret XML.</param>
    /// <returns>The secret.</returns>
    public LibvirtSecret DefineSecret(string xml) =>
        Interop.Define(NativeMethods.virSecretDefineXML, Handle, xml, 0, "virSecretDefineXML", h => new LibvirtSecret(h));
}
