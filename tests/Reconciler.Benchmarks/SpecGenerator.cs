using System.Globalization;
using System.Text;

namespace Reconciler.Benchmarks;

/// <summary>
/// Generates N Domain manifests of the kind the issue measures: 64 MiB, 1 vCPU, no disks, no
/// graphics, two labels and a description, stopped (so an apply only defines), ten per file.
/// </summary>
internal static class SpecGenerator
{
    public const int DomainsPerFile = 10;

    /// <summary>What every domain name of a run starts with (<c>--name-prefix</c>; default bench-): the run creates and removes only such domains.</summary>
    public static string Root { get; set; } = "bench-";

    /// <summary>The domain name of item <paramref name="i"/> with <paramref name="prefix"/> (always starts with <see cref="Root"/>).</summary>
    public static string Name(string prefix, int i) => string.Create(CultureInfo.InvariantCulture, $"{Root}{prefix}{i:D5}");

    /// <summary>The manifests as (relative path, text), in file order.</summary>
    public static List<(string Path, string Text)> Texts(int n, string prefix, string state = "stopped")
    {
        var files = new List<(string, string)>();
        var text = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            if (i % DomainsPerFile != 0) text.Append("---\n");
            text.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: reconciler/v1
                kind: Domain
                metadata:
                  name: {Name(prefix, i)}
                  labels: {"{"}bench: "true", group: g{i % 16}{"}"}
                spec:
                  state: {state}
                  vcpus: 1
                  memory: 64MiB
                  graphics: {"{"}type: none{"}"}
                  description: benchmark domain {i}

                """);
            if (i % DomainsPerFile == DomainsPerFile - 1 || i == n - 1)
            {
                files.Add((string.Create(CultureInfo.InvariantCulture, $"domains-{i / DomainsPerFile:D4}.yaml"), text.ToString()));
                text.Clear();
            }
        }
        return files;
    }

    /// <summary>Writes the manifests into a fresh <paramref name="directory"/> (emptied first, .reconcile/ included).</summary>
    public static string Write(string directory, int n, string prefix, string state = "stopped")
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        foreach (var (path, text) in Texts(n, prefix, state))
        {
            File.WriteAllText(Path.Combine(directory, path), text);
        }
        return directory;
    }
}
