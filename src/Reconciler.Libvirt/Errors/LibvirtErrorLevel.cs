// Generated from /usr/include/libvirt/virterror.h (libvirt 9.0); values must match the header.
namespace Reconciler.Libvirt;

/// <summary>How serious a libvirt error is (<c>virErrorLevel</c>).</summary>
public enum LibvirtErrorLevel
{
    /// <summary>No level (<c>VIR_ERR_NONE</c>).</summary>
    None = 0,

    /// <summary>A simple warning (<c>VIR_ERR_WARNING</c>).</summary>
    Warning = 1,

    /// <summary>An error (<c>VIR_ERR_ERROR</c>).</summary>
    Error = 2,
}
