namespace Reconciler.Specs.Kinds;

/// <summary>The model of <c>spec.hostdevs</c> from its parsed rows (<see cref="HostdevFields"/>); well-formed addresses and ids are made canonical, malformed ones are kept as written for the validator to name.</summary>
internal static class HostdevBuild
{
    /// <summary>The items, or the shared empty list when none is written (so a spec without hostdevs equals one built without them).</summary>
    public static IReadOnlyList<HostdevSpec> Build(ParsedObject spec)
    {
        if (spec.Get<List<ParsedObject>>("hostdevs") is not { Count: > 0 } items) return [];
        return items.Select(One).ToList();
    }

    private static HostdevSpec One(ParsedObject h) => new()
    {
        Pci = h.Get<string>("pci") is { } pci ? HostdevFields.CanonicalPci(pci) : null,
        Usb = h.Get<ParsedObject>("usb") is { } usb ? new UsbDeviceId(Id(usb.Get<string>("vendor") ?? "", prefix: true), Id(usb.Get<string>("product") ?? "", prefix: true)) : null,
        Mdev = h.Get<string>("mdev") is { } mdev ? (Regex.IsMatch(mdev, HostdevFields.UuidPattern) ? mdev.ToLowerInvariant() : mdev) : null,
        Model = h.Get<string>("model") ?? (h.Has("mdev") ? "vfio-pci" : null),
        Select = h.Has("class") || h.Has("vendor") || h.Has("product")
            ? new HostdevSelector(h.Get<string>("class") ?? "", Optional(h.Get<string>("vendor")), Optional(h.Get<string>("product")))
            : null,
        Managed = !h.Has("managed") || h.Get<bool>("managed"),
    };

    private static string? Optional(string? id) => id is null ? null : Id(id, prefix: false);

    private static string Id(string text, bool prefix) => Regex.IsMatch(text, HostdevFields.IdPattern) ? HostdevFields.CanonicalId(text, prefix) : text;
}
