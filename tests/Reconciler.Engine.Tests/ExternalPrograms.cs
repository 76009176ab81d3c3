using System.Text;
using System.Text.RegularExpressions;

namespace Reconciler.Engine.Tests;

/// <summary>A program that a file of this repository starts, and where.</summary>
internal sealed record ProgramUse(string Program, string File, int Line)
{
    public override string ToString() => $"{Program} ({File}:{Line})";
}

/// <summary>
/// Finds, by reading source text, the external programs that C# code and shell scripts start.
/// C#: the program of <c>new ProcessStartInfo(…)</c> and <c>Process.Start("…", …)</c> when it is a
/// string literal, a <c>const string</c>, or a parameter of the method (then every call of that
/// method, a "runner" such as <c>Tools.Run("isoinfo", …)</c>, names the program in its argument,
/// followed through runners that pass it on); the script given to <c>sh -c</c> (literally or
/// through a runner) and to <c>…_COMMAND</c> environment variables, scanned as shell; and every
/// literal absolute path to a file in a bin, sbin or lib/&lt;package&gt; directory.
/// Shell: the command words of each simple command (after assignments, <c>sudo</c>, <c>timeout</c>
/// and the like), inside <c>$( )</c>, backquotes and <c>sh -c '…'</c> too; not here-document
/// bodies (scripts for another machine, such as a guest's init), case patterns, builtins,
/// functions of the script, or commands named by a variable or a relative path (built here).
/// </summary>
internal static partial class ExternalPrograms
{
    /// <summary>Programs that run another one the scan cannot see: it is started as well.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Runs = new Dictionary<string, string[]>
    {
        // A shell script (/usr/bin/virt-xml-validate) that validates with `xmllint --relaxng`.
        ["virt-xml-validate"] = ["xmllint"],
    };

    /// <summary>
    /// Programs this repository makes itself, so no machine has them beforehand: the
    /// <c>reconcile</c> that PackagingTests installs from the .deb that build/package.sh builds.
    /// </summary>
    private static readonly HashSet<string> Produced = ["/usr/bin/reconcile"];

    /// <summary>This scanner and its tests: their samples name made-up programs on purpose.</summary>
    private static readonly HashSet<string> ScannerFiles = ["ExternalPrograms.cs", "ShellReader.cs", "ExternalProgramsTests.cs"];

