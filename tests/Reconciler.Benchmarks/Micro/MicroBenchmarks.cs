using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Rendering;
using Reconciler.Specs;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Benchmarks.Micro;

/// <summary>In-process BenchmarkDotNet runs: no separate build per benchmark, short jobs (2 shared cores).</summary>
public static class MicroConfig
{
    public static IConfig Create(bool quick)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(quick ? 1 : 3)
            .WithIterationCount(quick ? 3 : 10)
            .WithLaunchCount(1);
        return DefaultConfig.Instance.AddJob(job)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "reconciler-bench-artifacts"));
    }
}

/// <summary>Generated specs, their rendered XML and the same parsed back, shared by the benchmarks.</summary>
public abstract class SpecBenchmark
{
    [Params(100, 1000, 10000)]
    public int N { get; set; }

    protected List<(string Path, string Text)> Texts { get; private set; } = [];
    protected SpecSet Specs { get; private set; } = SpecSet.Empty("bench");
    protected List<string> Xmls { get; private set; } = [];
    protected LiveNode Live { get; private set; } = new("default", "test:///default", "kvm", []);
    protected string XmlTemplate { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        Texts = SpecGenerator.Texts(N, "m");
        Specs = SpecLoader.LoadFiles("bench", Texts).Specs ?? throw new InvalidOperationException("specs did not load");
        Xmls = [.. Specs.Domains.Select(d => DomainRenderer.Render(d, Options(d)))];
        XmlTemplate = RawLibvirt.TemplateOf(Xmls[0], Specs.Domains[0].Name);
        Live = new LiveNode("default", "test:///default", "kvm", [.. Xmls.Select(x =>
        {
            var p = DomainXmlParser.Parse(x);
            return new LiveDomain(p.Name, p.Uuid ?? "", LiveRunState.Stopped, false, true, p.Owner, p.Spec, null, "");
        })]);
    }

    protected RenderOptions Options(DomainSpec d) =>
        new("kvm", new OwnerRecord(d.Name, SpecHash.Compute(d), Specs.Source, Specs.Revision, d.Protect));
}

/// <summary>Loading: YamlDotNet's document model alone (baseline) against the loader with validation.</summary>
[MemoryDiagnoser]
public class LoadBenchmarks : SpecBenchmark
{
    [Benchmark(Baseline = true, Description = "raw: YamlStream.Load")]
    public int YamlOnly()
    {
        var count = 0;
        foreach (var (_, text) in Texts)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            count += stream.Documents.Count;
        }
        return count;
    }

    [Benchmark(Description = "SpecLoader.LoadFiles (load+validate)")]
    public int LoadValidate() => SpecLoader.LoadFiles("bench", Texts).Specs!.Domains.Count;
}

/// <summary>Rendering: a bare string template (baseline) against DomainRenderer with the spec hash.</summary>
[MemoryDiagnoser]
public class RenderBenchmarks : SpecBenchmark
{
    [Benchmark(Baseline = true, Description = "raw: same XML from a string template")]
    public int Template()
    {
        var length = 0;
        foreach (var d in Specs.Domains) length += RawLibvirt.FillTemplate(XmlTemplate, d.Name).Length;
        return length;
    }

    [Benchmark(Description = "SpecHash + DomainRenderer.Render")]
    public int Render()
    {
        var length = 0;
        foreach (var d in Specs.Domains) length += DomainRenderer.Render(d, Options(d)).Length;
        return length;
    }
}

/// <summary>Reading live XML back: XDocument.Parse (baseline) against DomainXmlParser.Parse.</summary>
[MemoryDiagnoser]
public class ParseBenchmarks : SpecBenchmark
{
    [Benchmark(Baseline = true, Description = "raw: XDocument.Parse")]
    public int XDocumentParse()
    {
        var count = 0;
        foreach (var x in Xmls) count += XDocument.Parse(x).Root is null ? 0 : 1;
        return count;
    }

    [Benchmark(Description = "DomainXmlParser.Parse")]
    public int Parse()
    {
        var count = 0;
        foreach (var x in Xmls) count += DomainXmlParser.Parse(x).Spec.Vcpus;
        return count;
    }
}

/// <summary>Diffing: DomainFields.Diff per domain and the whole Planner.Compute of a no-op plan.</summary>
[MemoryDiagnoser]
public class DiffBenchmarks : SpecBenchmark
{
    [Benchmark(Baseline = true, Description = "DomainFields.Diff of each pair")]
    public int Diff()
    {
        var count = 0;
        for (var i = 0; i < Specs.Domains.Count; i++) count += DomainFields.Diff(Specs.Domains[i], Live.Domains[i].Config!).Count;
        return count;
    }

    [Benchmark(Description = "Planner.Compute (no-op)")]
    public int Plan() => Planner.Compute(Specs, [Live], new PlanOptions()).Changes.Count;
}
