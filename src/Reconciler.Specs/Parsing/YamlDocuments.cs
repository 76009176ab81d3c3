using Reconciler.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Specs.Parsing;

/// <summary>
/// Splits a YAML text into documents, one <see cref="YamlStream"/> per document, so that a
/// duplicate key in one document does not hide the documents after it. A syntax error ends the
/// file (the scanner cannot resume), but documents before it are still returned.
/// </summary>
internal static class YamlDocuments
{
    /// <summary>Deeper nesting than this is refused (it would only be an attack on the recursive loader).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The documents of <paramref name="text"/>, each parsed only when the caller asks for it, so a
    /// document's tree is garbage as soon as the caller is done with it (a file of 200 manifests
    /// never holds 200 trees). Syntax errors go to <paramref name="diagnostics"/>; exceptions from
    /// the caller's own code are never taken for YAML errors.
    /// </summary>
    public static IEnumerable<YamlDocument> Read(string file, string text, List<Diagnostic> diagnostics)
    {
        IParser parser = new Parser(new StringReader(text));
        var last = new LastMark();
        var started = false;
        while (Next(parser, ref started, last, file, diagnostics, out var document))
        {
            if (document is not null) yield return document;
        }
    }

    /// <summary>Parses the next document: false at the end of the stream or after a syntax error; a null document after a duplicate key.</summary>
    private static bool Next(IParser parser, ref bool started, LastMark last, string file, List<Diagnostic> diagnostics, out YamlDocument? document)
    {
        document = null;
        try
        {
            if (!started)
            {
                started = true;
                parser.MoveNext(); // StreamStart
            }
            if (!parser.MoveNext() || parser.Current is StreamEnd) return false;
            last.Mark = parser.Current?.End ?? last.Mark;
            var single = new SingleDocumentParser(parser, last);
            var stream = new YamlStream();
            try
            {
                stream.Load(single);
                document = stream.Documents[0];
            }
            catch (YamlException ex) when (ex.InnerException is ArgumentException || ex.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase))
            {
                // A duplicate key: the parser itself is fine, skip to the end of this document.
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.DuplicateKey, "a key appears twice in the same mapping",
                    At(file, ex.Start), null, "remove or rename one of them; YAML keys must be unique"));
                while (parser.Current is not DocumentEnd && parser.MoveNext()) { }
            }
            return true;
        }
        catch (YamlException ex)
        {
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.YamlSyntax, Clean(ex.Message), At(file, ex.Start), null,
                ex is NestingTooDeepException
                    ? $"manifests are never nested more than {MaxDepth} levels"
                    : "fix the YAML syntax (indentation, a missing ':' or an unclosed quote or bracket); the rest of this file was not checked"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // YamlDotNet's scanner sometimes fails without a position: point after the last good event.
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.YamlSyntax, "invalid YAML after this point", At(file, last.Mark), null,
                "fix the YAML syntax (an unclosed bracket or quote, or bad indentation); the rest of this file was not checked"));
        }
        document = null;
        return false;
    }

    private static SourceLocation At(string file, Mark mark) =>
        new(file, (int)Math.Min(mark.Line, int.MaxValue), (int)Math.Min(mark.Column, int.MaxValue));

    /// <summary>YamlDotNet messages start with "(Line: 3, Col: 5, Idx: …) - (…): "; the location is shown separately.</summary>
    private static string Clean(string message)
    {
        var text = message.StartsWith("(Line:", StringComparison.Ordinal) && message.IndexOf("): ", StringComparison.Ordinal) is var i and > 0
            ? message[(i + 3)..]
            : message;
        return text.Length == 0 ? "invalid YAML" : char.ToLowerInvariant(text[0]) + text[1..];
    }

    private sealed class LastMark
    {
        public Mark Mark { get; set; } = Mark.Empty;
    }

    private sealed class NestingTooDeepException(Mark start, Mark end)
        : YamlException(start, end, $"nesting deeper than {MaxDepth} levels");

    /// <summary>Presents one document of a larger stream as a complete stream.</summary>
    private sealed class SingleDocumentParser(IParser inner, LastMark last) : IParser
    {
        private int _step;
        private int _depth;

        public ParsingEvent? Current { get; private set; }

        public bool MoveNext()
        {
            switch (_step)
            {
                case 0:
                    Current = new StreamStart();
                    _step = 1;
                    return true;
                case 1:
                    Current = inner.Current; // the DocumentStart the caller stopped on
                    _step = 2;
                    return true;
                case 2:
                    if (!inner.MoveNext()) { Current = new StreamEnd(); _step = 4; return true; }
                    Current = inner.Current;
                    if (Current is not null) last.Mark = Current.End;
                    switch (Current)
                    {
                        case MappingStart or SequenceStart when ++_depth > MaxDepth:
                            throw new NestingTooDeepException(Current.Start, Current.End);
                        case MappingEnd or SequenceEnd:
                            _depth--;
                            break;
                        case DocumentEnd:
                            _step = 3;
                            break;
                    }
                    return true;
                case 3:
                    Current = new StreamEnd();
                    _step = 4;
                    return true;
                default:
                    return false;
            }
        }
    }
}
