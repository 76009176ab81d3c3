namespace Reconciler.Rendering;

/// <summary>Disk target names the way libvirt numbers them: <c>vda</c> … <c>vdz</c>, <c>vdaa</c> ….</summary>
internal static class DiskTargets
{
    /// <summary>The target prefix libvirt expects for a bus.</summary>
    public static string PrefixFor(string bus) => bus switch
    {
        "virtio" => "vd",
        "ide" => "hd",
        "xen" => "xvd",
        "fdc" => "fd",
        _ => "sd", // sata, scsi, usb, sd
    };

    /// <summary>0 → a, 25 → z, 26 → aa (libvirt's virIndexToDiskName).</summary>
    public static string Suffix(int index)
    {
        var chars = new StringBuilder();
        for (var ctr = index; ctr >= 0; ctr = ctr / 26 - 1)
        {
            chars.Insert(0, (char)('a' + ctr % 26));
        }
        return chars.ToString();
    }

    /// <summary>The first free name with <paramref name="prefix"/>, not in <paramref name="used"/>.</summary>
    public static string NextFree(string prefix, ISet<string> used)
    {
        for (var i = 0; ; i++)
        {
            var name = prefix + Suffix(i);
            if (!used.Contains(name)) return name;
        }
    }

    /// <summary>True when <paramref name="target"/> is a name with <paramref name="prefix"/> followed by letters only.</summary>
    public static bool HasPrefix(string target, string prefix) =>
        target.Length > prefix.Length
        && target.StartsWith(prefix, StringComparison.Ordinal)
        && target.AsSpan(prefix.Length).IndexOfAnyExceptInRange('a', 'z') < 0;
}
