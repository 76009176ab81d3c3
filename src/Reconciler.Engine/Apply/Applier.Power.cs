using System.Diagnostics;
using System.Globalization;

namespace Reconciler.Engine.Apply;

/// <summary>Power steps: bringing a domain to running (including a start cut by a daemon crash) and shutting it down.</summary>
internal sealed partial class Applier
{
    /// <summary>How long a domain may stay paused with reason "starting up" before its start counts as cut.</summary>
    internal static readonly TimeSpan StartingGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Domains (by UUID) whose cut start libvirt refused to clear: while one is still paused
    /// "starting up", its step fails at once with the same message instead of spending the grace
    /// and libvirt's 30 s lock wait again, which held up every pass of its node.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> HeldStarts = new(StringComparer.Ordinal);

    /// <summary>
    /// Brings a domain we want running to running: starts it when inactive, resumes it when paused.
    /// A domain paused with reason <see cref="DomainPausedReason.StartingUp"/> has never run guest
    /// code: libvirt sets that reason before QEMU is launched and replaces it when the vCPUs first
    /// start. A start in flight (another client's, or an incoming migration's whose guest still runs
    /// on its source) normally leaves it within a second, so it is given <see cref="StartingGrace"/>.
    /// One still starting up after that had its start cut: libvirtd killed mid-start leaves the
    /// restarted daemon's reconnect job on the domain hung on a QEMU that never answers, and every
    /// resume then times out on the state change lock, forever. Such a domain is destroyed (which
    /// kills QEMU first and so frees the job) and started afresh; no guest state is lost because no
    /// guest ever ran. When the crash came before libvirt had recorded QEMU's pid, libvirt (seen with 9.0) keeps
    /// the start job with no thread to end it, and the destroy times out too: that is reported as a
    /// step error naming the cause, since nothing a client can call clears it; later attempts fail
    /// at once while it stays so (<see cref="HeldStarts"/>). A domain paused for
    /// any other reason (a client, an I/O error) is only resumed.
    /// </summary>
    private void StartOrResume(LibvirtDomain domain)
    {
        var uuid = domain.Uuid;
        if (HeldStarts.TryGetValue(uuid, out var held))
        {
            if (domain.GetState() is (DomainRunState.Paused, (int)DomainPausedReason.StartingUp)) throw new ApplyStepException(held);
            HeldStarts.TryRemove(uuid, out _);
        }
        if (domain.IsActive && StillStartingUp(domain))
        {
            progress.WriteLine($"    {domain.Name} has been paused before its first boot (libvirt: starting up) for {StartingGrace.TotalSeconds:0}s; its start was cut: destroying it (no guest ever ran) and starting it again");
            try
            {
                domain.Destroy();
            }
            catch (LibvirtException) when (!domain.IsActive)
            {
                // libvirt's own recovery stopped it meanwhile; it is started below.
            }
            catch (LibvirtOperationTimeoutException e) when (domain.GetState() is (DomainRunState.Paused, (int)DomainPausedReason.StartingUp))
            {
                var message = $"domain {domain.Name} never booted (paused, starting up: a start cut by a libvirtd crash) and libvirt refuses to destroy it too ({e.Message}): "
                    + "libvirt keeps the cut start's job on it, across daemon restarts, when the crash came before it had recorded QEMU's pid. No guest is at stake; "
                    + "Reconciler cannot clear it through libvirt: it needs a person on the node, to stop libvirtd, remove the domain's status file "
                    + $"(/run/libvirt/qemu/{domain.Name}.xml for qemu:///system) and start libvirtd again (README, Faults and soak)";
                HeldStarts[uuid] = message;
                throw new ApplyStepException(message);
            }
        }
        if (domain.IsActive && domain.GetState().State is DomainRunState.Paused) domain.Resume();
        else if (!domain.IsActive) domain.Create();
    }

    /// <summary>True if the domain is paused with reason "starting up" and still is after <see cref="StartingGrace"/>.</summary>
    private static bool StillStartingUp(LibvirtDomain domain)
    {
        static bool Starting(LibvirtDomain d) =>
            d.GetState() is (DomainRunState.Paused, (int)DomainPausedReason.StartingUp);
        var waited = Stopwatch.StartNew();
        while (Starting(domain))
        {
            if (waited.Elapsed >= StartingGrace) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    /// <summary>ACPI shutdown, wait up to the timeout, then a hard stop.</summary>
    private void Stop(LibvirtDomain domain)
    {
        try
        {
            domain.Shutdown();
        }
        catch (LibvirtException)
        {
            // Some guests (and drivers) refuse ACPI; the hard stop below still applies.
        }
        var deadline = Stopwatch.StartNew();
        while (domain.IsActive && deadline.Elapsed < options.ShutdownTimeout)
        {
            Thread.Sleep(200);
        }
        if (domain.IsActive)
        {
            progress.WriteLine($"    {domain.Name} did not shut down within {options.ShutdownTimeout.TotalSeconds:0}s; stopping it hard");
            domain.Destroy();
        }
    }
}
