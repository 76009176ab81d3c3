namespace Reconciler.Specs.Kinds;

/// <summary>The model of an interface's attachments and options (NicFields) and of <c>spec.devices</c> (DeviceFields), from their parsed rows.</summary>
internal static class NicBuild
{
    /// <summary><paramref name="nic"/> (network, bridge, model, MAC) with the rest of the item's fields.</summary>
    public static InterfaceSpec With(InterfaceSpec nic, ParsedObject n) => nic with
    {
        Direct = n.Get<ParsedObject>("direct") is { } d ? new DirectSpec(d.Get<string>("dev") ?? "", d.Get<string>("mode")!) : null,
        Hostdev = n.Get<string>("hostdev")?.ToLowerInvariant(),
        User = n.Get<bool>("user"),
        Virtualport = n.Get<string>("virtualport"),
        Vlan = n.Get<ParsedObject>("vlan") is { } v ? new VlanSpec(v.Get<List<int>>("tags") ?? [], v.Get<bool>("trunk")) : null,
        Mtu = n.Get<int?>("mtu"),
        Queues = n.Get<int?>("queues"),
        LinkState = n.Get<string>("linkState"),
        Boot = n.Get<int?>("boot"),
    };

    /// <summary><c>spec.devices</c>; every device on when it is not written.</summary>
    public static DevicesSpec Devices(ParsedObject? d) => d is null ? DevicesSpec.Default : new(
        d.Get<bool>("rng"), d.Get<bool>("balloon"), d.Get<bool>("tablet"), d.Get<bool>("usb"), d.Get<bool>("agentChannel"), d.Get<bool>("serial"),
        d.Get<int?>("spareRootPorts"));
}