    private static readonly string[] PathDirectories = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];

    /// <summary>The program column of .ci/tools.tsv (comment lines and "-" rows left out).</summary>
    public static IReadOnlySet<string> ReadList(string tsvPath) =>
        File.ReadAllLines(tsvPath)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t')[0])
            .Where(p => p != "-")
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The uses whose program the list lacks. An absolute path counts as listed when the list has
    /// it, or has its name and it lies in a directory of the usual PATH (where the preflight finds it).
    /// </summary>
    public static IReadOnlyList<ProgramUse> Unlisted(IEnumerable<ProgramUse> uses, IReadOnlySet<string> listed) =>
        uses.Where(u => !listed.Contains(u.Program) && !Produced.Contains(u.Program) &&
                        !(u.Program.StartsWith('/') && PathDirectories.Contains(Path.GetDirectoryName(u.Program)) && listed.Contains(Path.GetFileName(u.Program))))
            .ToList();

    /// <summary>Scans the C# files below src/ and tests/ and every shell script of the repository (not examples/: guest files).</summary>
    public static List<ProgramUse> ScanRepository(string root)
    {
        var csharp = new List<(string File, string Text)>();
        var uses = new List<ProgramUse>();
        foreach (var file in Files(root))
        {
            var relative = Path.GetRelativePath(root, file);
            if (file.EndsWith(".cs", StringComparison.Ordinal))
            {
                if ((relative.StartsWith("src/", StringComparison.Ordinal) || relative.StartsWith("tests/", StringComparison.Ordinal)) && !ScannerFiles.Contains(Path.GetFileName(file)))
                {
                    csharp.Add((relative, File.ReadAllText(file)));
                }
            }
            else if (IsShellScript(file))
            {
                uses.AddRange(ScanShell(relative, File.ReadAllText(file)));
            }
        }

        uses.AddRange(ScanCSharp(csharp));
        return WithImplied(uses);
    }

    private static IEnumerable<string> Files(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir)) yield return file;
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            if (name is "bin" or "obj" or "examples" or "node_modules" or "TestResults" || (name.StartsWith('.') && name != ".ci")) continue;
            foreach (var file in Files(sub)) yield return file;
        }
    }

    private static bool IsShellScript(string file)
    {
        if (file.EndsWith(".sh", StringComparison.Ordinal)) return true;
        using var reader = new StreamReader(file);
        var first = reader.ReadLine() ?? "";
        return first.StartsWith("#!", StringComparison.Ordinal) && ShebangShell().IsMatch(first);
    }

    public static List<ProgramUse> WithImplied(List<ProgramUse> uses)
    {
        var implied = uses.Where(u => Runs.ContainsKey(u.Program)).SelectMany(u => Runs[u.Program].Select(p => u with { Program = p })).ToList();
        return [.. uses, .. implied];
    }

    // ---------------------------------------------------------------- C#

    private sealed record Runner(string File, string Class, string Name, int Parameter, bool Script);

    /// <summary>Scans C# sources together: a runner declared in one file is called from others.</summary>
    public static List<ProgramUse> ScanCSharp(IReadOnlyList<(string File, string Text)> files)
    {
        var uses = new List<ProgramUse>();
        var runners = new List<Runner>();
        files = [.. files.Select(f => (f.File, WithoutComments(f.Text)))];
        foreach (var (file, text) in files)
        {
            var consts = Consts(text);
            foreach (Match m in ProcessStart().Matches(text))
            {
                var args = Arguments(text, m.Index + m.Length);
                if (args.Count == 0) continue;
                var isProcessStart = m.Value.StartsWith("Process", StringComparison.Ordinal);
                // Process.Start(psi) takes a ProcessStartInfo; only Process.Start(file, …) names a program.
                if (isProcessStart && args.Count == 1 && !IsLiteralStart(text, args[0].Start)) continue;
                var programs = Alternatives(text, args[0]).SelectMany(a => Resolve(text, a, consts, file, runners)).ToList();
                foreach (var program in programs)
                {
                    uses.Add(new ProgramUse(program, file, LineOf(text, m.Index)));
                }

                ScriptArguments(text, args.Skip(1), programs.Any(p => Shells.Contains(Path.GetFileName(p))), file, consts, runners, uses);
            }

            // new ProcessStartInfo { FileName = … }: a literal or a const.
            foreach (Match m in FileNameAssignment().Matches(text))
            {
                var value = Literal(text, m.Index + m.Length)?.Value ?? consts.GetValueOrDefault(m.Groups[1].Value);
                if (value is not null) uses.Add(new ProgramUse(value, file, LineOf(text, m.Index)));
            }

            foreach (Match m in CommandVariable().Matches(text))
            {
                if (Literal(text, m.Index + m.Length) is { } script)
                {
                    uses.AddRange(ScanShell(file, script.Value, LineOf(text, m.Index)));
                }
            }

            foreach (Match m in AbsoluteProgramPath().Matches(text))
            {
                if (!m.Groups[1].Value.Contains(".so", StringComparison.Ordinal)) uses.Add(new ProgramUse(m.Groups[1].Value, file, LineOf(text, m.Index)));
            }
        }

        // Calls of runners name programs (or scripts); a runner may pass its argument on to another.
        for (var done = 0; done < runners.Count; done++)
        {
            var runner = runners[done];
            foreach (var (file, text) in files)
            {
                var consts = Consts(text);
                var pattern = file == runner.File
                    ? $@"(?<![\w.])(?:{Regex.Escape(runner.Class)}\.)?{Regex.Escape(runner.Name)}\s*\("
                    : $@"\b{Regex.Escape(runner.Class)}\.{Regex.Escape(runner.Name)}\s*\(";
                foreach (Match m in Regex.Matches(text, pattern))
                {
                    var args = Arguments(text, m.Index + m.Length);
                    if (args.Count <= runner.Parameter) continue;
                    var line = LineOf(text, m.Index);
                    if (runner.Script)
                    {
                        if (Literal(text, args[runner.Parameter].Start) is { } script) uses.AddRange(ScanShell(file, script.Value, line));
                        else ParameterRunner(text, args[runner.Parameter], file, runners, script: true);
                        continue;
                    }

                    var programs = Alternatives(text, args[runner.Parameter]).SelectMany(a => Resolve(text, a, consts, file, runners)).ToList();
                    foreach (var program in programs)
                    {
                        uses.Add(new ProgramUse(program, file, line));
                    }

                    ScriptArguments(text, args.Skip(runner.Parameter + 1), programs.Any(p => Shells.Contains(Path.GetFileName(p))), file, consts, runners, uses);
                }
            }
        }

        return uses;
    }

    private static readonly HashSet<string> Shells = ["sh", "bash", "dash"];

    /// <summary>
    /// Scripts among a started program's arguments: the one after a "-c"-like flag of the shell
    /// started (<paramref name="programIsShell"/>) or of a shell named in the arguments themselves
    /// (unshare … sh -c '…'). A literal or const is scanned; a parameter makes its method a script runner.
    /// </summary>
    private static void ScriptArguments(string text, IEnumerable<(int Start, int End)> args, bool programIsShell, string file, Dictionary<string, string> consts, List<Runner> runners, List<ProgramUse> uses)
    {
        // The arguments may be a collection expression: ["-ec", script].
        var all = new List<(int Start, int End)>();
        foreach (var a in args)
        {
            var s = text[a.Start..a.End].TrimStart();
            var open = a.Start + (text[a.Start..a.End].Length - s.Length);
            if (s.StartsWith('[') || s.StartsWith("new[]", StringComparison.Ordinal)) all.AddRange(Arguments(text, text.IndexOf(s.StartsWith('[') ? '[' : '{', open) + 1));
            else all.Add(a);
        }

        for (var i = 0; i + 1 < all.Count; i++)
        {
            if (Literal(text, all[i].Start) is not { } flag || !DashC().IsMatch(flag.Value)) continue;
            if (!programIsShell && !(i > 0 && Literal(text, all[i - 1].Start) is { } shell && Shells.Contains(Path.GetFileName(shell.Value)))) continue;
            var script = all[i + 1];
            if (Literal(text, script.Start) is { } literal) uses.AddRange(ScanShell(file, literal.Value, LineOf(text, script.Start)));
            else if (Identifier(text, script) is { } id && consts.TryGetValue(id, out var value)) uses.AddRange(ScanShell(file, value, LineOf(text, script.Start)));
            else ParameterRunner(text, script, file, runners, script: true);
        }
    }

    /// <summary>The program(s) an expression names: a literal, a const, or (a parameter) none yet but a new runner.</summary>
    private static IEnumerable<string> Resolve(string text, (int Start, int End) expr, Dictionary<string, string> consts, string file, List<Runner> runners)
    {
        if (Literal(text, expr.Start) is { } literal)
        {
            return [literal.Value];
        }

        if (Identifier(text, expr) is { } id)
        {
            if (consts.TryGetValue(id, out var value)) return [value];
            ParameterRunner(text, expr, file, runners, script: false);
        }

        return [];
    }

    /// <summary>When the expression is a string parameter of the method around it, that method is a runner.</summary>
    private static void ParameterRunner(string text, (int Start, int End) expr, string file, List<Runner> runners, bool script)
    {
        if (Identifier(text, expr) is not { } id) return;
        var parameter = new Regex($@"^\s*(?:params\s+)?string\??\s+{Regex.Escape(id)}\b");
        var declaration = MethodDeclaration().Matches(text[..expr.Start])
            .LastOrDefault(m => TopLevelSplit(m.Groups["params"].Value).Any(parameter.IsMatch));
        if (declaration is null) return;
        var index = TopLevelSplit(declaration.Groups["params"].Value).FindIndex(parameter.IsMatch);
        var type = TypeDeclaration().Matches(text[..declaration.Index]).LastOrDefault()?.Groups[1].Value ?? "";
        var runner = new Runner(file, type, declaration.Groups["name"].Value, index, script);
        if (!runners.Contains(runner)) runners.Add(runner);
    }

    private static List<string> TopLevelSplit(string parameters)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i] is '(' or '[' or '<') depth++;
            else if (parameters[i] is ')' or ']' or '>') depth--;
            else if (parameters[i] == ',' && depth == 0)
            {
                parts.Add(parameters[start..i]);
                start = i + 1;
            }
        }

        parts.Add(parameters[start..]);
        return parts;
    }

    /// <summary>The text with its comments blanked out (line breaks kept, so lines still count); string literals are kept.</summary>
    internal static string WithoutComments(string text)
    {
        var sb = new StringBuilder(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '"' or '$' or '@' && Literal(text, i) is { } literal)
            {
                i = literal.End - 1;
            }
            else if (text[i] == '\'')
            {
                var close = text.IndexOf('\'', i + (i + 1 < text.Length && text[i + 1] == '\\' ? 3 : 2));
                i = close < 0 ? text.Length : close;
            }
            else if (text[i] == '/' && i + 1 < text.Length && text[i + 1] is '/' or '*')
            {
                var end = text[i + 1] == '/' ? text.IndexOf('\n', i) : text.IndexOf("*/", i + 2, StringComparison.Ordinal) + 2;
                if (end <= 1) end = text.Length;
                for (var j = i; j < end; j++) if (sb[j] != '\n') sb[j] = ' ';
                i = end - 1;
            }
        }

        return sb.ToString();
    }

    /// <summary>The branches of a conditional expression (a ? b : c gives b and c), else the expression.</summary>
    private static IEnumerable<(int Start, int End)> Alternatives(string text, (int Start, int End) expr)
    {
        int question = -1, colon = -1;
        for (var i = expr.Start; i < expr.End; i++)
        {
            if (Literal(text, i) is { } literal && text[i] is '"' or '$' or '@')
            {
                i = literal.End - 1;
            }
            else if (text[i] == '?' && question < 0 && char.IsWhiteSpace(text[i + 1]))
            {
                question = i;
            }
            else if (text[i] == ':' && question >= 0 && colon < 0)
            {
                colon = i;
            }
        }

        return question < 0 || colon < 0 ? [expr] : [(question + 1, colon), (colon + 1, expr.End)];
    }

    private static string? Identifier(string text, (int Start, int End) expr)
    {
        var s = text[expr.Start..expr.End].Trim();
        return SimpleIdentifier().IsMatch(s) ? s[(s.LastIndexOf('.') + 1)..] : null;
    }

    private static Dictionary<string, string> Consts(string text)
    {
        var consts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in ConstString().Matches(text))
        {
            if (Literal(text, m.Index + m.Length) is { } value) consts.TryAdd(m.Groups[1].Value, value.Value);
        }

        return consts;
    }

    private static int LineOf(string text, int index)
    {
        var line = 1;
        for (var i = 0; i < index && i < text.Length; i++) if (text[i] == '\n') line++;
        return line;
    }

    private static bool IsLiteralStart(string text, int at) => Literal(text, at) is not null;

    /// <summary>
    /// The top-level arguments of a call whose opening bracket precedes <paramref name="at"/>, up to
    /// the matching close; strings, chars and nested brackets are skipped over (comments are gone already).
    /// </summary>
    private static List<(int Start, int End)> Arguments(string text, int at)
    {
        var args = new List<(int, int)>();
        var depth = 0;
        var start = at;
        for (var i = at; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '$' or '@' && Literal(text, i) is { } literal)
            {
                i = literal.End - 1;
                continue;
            }

            if (c == '\'')
            {
                var close = text.IndexOf('\'', i + (text[i + 1] == '\\' ? 3 : 2));
                i = close < 0 ? text.Length : close;
                continue;
            }

            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}')
            {
                if (depth-- == 0)
                {
                    if (text[start..i].Trim().Length > 0) args.Add((start, i));
                    return args;
                }
            }
            else if (c == ',' && depth == 0)
            {
                args.Add((start, i));
                start = i + 1;
            }
        }

        return args;
    }

    /// <summary>
    /// The string literal starting at <paramref name="at"/> (after white space): regular, verbatim,
    /// interpolated or raw; interpolation holes read as "X". Null when no literal starts there.
    /// </summary>
    internal static (string Value, int End)? Literal(string text, int at)
    {
        var i = at;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        var dollars = 0;
        var verbatim = false;
        while (i < text.Length && (text[i] == '$' || text[i] == '@'))
        {
            if (text[i] == '$') dollars++;
            else verbatim = true;
            i++;
        }

        if (i >= text.Length || text[i] != '"') return null;
        var quotes = 0;
        while (i + quotes < text.Length && text[i + quotes] == '"') quotes++;
        var sb = new StringBuilder();
        if (quotes >= 3)
        {
            i += quotes;
            var end = text.IndexOf(new string('"', quotes), i, StringComparison.Ordinal);
            if (end < 0) return null;
            AppendInterpolated(sb, text[i..end], dollars);
            return (sb.ToString(), end + quotes);
        }

        if (quotes == 2)
        {
            return ("", i + 2);
        }

        i++;
        var content = new StringBuilder();
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (verbatim && c == '"' && i + 1 < text.Length && text[i + 1] == '"')
            {
                content.Append('"');
                i++;
            }
            else if (c == '"')
            {
                break;
            }
            else if (!verbatim && c == '\\' && i + 1 < text.Length)
            {
                i++;
                content.Append(text[i] switch { 'n' => '\n', 't' => '\t', '0' => '\0', var e => e });
            }
            else if (dollars > 0 && c == '{')
            {
                // Skip the hole (it may hold strings of its own); a doubled brace is a brace.
                if (i + 1 < text.Length && text[i + 1] == '{')
                {
                    content.Append('{');
                    i++;
                    continue;
                }

                i = SkipHole(text, i);
                content.Append('X');
            }
            else if (dollars > 0 && c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                content.Append('}');
                i++;
            }
            else
            {
                content.Append(c);
            }
        }

        return (content.ToString(), i + 1);
    }

    private static void AppendInterpolated(StringBuilder sb, string body, int dollars)
    {
        for (var i = 0; i < body.Length; i++)
        {
            if (dollars > 0 && body[i] == '{')
            {
                var run = 0;
                while (i + run < body.Length && body[i + run] == '{') run++;
                if (run < dollars)
                {
                    sb.Append('{', run);
                    i += run - 1;
                    continue;
                }

                sb.Append('{', run - dollars);
                i = SkipHole(body, i + run - 1);
                sb.Append('X');
                continue;
            }

            sb.Append(body[i]);
        }
    }

    /// <summary>From the '{' opening an interpolation hole to its closing '}'; returns the index of that '}'.</summary>
    private static int SkipHole(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '"' && Literal(text, i) is { } nested)
            {
                i = nested.End - 1;
            }
            else if (text[i] == '{')
            {
                depth++;
            }
            else if (text[i] == '}' && --depth == 0)
            {
                return i;
            }
        }

        return text.Length;
    }

    // ---------------------------------------------------------------- shell

    /// <summary>The programs a shell script starts (see the class comment for what counts).</summary>
    public static List<ProgramUse> ScanShell(string file, string script, int firstLine = 1)
    {
        var found = new List<ProgramUse>();
        var functions = ShellFunction().Matches(script).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        new ShellReader(script, firstLine, file, functions, found).Run();
        return found;
    }

    [GeneratedRegex(@"(?:\bnew\s+(?:System\.Diagnostics\.)?ProcessStartInfo|\bProcess\.Start)\s*\(")]
    private static partial Regex ProcessStart();

    [GeneratedRegex(@"\bnew\s+(?:System\.Diagnostics\.)?ProcessStartInfo\s*(?:\(\s*\))?\s*\{[^{}]*?\bFileName\s*=\s*(?=[$@""]|(\w+)\s*[,;}\r\n])")]
    private static partial Regex FileNameAssignment();

    [GeneratedRegex(@"\[\s*""\w*_COMMAND""\s*\]\s*=\s*")]
    private static partial Regex CommandVariable();

    [GeneratedRegex(@"""(/(?:usr/)?(?:local/)?s?bin/[\w.+-]+|/usr/(?:lib|libexec)/[\w.+-]+/[\w.+-]+)""")]
    private static partial Regex AbsoluteProgramPath();

    [GeneratedRegex(@"\b(?<name>\w+)\s*\((?<params>(?:[^()]|\([^()]*\))*)\)")]
    private static partial Regex MethodDeclaration();

    [GeneratedRegex(@"\bconst\s+string\s+(\w+)\s*=")]
    private static partial Regex ConstString();

    [GeneratedRegex(@"\b(?:class|record|struct|interface)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^[A-Za-z_][\w.]*$")]
    private static partial Regex SimpleIdentifier();

    [GeneratedRegex(@"^-[a-z]*c[a-z]*$")]
    internal static partial Regex DashC();

    [GeneratedRegex(@"\b(?:ba|da)?sh\b")]
    private static partial Regex ShebangShell();

    [GeneratedRegex(@"(?m)^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\s*\)")]
    private static partial Regex ShellFunction();
}
