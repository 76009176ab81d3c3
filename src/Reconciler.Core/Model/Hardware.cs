namespace Reconciler.Core.Model;

/// <summary>One CPU feature of <c>spec.cpu.features</c> (<c>&lt;cpu&gt;&lt;feature policy name/&gt;</c>).</summary>
/// <param name="Name">The feature's name as libvirt knows it (<c>erms</c>, <c>sse4.2</c>).</param>
/// <param name="Policy">require, optional, disable, forbid or force.</param>
public sealed record CpuFeature(string Name, string Policy);

/// <summary>Where vCPUs and the emulator threads may run (<c>&lt;cputune&gt;</c>).</summary>
/// <param name="Vcpus">A host cpuset per vCPU, index = vCPU number; null: not written (not owned).</param>
/// <param name="Emulator">The emulator threads' host cpuset; null: not written (not owned).</param>
public sealed record CpuPinning(IReadOnlyList<string>? Vcpus, string? Emulator);

/// <summary>One guest NUMA cell (<c>&lt;cpu&gt;&lt;numa&gt;&lt;cell/&gt;</c>).</summary>
/// <param name="Cpus">The guest vCPUs of the cell, as a cpuset.</param>
/// <param name="MemoryBytes">The cell's memory.</param>
public sealed record NumaCell(string Cpus, ulong MemoryBytes);

/// <summary>How guest memory is backed (<c>&lt;memoryBacking&gt;</c>).</summary>
/// <param name="HugepageBytes">The huge page size, or null for ordinary pages.</param>
/// <param name="Locked">Memory is locked in host RAM (<c>&lt;locked/&gt;</c>).</param>
/// <param name="Shared">memfd-backed memory with shared access (<c>&lt;source type='memfd'/&gt;&lt;access mode='shared'/&gt;</c>).</param>
public sealed record MemoryBackingSpec(ulong? HugepageBytes, bool Locked, bool Shared);
