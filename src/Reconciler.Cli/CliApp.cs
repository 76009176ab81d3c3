using System.CommandLine;
using Reconciler.Core.Diagnostics;

namespace Reconciler.Cli;

/// <summary>
/// The <c>reconcile</c> command line. Thin: every command is a few calls into the engine, and
/// every error reaches the user as a diagnostic line (file:line:column, field, hint), never as a
/// stack trace.
/// </summary>
internal static class CliApp
{
    /// <summary>Exit code: success (or, with --detailed-exitcode, no changes).</summary>
    public const int Ok = 0;
    /// <summary>Exit code: an error.</summary>
    public const int Error = 1;
    /// <summary>Exit code with --detailed-exitcode: there are changes.</summary>
    public const int Changes = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin, CancellationToken ct)
    {
        var io = new Io(stdout, stderr, stdin, Color: !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out)
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")));
        var root = Commands.Build(io);
        try
        {
            var parse = root.Parse(args);
            // On SIGTERM or Ctrl+C the token is cancelled and the step in flight may finish (a graceful
            // guest shutdown can take a minute), instead of the 2 s default before a forced exit.
            var config = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromMinutes(5) };
            return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("reconcile: cancelled");
            return Error;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The last line of defence: a bug must still reach the user as one clear line.
            stderr.WriteLine($"reconcile: internal error: {e.GetType().Name}: {e.Message}");
            stderr.WriteLine("This is a bug in Reconciler; please report it with the command you ran. Set RECONCILER_DEBUG=1 for details.");
            if (Environment.GetEnvironmentVariable("RECONCILER_DEBUG") == "1") stderr.WriteLine(e);
            return Error;
        }
    }

    /// <summary>Prints diagnostics to stderr; returns the number of errors.</summary>
    public static int Report(Io io, IEnumerable<Diagnostic> diagnostics)
    {
        var errors = 0;
        foreach (var d in diagnostics)
        {
            if (d.Severity == Severity.Error) errors++;
            io.Err.WriteLine(d.ToString());
        }
        return errors;
    }
}

/// <summary>The command's streams and whether to colour output.</summary>
internal sealed record Io(TextWriter Out, TextWriter Err, TextReader In, bool Color);
