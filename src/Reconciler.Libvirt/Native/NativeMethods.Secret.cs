namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SecretHandle virSecretLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SecretHandle virSecretDefineXML(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virSecretFree(nint secret);

    [LibraryImport(Lib)]
    internal static partial nint virSecretGetValue(SecretHandle secret, out nuint valueSize, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virSecretSetValue(SecretHandle secret, byte* value, nuint valueSize, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virSecretUndefine(SecretHandle secret);
}
