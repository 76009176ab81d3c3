namespace Reconciler.Libvirt;

public sealed partial class LibvirtDomain
{
    private const string MigrateParamDestName = "destination_name";
    private const string MigrateParamUri = "migrate_uri";
    private const string MigrateParamDestXml = "destination_xml";
    private const string MigrateParamPersistXml = "persistent_xml";
    private const string MigrateParamBandwidth = "bandwidth";

    /// <summary>Creates a snapshot (<c>virDomainSnapshotCreateXML</c>).</summary>
    /// <param name="xml">The <c>&lt;domainsnapshot&gt;</c> XML (may be just a name and description).</param>
    /// <param name="flags">Disk-only, live, atomic...</param>
    /// <returns>The snapshot's name (libvirt picks one if the XML has none).</returns>
    public string CreateSnapshot(string xml, SnapshotCreateFlags flags = SnapshotCreateFlags.None)
    {
        ArgumentNullException.ThrowIfNull(xml);
        using var snap = Interop.Check(NativeMethods.virDomainSnapshotCreateXML(Handle, xml, (uint)flags), "virDomainSnapshotCreateXML");
        return Interop.PeekStringOrThrow(NativeMethods.virDomainSnapshotGetName(snap), "virDomainSnapshotGetName");
    }

    /// <summary>The names of all snapshots of the domain (<c>virDomainListAllSnapshots</c>).</summary>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> ListSnapshotNames()
    {
        return Interop.ListAll(
            NativeMethods.virDomainListAllSnapshots,
            Handle,
            0,
            "virDomainListAllSnapshots",
            (DomainSnapshotHandle h) =>
            {
                using (h)
                {
                    return Interop.PeekStringOrThrow(NativeMethods.virDomainSnapshotGetName(h), "virDomainSnapshotGetName");
                }
            });
    }

    /// <summary>Reverts the domain to a snapshot (<c>virDomainRevertToSnapshot</c>).</summary>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="flags">Running/paused afterwards, force.</param>
    /// <exception cref="LibvirtNotFoundException">There is no such snapshot.</exception>
    public void RevertToSnapshot(string name, SnapshotRevertFlags flags = SnapshotRevertFlags.None)
    {
        using var snap = LookupSnapshot(name);
        Interop.Check(NativeMethods.virDomainRevertToSnapshot(snap, (uint)flags), "virDomainRevertToSnapshot");
    }

    /// <summary>Deletes a snapshot (<c>virDomainSnapshotDelete</c>).</summary>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="flags">Children, metadata only...</param>
    /// <exception cref="LibvirtNotFoundException">There is no such snapshot.</exception>
    public void DeleteSnapshot(string name, SnapshotDeleteFlags flags = SnapshotDeleteFlags.None)
    {
        using var snap = LookupSnapshot(name);
        Interop.Check(NativeMethods.virDomainSnapshotDelete(snap, (uint)flags), "virDomainSnapshotDelete");
    }

    /// <summary>
    /// Migrates the domain (<c>virDomainMigrateToURI3</c>). With <see cref="MigrateFlags.PeerToPeer"/>
    /// <paramref name="destUri"/> is the destination's libvirt URI (e.g. <c>qemu+ssh://host/system</c>),
    /// which the source daemon connects to itself.
    /// </summary>
    /// <param name="destUri">Destination libvirt connection URI.</param>
    /// <param name="flags">Live, peer-to-peer, persist on destination, undefine on source...</param>
    /// <param name="destName">A new name on the destination (<c>VIR_MIGRATE_PARAM_DEST_NAME</c>), or null to keep it.</param>
    /// <param name="migrateUri">The hypervisor-level data URI (<c>VIR_MIGRATE_PARAM_URI</c>), or null for the default.</param>
    /// <param name="destXml">The definition the domain runs with on the destination (<c>VIR_MIGRATE_PARAM_DEST_XML</c>; only host-side details such as disk sources may differ), or null.</param>
    /// <param name="persistXml">The persistent definition on the destination (<c>VIR_MIGRATE_PARAM_PERSIST_XML</c>, with <see cref="MigrateFlags.PersistDest"/>), or null for the source's.</param>
    /// <param name="bandwidthMiBps">The bandwidth limit in MiB/s (<c>VIR_MIGRATE_PARAM_BANDWIDTH</c>), or null for libvirt's default.</param>
    public void Migrate(string destUri, MigrateFlags flags, string? destName = null, string? migrateUri = null, string? destXml = null, string? persistXml = null,
        ulong? bandwidthMiBps = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(destUri);
        using var parameters = MigrateParameters.Build(destName, migrateUri, destXml, persistXml, bandwidthMiBps);
        Interop.Check(NativeMethods.virDomainMigrateToURI3(Handle, destUri, parameters.Pointer, (uint)parameters.Count, (uint)flags), "virDomainMigrateToURI3");
    }

