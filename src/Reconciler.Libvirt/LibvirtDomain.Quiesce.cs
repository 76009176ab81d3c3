namespace Reconciler.Libvirt;

// A snapshot's XML, and the guest agent's filesystem freeze. Freeze and thaw go through the guest
// agent: they fail at once when the agent channel is missing or qemu-ga is not connected, and
// may take as long as libvirt lets the agent take when it is connected but slow.
public sealed partial class LibvirtDomain
{
    /// <summary>A snapshot's <c>&lt;domainsnapshot&gt;</c> XML (<c>virDomainSnapshotGetXMLDesc</c>).</summary>
    /// <param name="name">The snapshot's name.</param>
    /// <exception cref="LibvirtNotFoundException">There is no such snapshot.</exception>
    public string GetSnapshotXml(string name)
    {
        using var snap = LookupSnapshot(name);
        return Interop.TakeStringOrThrow(NativeMethods.virDomainSnapshotGetXMLDesc(snap, 0), "virDomainSnapshotGetXMLDesc");
    }

    /// <summary>Freezes every filesystem of the guest through the guest agent (<c>virDomainFSFreeze</c>); thaw with <see cref="ThawFilesystems"/>.</summary>
    /// <returns>How many filesystems were frozen (0 when the guest has none the agent can freeze).</returns>
    /// <exception cref="LibvirtException">The agent is not configured, not connected, did not answer, or could not freeze.</exception>
    public int FreezeFilesystems() => Interop.Check(NativeMethods.virDomainFSFreeze(Handle, 0, 0, 0), "virDomainFSFreeze");

    /// <summary>Thaws the guest's filesystems (<c>virDomainFSThaw</c>).</summary>
    /// <returns>How many filesystems were thawed.</returns>
    /// <exception cref="LibvirtException">The agent did not answer.</exception>
    public int ThawFilesystems() => Interop.Check(NativeMethods.virDomainFSThaw(Handle, 0, 0, 0), "virDomainFSThaw");
}
