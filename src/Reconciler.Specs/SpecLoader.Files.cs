using System.Security.Cryptography;
using System.Text;
using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs;

/// <summary>Finding and reading the spec files of a directory, and the revision of their content.</summary>
public static partial class SpecLoader
{
    private static void Walk(string directory, string relative, List<(string, string)> found, List<Diagnostic> diagnostics, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(FileUnreadable, $"the directory could not be read: {ex.Message}",
                SourceLocation.OfFile(relative.Length == 0 ? directory : relative), null, "check its permissions"));
            return;
        }
        foreach (var entry in entries)
        {
            if (entry.Name.StartsWith('.')) continue;
            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry is DirectoryInfo dir)
            {
                if (dir.LinkTarget is null) Walk(dir.FullName, path, found, diagnostics, ct);
            }
            else if (IsSpecFile(path))
            {
                found.Add((path, entry.FullName));
            }
        }
    }

    private static void ReadFile(string full, string relative, List<(string, byte[])> files, List<Diagnostic> diagnostics)
    {
        try
        {
            var info = new FileInfo(full);
            if (info.Length > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(relative));
                return;
            }
            files.Add((relative, File.ReadAllBytes(full)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(Diagnostic.Error(FileUnreadable, $"the file could not be read: {ex.Message}", SourceLocation.OfFile(relative), null,
                "check its permissions"));
        }
    }

    private static Diagnostic TooLarge(string path) =>
        Diagnostic.Error(FileTooLarge, $"the file is larger than {MaxFileBytes / (1 << 20)}MiB", SourceLocation.OfFile(path), null,
            "split it into smaller files");

    /// <summary>First 12 hex digits of SHA-256 over each file's path, length and bytes, in path order.</summary>
    private static string Revision(IReadOnlyList<(string Path, byte[] Bytes)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, bytes) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path));
            hash.AppendData([0]);
            hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }
}
