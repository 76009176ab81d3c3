namespace Reconciler.Libvirt.Tests;

/// <summary>
/// Helpers for libvirt's in-process test driver. Its <c>test:///default</c> state is shared by
/// every connection in this process (and reset when the last one closes), and xunit runs test
/// classes in parallel: every test uses names of its own.
/// </summary>
internal static class TestDriver
{
    public const string DefaultUri = "test:///default";

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static LibvirtConnection Open() => LibvirtConnection.Open(DefaultUri);

    public static string DomainXml(string name, int memoryMiB = 128, int vcpus = 2, string extra = "") => $"""
        <domain type='test'>
          <name>{name}</name>
          <memory unit='MiB'>{memoryMiB}</memory>
          <vcpu placement='static'>{vcpus}</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
          {extra}
        </domain>
        """;

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("reconciler-libvirt-").FullName;
    }

    public string Path { get; }

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