    /// <summary>
    /// Migrates the domain with the client driving both sides (<c>virDomainMigrate3</c>): the
    /// caller holds a connection to the destination, so the source daemon need not be able to
    /// reach the destination's libvirt URI (only the hypervisor data stream flows between them).
    /// </summary>
    /// <param name="destination">An open connection to the destination node.</param>
    /// <param name="flags">Live, persist on destination, undefine on source... (not peer-to-peer).</param>
    /// <param name="migrateUri">The hypervisor-level data URI (<c>VIR_MIGRATE_PARAM_URI</c>), or null for the default.</param>
    /// <param name="destXml">The definition the domain runs with on the destination (<c>VIR_MIGRATE_PARAM_DEST_XML</c>), or null.</param>
    /// <param name="persistXml">The persistent definition on the destination (<c>VIR_MIGRATE_PARAM_PERSIST_XML</c>), or null for the source's.</param>
    /// <param name="bandwidthMiBps">The bandwidth limit in MiB/s (<c>VIR_MIGRATE_PARAM_BANDWIDTH</c>), or null for libvirt's default.</param>
    public void MigrateTo(LibvirtConnection destination, MigrateFlags flags, string? migrateUri = null, string? destXml = null, string? persistXml = null,
        ulong? bandwidthMiBps = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var parameters = MigrateParameters.Build(null, migrateUri, destXml, persistXml, bandwidthMiBps);
        using var migrated = Interop.Check(NativeMethods.virDomainMigrate3(Handle, destination.Handle, parameters.Pointer, (uint)parameters.Count, (uint)flags), "virDomainMigrate3");
    }

    /// <summary>The typed parameters of a migration call: built once from the optional values, freed with <c>virTypedParamsFree</c>.</summary>
    private sealed class MigrateParameters : IDisposable
    {
        private nint _pointer;
        private int _count;
        private int _max;

        public nint Pointer => _pointer;

        public int Count => _count;

        /// <summary>Each non-null value under its <c>VIR_MIGRATE_PARAM_*</c> name.</summary>
        public static MigrateParameters Build(string? destName, string? migrateUri, string? destXml, string? persistXml, ulong? bandwidthMiBps)
        {
            var parameters = new MigrateParameters();
            try
            {
                parameters.Add(MigrateParamDestName, destName);
                parameters.Add(MigrateParamUri, migrateUri);
                parameters.Add(MigrateParamDestXml, destXml);
                parameters.Add(MigrateParamPersistXml, persistXml);
                if (bandwidthMiBps is { } bw)
                {
                    Interop.Check(NativeMethods.virTypedParamsAddULLong(ref parameters._pointer, ref parameters._count, ref parameters._max, MigrateParamBandwidth, bw), "virTypedParamsAddULLong");
                }
                return parameters;
            }
            catch
            {
                parameters.Dispose();
                throw;
            }
        }

        private void Add(string name, string? value)
        {
            if (value is null) return;
            Interop.Check(NativeMethods.virTypedParamsAddString(ref _pointer, ref _count, ref _max, name, value), "virTypedParamsAddString");
        }

        public void Dispose()
        {
            if (_pointer == 0) return;
            NativeMethods.virTypedParamsFree(_pointer, _count);
            _pointer = 0;
        }
    }

    private DomainSnapshotHandle LookupSnapshot(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Interop.Check(NativeMethods.virDomainSnapshotLookupByName(Handle, name, 0), "virDomainSnapshotLookupByName");
    }
}
