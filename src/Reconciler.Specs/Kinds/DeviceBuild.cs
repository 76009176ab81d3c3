namespace Reconciler.Specs.Kinds;

/// <summary>The model of a disk's tuning and network source, spec.filesystems, spec.video, spec.watchdog and spec.sound, from their parsed rows (DiskTuningFields, DeviceFields).</summary>
internal static class DeviceBuild
{
    /// <summary><paramref name="disk"/> with the tuning fields and network source that <paramref name="d"/> wrote.</summary>
    public static DiskSpec Disk(ParsedObject d, DiskSpec disk) => disk with
    {
        Cache = d.Get<string>("cache"),
        Io = d.Get<string>("io"),
        Discard = d.Get<string>("discard"),
        DetectZeroes = d.Get<string>("detectZeroes"),
        Serial = d.Get<string>("serial"),
        IoThread = d.Get<int?>("iothread"),
        Shareable = d.Has("shareable") ? d.Get<bool>("shareable") : null,
        Network = d.Get<ParsedObject>("network") is { } n
            ? new DiskNetworkSource(n.Get<string>("protocol") ?? "", n.Get<string>("name"), n.Get<List<string>>("hosts") ?? [],
                n.Get<ParsedObject>("auth") is { } a ? new DiskAuth(a.Get<string>("username") ?? "", (a.Get<string>("secretUuid") ?? "").ToLowerInvariant()) : null)
            : null,
    };

    /// <summary>
    /// <paramref name="domain"/> with its shares, video, watchdog and sound. A share needs shared
    /// memory: a written memoryBacking that leaves shared out gets it (shared: false written is the
    /// validator's conflict).
    /// </summary>
    public static DomainSpec WithDevices(this DomainSpec domain, ParsedObject spec)
    {
        var filesystems = spec.Get<List<ParsedObject>>("filesystems")?
            .Select(f => new FilesystemSpec(f.Get<string>("source") ?? "", f.Get<string>("target") ?? "", f.Get<bool>("readonly"))).ToList();
        var backing = domain.MemoryBacking;
        if (filesystems is { Count: > 0 } && backing is not null && spec.Get<ParsedObject>("memoryBacking") is { } written && !written.Has("shared"))
        {
            backing = backing with { Shared = true };
        }
        return domain with
        {
            Filesystems = filesystems,
            MemoryBacking = backing,
            Video = spec.Get<ParsedObject>("video") is { } v ? new VideoSpec(v.Get<string>("model") ?? "") : null,
            Watchdog = spec.Get<ParsedObject>("watchdog") is { } w ? new WatchdogSpec(w.Get<string>("model") ?? "", w.Get<string>("action")!) : null,
            Sound = spec.Get<ParsedObject>("sound") is { } s ? new SoundSpec(s.Get<string>("model") ?? "") : null,
            UsbCompanions = spec.Get<ParsedObject>("usbController") is { } usb && usb.Has("companions") ? usb.Get<bool>("companions") : null,
        };
    }
}
