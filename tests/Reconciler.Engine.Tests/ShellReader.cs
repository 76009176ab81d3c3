using System.Text;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Reads a shell script far enough to find its command words (see <see cref="ExternalPrograms"/>):
/// words, quotes, expansions, operators, here-documents and case patterns; a word that holds an
/// expansion is marked (its text has <see cref="Expansion"/> in place of it).
/// Not a full shell grammar: arithmetic, arrays and the like are skipped over, not understood.
/// </summary>
internal sealed class ShellReader(string script, int firstLine, string file, IReadOnlySet<string> functions, List<ProgramUse> found)
{
    private const char Expansion = '\u0001';

    private static readonly HashSet<string> Builtins =
    [
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete", "continue",
        "declare", "dirs", "disown", "echo", "enable", "eval", "exit", "export", "false", "fc", "fg", "getopts", "hash", "help",
        "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray",
        "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset",
        "ulimit", "umask", "unalias", "unset", "wait",
    ];

    private static readonly HashSet<string> Reserved =
        ["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "for", "select", "in", "function", "!", "{", "}", "[[", "]]", "time", "coproc"];

    /// <summary>Programs that start the command after their options: both count.</summary>
    private static readonly HashSet<string> Wrappers = ["sudo", "timeout", "env", "nice", "nohup", "xargs", "setsid", "stdbuf", "ionice"];

    private abstract record Token(int Line);

    private sealed record Word(string Text, string Raw, bool Quoted, int Line) : Token(Line);

    private sealed record Op(string Text, int Line) : Token(Line);

    private int _i;
    private int _line = firstLine;
    private readonly List<string> _heredocs = [];

    public void Run() => Parse(Tokens(close: false));

    // ------------------------------------------------------------ tokens

    /// <summary>Tokens up to the end, or (close) up to the ')' that ends a command substitution.</summary>
    private List<Token> Tokens(bool close)
    {
        var tokens = new List<Token>();
        var depth = 0;
        while (_i < script.Length)
        {
            var c = script[_i];
            switch (c)
            {
                case ' ' or '\t' or '\r':
                    _i++;
                    break;
                case '\\' when Peek(1) == '\n':
                    _i += 2;
                    _line++;
                    break;
                case '#':
                    while (_i < script.Length && script[_i] != '\n') _i++;
                    break;
                case '\n':
                    tokens.Add(new Op("\n", _line));
                    _i++;
                    _line++;
                    SkipHeredocs();
                    break;
                case ';':
                    var caseEnd = Peek(1) is ';' or '&';
                    tokens.Add(new Op(caseEnd ? ";;" : ";", _line));
                    _i += caseEnd ? (Peek(2) == '&' ? 3 : 2) : 1;
                    break;
                case '&' or '|':
                    if (c == '&' && Peek(1) == '>')
                    {
                        tokens.Add(new Op("redirect", _line));
                        _i += Peek(2) == '>' ? 3 : 2;
                    }
                    else
                    {
                        tokens.Add(new Op(c.ToString(), _line));
                        _i += Peek(1) == c || (c == '|' && Peek(1) == '&') ? 2 : 1;
                    }

                    break;
                case '<' or '>' when Peek(1) == '(':
                    // Process substitution: its commands run; as a word it is a file name.
                    _i += 2;
                    Parse(Tokens(close: true));
                    tokens.Add(new Word(Expansion.ToString(), "<()", false, _line));
                    break;
                case '<' when Peek(1) == '<' && Peek(2) != '<':
                    _i += Peek(2) == '-' ? 3 : 2;
                    tokens.Add(new Op("heredoc", _line));
                    break;
                case '<' or '>':
                    _i++;
                    while (_i < script.Length && script[_i] is '<' or '>' or '&' or '|') _i++;
                    tokens.Add(new Op("redirect", _line));
                    break;
                case '(' when Peek(1) == '(':
                    SkipBalanced('(', ')');
                    break;
                case '(':
                    depth++;
                    tokens.Add(new Op("(", _line));
                    _i++;
                    break;
                case ')':
                    _i++;
                    if (depth-- == 0 && close) return tokens;
                    tokens.Add(new Op(")", _line));
                    break;
                default:
                    var word = ReadWord();
                    if (word is null) break;
                    if (tokens.Count > 0 && tokens[^1] is Op { Text: "heredoc" })
                    {
                        _heredocs.Add(word.Text);
                        tokens.RemoveAt(tokens.Count - 1);
                        break;
                    }

                    tokens.Add(word);
                    break;
            }
        }

        return tokens;
    }

    private char Peek(int ahead) => _i + ahead < script.Length ? script[_i + ahead] : '\0';

    /// <summary>A word; null for a file descriptor number before a redirection (2>&1).</summary>
    private Word? ReadWord()
    {
        var start = _i;
        var line = _line;
        var text = new StringBuilder();
        var quoted = false;
        while (_i < script.Length)
        {
            var c = script[_i];
            if (c is ' ' or '\t' or '\r' or '\n' or ';' or '&' or '|' or '<' or '>' or '(' or ')') break;
            switch (c)
            {
                case '\\':
                    if (Peek(1) == '\n') _line++;
                    else text.Append(Peek(1));
                    _i += 2;
                    quoted = true;
                    break;
                case '\'':
                    text.Append(SingleQuoted());
                    quoted = true;
                    break;
                case '"':
                    _i++;
                    DoubleQuoted(text);
                    quoted = true;
                    break;
                case '`':
                    Backquoted();
                    text.Append(Expansion);
                    break;
                case '$':
                    Dollar(text);
                    break;
                default:
                    text.Append(c);
                    _i++;
                    break;
            }
        }

        var raw = script[start.._i];
        if (_i < script.Length && script[_i] is '<' or '>' && raw.All(char.IsAsciiDigit)) return null;
        return new Word(text.ToString(), raw, quoted, line);
    }

    private string SingleQuoted()
    {
        var end = script.IndexOf('\'', _i + 1);
        if (end < 0) end = script.Length;
        var content = script[(_i + 1)..end];
        _line += content.Count(ch => ch == '\n');
        _i = end + 1;
        return content;
    }

    private void DoubleQuoted(StringBuilder text)
    {
        while (_i < script.Length && script[_i] != '"')
        {
            var c = script[_i];
            if (c == '\\')
            {
                text.Append(Peek(1));
                if (Peek(1) == '\n') _line++;
                _i += 2;
            }
            else if (c == '$')
            {
                Dollar(text);
            }
            else if (c == '`')
            {
                Backquoted();
                text.Append(Expansion);
            }
            else
            {
                if (c == '\n') _line++;
                text.Append(c);
                _i++;
            }
        }

        _i++;
    }

    private void Dollar(StringBuilder text)
    {
        var next = Peek(1);
        if (next == '(' && Peek(2) == '(')
        {
            _i++;
            SkipBalanced('(', ')');
        }
        else if (next == '(')
        {
            _i += 2;
            Parse(Tokens(close: true));
        }
        else if (next == '{')
        {
            _i++;
            SkipBalanced('{', '}');
        }
        else if (next == '\'')
        {
            _i++;
            text.Append(SingleQuoted());
            return;
        }
        else if (char.IsAsciiDigit(next) || next is '@' or '*' or '#' or '?' or '$' or '!' or '-')
        {
            _i += 2;
        }
        else if (char.IsAsciiLetter(next) || next == '_')
        {
            _i++;
            while (_i < script.Length && (char.IsAsciiLetterOrDigit(script[_i]) || script[_i] == '_')) _i++;
        }
        else
        {
            text.Append('$');
            _i++;
            return;
        }

        text.Append(Expansion);
    }

    private void Backquoted()
    {
        var end = _i + 1;
        while (end < script.Length && script[end] != '`') end += script[end] == '\\' ? 2 : 1;
        var inner = script[(_i + 1)..Math.Min(end, script.Length)];
        new ShellReader(inner, _line, file, functions, found).Run();
        _line += inner.Count(ch => ch == '\n');
        _i = end + 1;
    }

    /// <summary>From an opening bracket to its match (quotes inside are not told apart; enough for ${…} and $((…))).</summary>
    private void SkipBalanced(char open, char close)
    {
        var depth = 0;
        for (; _i < script.Length; _i++)
        {
            var c = script[_i];
            if (c == '\n') _line++;
            if (c == open) depth++;
            else if (c == close && --depth == 0)
            {
                _i++;
                return;
            }
        }
    }

    private void SkipHeredocs()
    {
        foreach (var delimiter in _heredocs)
        {
            while (_i < script.Length)
            {
                var end = script.IndexOf('\n', _i);
                if (end < 0) end = script.Length;
                var line = script[_i..end];
                _i = Math.Min(end + 1, script.Length);
                _line++;
                if (line.Trim() == delimiter) break;
            }
        }

        _heredocs.Clear();
    }

    // ------------------------------------------------------------ commands

    private enum CaseState { Subject, Pattern, Body }

    private void Parse(List<Token> tokens)
    {
        var atStart = true;      // the next word is a command word
        var rest = false;        // the rest of this command is no command (for x in …, fi, [[ … ]])
        var drop = false;        // the next word is a redirection target
        string? wrapper = null;  // the command word was a wrapper: its command follows
        var skipDuration = false;
        var words = new List<Word>();
        var cases = new Stack<CaseState>();
        foreach (var token in tokens)
        {
            var inCase = cases.Count > 0 ? cases.Peek() : (CaseState?)null;
            if (token is Op op)
            {
                if (op.Text == "redirect")
                {
                    drop = true;
                    continue;
                }

                if (inCase is CaseState.Pattern or CaseState.Subject)
                {
                    if (op.Text == ")" && inCase == CaseState.Pattern)
                    {
                        cases.Pop();
                        cases.Push(CaseState.Body);
                        atStart = true;
                    }

                    continue;
                }

                if (op.Text == ";;" && inCase == CaseState.Body)
                {
                    cases.Pop();
                    cases.Push(CaseState.Pattern);
                    continue;
                }

                atStart = true;
                rest = false;
                wrapper = null;
                words.Clear();
                continue;
            }

            var w = (Word)token;
            if (drop)
            {
                drop = false;
                continue;
            }

            if (inCase == CaseState.Subject)
            {
                if (w.Text == "in" && !w.Quoted)
                {
                    cases.Pop();
                    cases.Push(CaseState.Pattern);
                }

                continue;
            }

            if (inCase == CaseState.Pattern)
            {
                if (w.Text == "esac" && !w.Quoted)
                {
                    cases.Pop();
                    rest = true;
                    atStart = false;
                }

                continue;
            }

            words.Add(w);
            if (rest) continue;
            if (atStart)
            {
                if (IsAssignment(w)) continue;
                if (!w.Quoted && Reserved.Contains(w.Text))
                {
                    switch (w.Text)
                    {
                        case "for" or "select" or "function" or "[[":
                            rest = true;
                            atStart = false;
                            break;
                        case "case":
                            cases.Push(CaseState.Subject);
                            break;
                        case "esac" when inCase == CaseState.Body:
                            cases.Pop();
                            rest = true;
                            atStart = false;
                            break;
                        case "fi" or "done" or "}" or "]]" or "esac" or "in":
                            rest = true;
                            atStart = false;
                            break;
                    }

                    continue;
                }

                atStart = false;
                wrapper = Command(w);
                skipDuration = wrapper == "timeout";
                continue;
            }

            if (wrapper is not null)
            {
                if (w.Text.StartsWith('-') || (wrapper == "env" && IsAssignment(w))) continue;
                if (skipDuration)
                {
                    skipDuration = false;
                    continue;
                }

                wrapper = Command(w);
                skipDuration = wrapper == "timeout";
                continue;
            }

            // sh -c 'script' (anywhere in a command: unshare … /bin/sh -ec '…'), trap 'script' …
            if (words.Count >= 3 && ExternalPrograms.DashC().IsMatch(words[^2].Text) && IsShell(words[^3].Text))
            {
                new ShellReader(w.Text, w.Line, file, functions, found).Run();
            }
            else if (words.Count == 2 && words[0].Text == "trap")
            {
                new ShellReader(w.Text, w.Line, file, functions, found).Run();
            }
            else if (words.Count >= 2 && words[^2].Text is "-exec" or "-execdir" or "-ok" && words[0].Text == "find")
            {
                Command(w);
            }
        }
    }

    private static bool IsShell(string word) => Path.GetFileName(word) is "sh" or "bash" or "dash";

    private static bool IsAssignment(Word w)
    {
        var eq = w.Raw.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) return false;
        var name = w.Raw[..eq].TrimEnd('+');
        var bracket = name.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0) name = name[..bracket];
        return name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
    }

    /// <summary>Records the program a command word names; returns the wrapper's name when its command follows.</summary>
    private string? Command(Word w)
    {
        if (w.Text.Contains(Expansion, StringComparison.Ordinal))
        {
            // Named by a variable: unknown here, except $SUDO, which runs the next word.
            return w.Raw.Trim('"') is "$SUDO" or "${SUDO}" ? "sudo" : null;
        }

        var name = w.Text;
        if (name.Length == 0) return null;
        if (name.Contains('/', StringComparison.Ordinal) && !name.StartsWith('/')) return null;   // a script of this repository, or a built program
        if (functions.Contains(name)) return null;
        if (name == "exec") return "exec";
        if (Builtins.Contains(name)) return null;
        found.Add(new ProgramUse(name, file, w.Line));
        return Wrappers.Contains(Path.GetFileName(name)) ? Path.GetFileName(name) : null;
    }
}
