using Reconciler.Cli;

namespace Reconciler.Engine.Tests;

/// <summary>Runs `reconcile` in-process and captures what it prints.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public string All => Out + Err;
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public static async Task<Result> RunWithInputAsync(string? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, new StringReader(stdin ?? ""), CancellationToken.None);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    public static Task<Result> RunAsync(params string[] args) => RunWithInputAsync(null, args);
}

/// <summary>A temporary spec directory, deleted afterwards.</summary>
internal sealed class SpecDir : IDisposable
{
    public SpecDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reconcile-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public SpecDir Write(string file, string yaml)
    {
        var full = System.IO.Path.Combine(Path, file);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, yaml);
        return this;
    }

    public void Delete(string file) => File.Delete(System.IO.Path.Combine(Path, file));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
