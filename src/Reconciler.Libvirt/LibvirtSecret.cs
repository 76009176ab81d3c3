namespace Reconciler.Libvirt;

/// <summary>A libvirt secret (<c>virSecretPtr</c>): a persistent value the node keeps. Disposing drops the reference only.</summary>
public sealed unsafe class LibvirtSecret : IDisposable
{
    private readonly SecretHandle _handle;

    internal LibvirtSecret(SecretHandle handle) => _handle = handle;

    /// <summary>The secret's value (<c>virSecretGetValue</c>); fails for a private secret.</summary>
    /// <returns>The bytes.</returns>
    public byte[] GetValue()
    {
        var ptr = NativeMethods.virSecretGetValue(_handle, out var size, 0);
        if (ptr == 0) throw Interop.LastException("virSecretGetValue");
        try
        {
            var bytes = new byte[(int)size];
            Marshal.Copy(ptr, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            NativeMethods.free(ptr);
        }
    }

    /// <summary>Replaces the secret's value (<c>virSecretSetValue</c>).</summary>
    /// <param name="value">The bytes.</param>
    public void SetValue(ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            Interop.Check(NativeMethods.virSecretSetValue(_handle, p, (nuint)value.Length, 0), "virSecretSetValue");
        }
    }

    /// <summary>Removes the secret and its value (<c>virSecretUndefine</c>).</summary>
    public void Undefine() => Interop.Check(NativeMethods.virSecretUndefine(_handle), "virSecretUndefine");

    /// <summary>Drops the reference (<c>virSecretFree</c>).</summary>
    public void Dispose() => _handle.Dispose();
}
