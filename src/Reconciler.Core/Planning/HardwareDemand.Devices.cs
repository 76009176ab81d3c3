using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

public sealed partial record HardwareDemand
{
    /// <summary>The domain's name: another domain holding a device is named, and the domain itself is not another.</summary>
    public string Domain { get; init; } = "";

    /// <summary><c>spec.hostdevs</c>: the host devices the domain is given (a selector not yet resolved has no address).</summary>
    public IReadOnlyList<HostdevSpec> Hostdevs { get; init; } = [];

    /// <summary>Host network interfaces the domain's interfaces sit on directly (<c>interfaces[].direct.dev</c>, macvtap).</summary>
    public IReadOnlyList<string> HostInterfaces { get; init; } = [];

    /// <summary>PCI addresses of SR-IOV virtual functions the domain's interfaces are given (<c>interfaces[].hostdev</c>), canonical.</summary>
    public IReadOnlyList<string> VirtualFunctions { get; init; } = [];

    /// <summary>Whether any check needs the node's devices.</summary>
    public bool NeedsDevices => Hostdevs.Count > 0 || HostInterfaces.Count > 0 || VirtualFunctions.Count > 0;
}
