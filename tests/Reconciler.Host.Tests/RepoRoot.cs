namespace Reconciler.Host.Tests;

/// <summary>The checkout the tests run from (the directory holding Reconciler.sln).</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Reconciler.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root (Reconciler.sln) not found above " + AppContext.BaseDirectory);
    }
}
