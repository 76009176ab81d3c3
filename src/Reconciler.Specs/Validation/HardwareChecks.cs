using FluentValidation;
namespace Reconciler.Specs.Validation;

/// <summary>
/// The rules of spec.cpu's fallback, features, pinning and NUMA cells, spec.memoryBacking and
/// spec.numaTune that involve more than one field, and the cpuset syntax of every cpuset field.
/// </summary>
internal static class HardwareChecks
{
    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var cpu = d.Cpu;
        var maxVcpus = d.MaxVcpus ?? d.Vcpus;
        if (cpu.Fallback is not null && cpu.Mode != "custom")
        {
            Failures.Add(ctx, ConflictingFields, "spec.cpu.fallback", "cpu fallback is only used with mode custom (it is the model's fallback)",
                "set mode: custom with a model, or remove fallback", "spec.cpu.mode");
        }
        if (cpu.Features is { } features) CheckFeatures(features, cpu.Mode, ctx);
        if (cpu.Pinning is { } pinning) CheckPinning(pinning, maxVcpus, ctx);
        if (cpu.Numa is { } cells) CheckNuma(cells, maxVcpus, d.MaxMemoryBytes ?? d.MemoryBytes, ctx);
        var nodeset = DomainPaths.Spec.Field("numaTune").Field("nodeset");
        if (d.Declared[nodeset] is { } nodes) CheckCpuset(nodes, nodeset.Text, "nodeset", ctx);
    }

    private static void CheckFeatures(IReadOnlyList<CpuFeature> features, string? mode, ValidationContext<DomainSpec> ctx)
    {
        if (features.Count > 0 && mode is null)
        {
            Failures.Add(ctx, MissingField, "spec.cpu.features", "cpu features need a cpu mode (libvirt refuses features without a model)",
                "add mode: custom with a model, or mode: host-model / host-passthrough", "spec.cpu.mode");
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < features.Count; i++)
        {
            var path = $"spec.cpu.features[{i}].name";
            var name = features[i].Name;
            if (!Regexes.Token.IsMatch(name))
            {
                Failures.Add(ctx, InvalidValue, path, $"'{Failures.Printable(name)}' is not a CPU feature name", "e.g. erms, x2apic, sse4.2 (virsh domcapabilities lists them)");
            }
            else if (seen.TryGetValue(name, out var first))
            {
                Failures.Add(ctx, InvalidValue, path, $"features[{first}] already names '{name}'", "name each feature once, with one policy");
            }
            else
            {
                seen[name] = i;
            }
        }
    }

    private static void CheckPinning(CpuPinning pinning, int maxVcpus, ValidationContext<DomainSpec> ctx)
    {
        if (pinning.Vcpus is { } vcpus)
        {
            if (vcpus.Count > maxVcpus)
            {
                Failures.Add(ctx, OutOfRange, "spec.cpu.pinning.vcpus", $"pinning lists {vcpus.Count} vCPUs, but maxVcpus is {maxVcpus}",
                    "give at most one cpuset per vCPU (item i pins vCPU i), or raise maxVcpus", "spec.vcpus", "spec.maxVcpus");
            }
            for (var i = 0; i < vcpus.Count; i++) CheckCpuset(vcpus[i], $"spec.cpu.pinning.vcpus[{i}]", "cpuset", ctx);
        }
        if (pinning.Emulator is { } emulator) CheckCpuset(emulator, "spec.cpu.pinning.emulator", "cpuset", ctx);
    }

    private static void CheckNuma(IReadOnlyList<NumaCell> cells, int maxVcpus, ulong memory, ValidationContext<DomainSpec> ctx)
    {
        if (cells.Count == 0) return;
        var owner = new Dictionary<int, int>();
        var valid = true;
        for (var i = 0; i < cells.Count; i++)
        {
            var path = $"spec.cpu.numa[{i}].cpus";
            if (!CheckCpuset(cells[i].Cpus, path, "cpus", ctx, out var cpus))
            {
                valid = false;
                continue;
            }
            foreach (var cpu in cpus)
            {
                if (cpu >= maxVcpus)
                {
                    Failures.Add(ctx, OutOfRange, path, $"vCPU {cpu} is not a vCPU of this domain (maxVcpus is {maxVcpus}, so 0-{maxVcpus - 1})",
                        "a cell's cpus are guest vCPU numbers", "spec.vcpus", "spec.maxVcpus");
                    valid = false;
                    break;
                }
                if (owner.TryGetValue(cpu, out var other))
                {
                    Failures.Add(ctx, ConflictingFields, path, $"vCPU {cpu} is already in numa[{other}]", "put each vCPU in exactly one cell");
                    valid = false;
                    break;
                }
                owner[cpu] = i;
            }
        }
        if (valid && owner.Count != maxVcpus)
        {
            var missing = CpuSet.Format(Enumerable.Range(0, maxVcpus).Where(c => !owner.ContainsKey(c)));
            Failures.Add(ctx, ConflictingFields, "spec.cpu.numa", $"the NUMA cells leave vCPUs {missing} out (every vCPU 0-{maxVcpus - 1} must be in one cell)",
                "add the missing vCPUs to a cell's cpus", "spec.vcpus", "spec.maxVcpus");
        }
        var total = cells.Aggregate(0UL, (sum, c) => sum + c.MemoryBytes);
        if (total != memory)
        {
            Failures.Add(ctx, ConflictingFields, "spec.cpu.numa", $"the NUMA cells' memory adds up to {ByteSize.Format(total)}, but the domain's memory is {ByteSize.Format(memory)}",
                "make the cells' memory add up to maxMemory (memory when maxMemory is not set)", "spec.memory", "spec.maxMemory");
        }
    }

    private static bool CheckCpuset(string text, string path, string what, ValidationContext<DomainSpec> ctx) => CheckCpuset(text, path, what, ctx, out _);

    private static bool CheckCpuset(string text, string path, string what, ValidationContext<DomainSpec> ctx, out SortedSet<int> cpus)
    {
        if (CpuSet.TryParse(text, out cpus, out var error)) return true;
        Failures.Add(ctx, InvalidValue, path, $"'{Failures.Printable(text)}' is not a valid {what}: {error}", CpuSet.Hint);
        return false;
    }
}
