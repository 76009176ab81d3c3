using System.Globalization;
using BenchmarkDotNet.Running;
using Reconciler.Benchmarks;
using Reconciler.Benchmarks.Micro;

// Two programs in one:
//   dotnet run -c Release --project tests/Reconciler.Benchmarks -- [--quick] [--uri qemu:///system|none] [--out FILE] ...
//       the macro benchmark: Reconciler against raw libvirt calls through the same binding, in one run;
//   dotnet run -c Release --project tests/Reconciler.Benchmarks -- micro [--quick] [BenchmarkDotNet args]
//       BenchmarkDotNet micro-benchmarks of load/validate, render, parse and diff for N = 100, 1,000, 10,000;
//   dotnet run -c Release --project tests/Reconciler.Benchmarks -- scale [--nodes 50] [--domains 10000]
//       whole-process no-op `reconcile plan` of 50 test-driver nodes holding 10,000 domains (ScaleBenchmark.cs);
//   dotnet run -c Release --project tests/Reconciler.Benchmarks -- latency [--quick] [--rtt 25,100] [--requests 5,64]
//       nodes far away: the same estate served by a second libvirtd through delaying proxies (LatencyBenchmark.cs);
//   dotnet run -c Release --project tests/Reconciler.Benchmarks -- controller [--test-nodes 49] [--real-domains 200] [--soak 30]
//       the controller over 49 test-driver nodes and qemu:///system, 10,000 domains; with --soak, its memory curve (ControllerScaleBenchmark.cs).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length > 0 && args[0] == "micro")
{
    var rest = args.Skip(1).ToList();
    var quick = rest.Remove("--quick");
    if (!rest.Contains("--filter")) rest.AddRange(["--filter", "*"]);
    BenchmarkSwitcher.FromAssembly(typeof(MicroConfig).Assembly).Run([.. rest], MicroConfig.Create(quick));
    return 0;
}

if (args.Length > 0 && args[0] == "controller")
{
    using var controllerCts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; controllerCts.Cancel(); };
    return ControllerScaleBenchmark.Run([.. args.Skip(1)], controllerCts.Token);
}

if (args.Length > 0 && args[0] == "scale")
{
    using var scaleCts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; scaleCts.Cancel(); };
    return ScaleBenchmark.Run([.. args.Skip(1)], scaleCts.Token);
}

if (args.Length > 0 && args[0] == "proxy")
{
    // The latency benchmark's delaying proxies, run as its child process (DelayProxy.cs).
    return await ProxyProcess.ServeAsync([.. args.Skip(1)]).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "latency")
{
    using var latencyCts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; latencyCts.Cancel(); };
    return await LatencyBenchmark.RunAsync([.. args.Skip(1)], latencyCts.Token).ConfigureAwait(false);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 1;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let the run clean up its bench-* domains before exiting.
    e.Cancel = true;
    cts.Cancel();
};
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});
return await MacroBenchmark.RunAsync(options, cts.Token).ConfigureAwait(false);
