using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using CsCheck;
using Reconciler.Core.Model;
using Reconciler.Tests.Shared;
using Xunit.Abstractions;

namespace Reconciler.Rendering.Tests;

/// <summary>
/// Differential fuzzing of the fast UTF-8 reader (<see cref="Utf8Xml"/>, behind
/// <see cref="DomainXmlParser.Parse(ReadOnlySpan{byte})"/> and <see cref="DomainXmlParser.Load(ReadOnlySpan{byte})"/>,
/// which fall back to XmlReader when it declines a text) against System.Xml on the same bytes.
/// The reference is an XmlReader (DTDs prohibited, no resolver, as the product's) loaded into an
/// XDocument, independent of DomainXmlParser's own loaders, then <see cref="DomainXmlParser.Parse(XDocument)"/>.
/// For every input: when System.Xml accepts it, both public byte paths give the same model (the
/// whole <see cref="ParsedDomain"/>, field by field) and the same ownership verdict (owned or not,
/// and the owner record), or the same parse error; when System.Xml rejects it, both byte paths
/// reject it with System.Xml's message. The documented subset: Utf8Xml declines shapes it does not
/// handle (comments, CDATA, processing instructions, CR, DOCTYPE, non-ASCII names, invalid UTF-8, …)
/// and XmlReader decides; invalid UTF-8 is decoded with replacement characters before XmlReader
/// sees it (libvirt's API returns UTF-8), so "the same bytes" means the same decoded text.
/// Inputs: <see cref="XmlFuzzSeeds"/> and random mutations of them.
/// </summary>
public sealed class XmlDifferentialFuzzTests(ITestOutputHelper output)
{
    /// <summary>Inputs per CI run: about 2 ms of CPU each, so 20–30 s on an idle 2-core machine (RECONCILER_FUZZ_ITER / _SECONDS change it).</summary>
    private const long CiIterations = 20_000;

    /// <summary>What one reader made of a text: a parse (the model as JSON and the owner) or a rejection.</summary>
    private sealed record Outcome(string? Model, OwnerRecord? Owner, string? Error, bool Malformed)
    {
        public bool Owned => Owner is not null;

        public override string ToString() =>
            Error is not null ? (Malformed ? "malformed: " : "not a domain model: ") + Error : $"owned={Owned} owner={Owner}\n{Model}";
    }

    private static Outcome Read(Func<ParsedDomain> parse)
    {
        try
        {
            var parsed = parse();
            return new Outcome(JsonSerializer.Serialize(parsed), parsed.Owner, null, false);
        }
        catch (DomainParseException e)
        {
            return new Outcome(null, null, e.Message, e.InnerException is XmlException);
        }
    }

    /// <summary>System.Xml: XmlReader over the decoded text into an XDocument, then the model.</summary>
    private static Outcome Reference(byte[] bytes)
    {
        XDocument document;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(Encoding.UTF8.GetString(bytes)), settings);
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            return new Outcome(null, null, $"domain XML is malformed (line {e.LineNumber}, column {e.LinePosition}): {e.Message}", true);
        }
        return Read(() => DomainXmlParser.Parse(document));
    }

    /// <summary>How often each case occurred (the test asserts that each one did).</summary>
    private sealed class Tally
    {
        public long Inputs;
        public long BuiltByUtf8Xml;
        public long LeftToXmlReader;
        public long Malformed;
        public long NotAModel;
        public long Owned;

        public override string ToString() =>
            $"{Inputs} inputs: {BuiltByUtf8Xml} built by Utf8Xml, {LeftToXmlReader} accepted but left to XmlReader, "
            + $"{Malformed} rejected as malformed by both, {NotAModel} well-formed but not a domain model for both, {Owned} owned";
    }

    /// <summary>Asserts the fast paths agree with System.Xml on <paramref name="bytes"/>; returns System.Xml's outcome.</summary>
    private static Outcome AssertSameAsSystemXml(byte[] bytes, Tally? tally = null)
    {
        var reference = Reference(bytes);
        var config = Read(() => DomainXmlParser.Parse(bytes));             // NodeSession: the definition
        var live = Read(() => DomainXmlParser.Parse(DomainXmlParser.Load(bytes.AsSpan()))); // NodeSession: the running instance
        // (Messages are built only on failure: the inputs run to hundreds of kilobytes.)
        if (reference != config) Assert.Fail($"Parse(bytes) differs from System.Xml.\nSystem.Xml: {reference}\nParse(bytes): {config}");
        if (reference != live) Assert.Fail($"Parse(Load(bytes)) differs from System.Xml.\nSystem.Xml: {reference}\nParse(Load(bytes)): {live}");
        // The trees themselves, filtered and whole, against DomainXmlParser's XmlReader loads.
        var built = Utf8XmlTests.AssertSameAsXmlReader(bytes);
        if (tally is not null)
        {
            Interlocked.Increment(ref tally.Inputs);
            if (built) Interlocked.Increment(ref tally.BuiltByUtf8Xml);
            else if (!reference.Malformed) Interlocked.Increment(ref tally.LeftToXmlReader);
            if (reference.Malformed) Interlocked.Increment(ref tally.Malformed);
            else if (reference.Error is not null) Interlocked.Increment(ref tally.NotAModel);
            if (reference.Owned) Interlocked.Increment(ref tally.Owned);
        }
        return reference;
    }

    [Fact]
    public void Every_seed_reads_the_same_with_both_readers_and_adversarial_owners_get_the_expected_verdict()
    {
        var seeds = XmlFuzzSeeds.All.Value;
        var failures = new List<string>();
        foreach (var seed in seeds)
        {
            try
            {
                var reference = AssertSameAsSystemXml(seed.Bytes);
                if (seed.Checked)
                {
                    Assert.True(seed.Owner == reference.Owner?.SpecName, $"expected owner {seed.Owner ?? "(none)"}, read {reference}");
                }
                output.WriteLine($"{seed.Origin}: {(reference.Error is null ? reference.Owned ? "owned by " + reference.Owner!.SpecName : "foreign" : reference.Error)}");
            }
            catch (Exception e)
            {
                failures.Add($"seed {seed.Origin}: {e.Message}\n{(seed.Text.Length > 4000 ? seed.Text[..4000] + " …" : seed.Text)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.Contains(seeds, s => s.Origin.StartsWith("golden ", StringComparison.Ordinal));
        Assert.Contains(seeds, s => s.Origin.StartsWith("rendered example ", StringComparison.Ordinal));
        Assert.True(seeds.Count(s => s.Origin.StartsWith("test:///default dumpxml", StringComparison.Ordinal)) >= 12);
        // libvirt's own texts are what the fast path exists for: it builds the plain ones itself.
        Assert.True(Utf8Xml.TryLoad(seeds.First(s => s.Origin.StartsWith("test:///default dumpxml: our namespace under another prefix", StringComparison.Ordinal)).Bytes) is not null);
    }

    /// <summary>What a mutation does: see <see cref="Apply"/>.</summary>
    internal enum MutationKind
    {
        FlipBit,
        Insert,
        Delete,
        Truncate,
        DuplicateElement,
        LongAttribute,
        Splice,
    }

    /// <summary>One random edit: its kind, where (modulo the length), and a kind-specific argument.</summary>
    internal readonly record struct Mutation(MutationKind Kind, uint Position, int Argument);

    /// <summary>XML-significant fragments, and the shapes an attacker would try around the owner element.</summary>
    private static readonly string[] Fragments =
    [
        "<", ">", "&", ";", "'", "\"", "/", "=", " ", "\t", "\n", "\r", "\r\n", ":", "]]>", "?", "!", "-", "x", "1",
        "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#x41;", "&#65;", "&#x1F600;", "&#xD800;", "&#0;", "&#x110000;", "&#xFFFE;", "&#9;", "&#13;", "&lt", "&bogus;",
        "<x>", "</x>", "<x/>", "<p:x/>", "<xml:x/>", " xml:x='1'", "p:", "xmlns:p='u' ", " a='1'", " a=\"2\"", " xmlns='urn:d'", " xmlns=''", " xmlns:p=''",
        "<![CDATA[<]]>", "<!-- c -->", "<!-- <reconciler:owner xmlns:reconciler='https://reconciler.dev/xmlns/owner/1' name='c'/> -->", "<?pi x?>",
        "<?xml version='1.0'?>", "<!DOCTYPE domain>", "é", "😀", "\uFEFF", "\u0085", "\u2028", "\u0001", "\uFFFD",
        " xml:space='preserve'", " xml:space='bogus'", " xml:lang='en'", " xml:base='x'",
        " xmlns:xml='http://www.w3.org/XML/1998/namespace'", " xmlns:p='http://www.w3.org/XML/1998/namespace'",
        " xmlns:p='http://www.w3.org/2000/xmlns/'", " xmlns='http://www.w3.org/2000/xmlns/'", " xmlns='http://www.w3.org/XML/1998/namespace'",
        " xmlns:reconciler='https://reconciler.dev/xmlns/owner/1'", " xmlns:reconciler='urn:evil'", " xmlns='https://reconciler.dev/xmlns/owner/1'",
        "<reconciler:owner xmlns:reconciler='https://reconciler.dev/xmlns/owner/1' name='ins' specHash='h'/>",
        "<owner xmlns='https://reconciler.dev/xmlns/owner/1' name='dflt'/>", "<reconciler:owner xmlns:reconciler='urn:evil' name='evil'/>",
        "<metadata>", "</metadata>", "<metadata><r:owner xmlns:r='https://reconciler.dev/xmlns/owner/1' name='m'/></metadata>",
        " name='dup'", " reconciler:name='q'", " protect='true'", "<description>d</description>", "<name>n</name>", "<vcpu>x</vcpu>",
        "<memory unit='EiB'>99</memory>", "<currentMemory unit='zz'>1</currentMemory>",
    ];

    /// <summary>Mostly edits that keep a document readable, so that the readers' acceptance is tested as often as their rejection.</summary>
    private static readonly Gen<MutationKind> Kinds = Gen.Frequency(
        (3, MutationKind.FlipBit), (8, MutationKind.Insert), (3, MutationKind.Delete), (1, MutationKind.Truncate),
        (3, MutationKind.DuplicateElement), (1, MutationKind.LongAttribute), (3, MutationKind.Splice));

    /// <summary>A seed (by index) and up to three mutations of it.</summary>
    private static Gen<(int Seed, Mutation[] Mutations)> Inputs(int seeds) =>
        Gen.Select(Gen.Int[0, seeds - 1], Gen.Select(Kinds, Gen.UInt, Gen.Int[0, 1 << 20], (k, p, a) => new Mutation(k, p, a)).Array[0, 3]);

    /// <summary>The text a seed becomes under the mutations, in order.</summary>
    internal static byte[] Apply(IReadOnlyList<XmlSeed> seeds, int seed, Mutation[] mutations)
    {
        var bytes = new List<byte>(seeds[seed].Bytes);
        foreach (var m in mutations)
        {
            if (bytes.Count == 0) break;
            // Half the edits land on markup boundaries, where a reader decides something.
            var at = m.Argument % 2 == 0 ? Boundary(bytes, (int)(m.Position % (uint)bytes.Count)) : (int)(m.Position % (uint)bytes.Count);
            switch (m.Kind)
            {
                case MutationKind.FlipBit:
                    bytes[at] ^= (byte)(1 << (m.Argument / 2 % 8));
                    break;
                case MutationKind.Insert:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[m.Argument / 2 % Fragments.Length]));
                    break;
                case MutationKind.Delete:
                    bytes.RemoveRange(at, Math.Min(1 + m.Argument / 2 % 16, bytes.Count - at));
                    break;
                case MutationKind.Truncate:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case MutationKind.DuplicateElement:
                    if (ElementAt(bytes, at) is var (start, length) && length > 0) bytes.InsertRange(start + length, bytes.GetRange(start, length));
                    break;
                case MutationKind.LongAttribute:
                    // A long value spliced into the next attribute value (or text), of up to 100 000 bytes.
                    var quote = bytes.FindIndex(at, b => b is (byte)'\'' or (byte)'"' or (byte)'>');
                    if (quote >= 0) bytes.InsertRange(quote + 1, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(m.Argument % 3 == 0 ? "&lt;😀" : "x", 1 + m.Argument / 8 % 100_000 / (m.Argument % 3 == 0 ? 8 : 1)))));
                    break;
                case MutationKind.Splice:
                    // An element of another seed inserted here (elements of one document moved into another).
                    var other = seeds[m.Argument % seeds.Count].Bytes;
                    if (other.Length > 0 && ElementAt([.. other], (int)(m.Position / 7 % (uint)other.Length)) is var (s, l) && l > 0) bytes.InsertRange(at, other.AsSpan(s, l).ToArray());
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>The first '&lt;', '&gt;', space or quote at or after <paramref name="at"/> (or <paramref name="at"/>).</summary>
    private static int Boundary(List<byte> bytes, int at)
    {
        var found = bytes.FindIndex(at, b => b is (byte)'<' or (byte)'>' or (byte)' ' or (byte)'\'' or (byte)'"');
        return found < 0 ? at : found;
    }

    /// <summary>Roughly the element whose start tag is the first at or after <paramref name="at"/>: up to its "/&gt;" or its end tag.</summary>
    private static (int Start, int Length)? ElementAt(List<byte> bytes, int at)
    {
        var start = bytes.FindIndex(at, b => b == (byte)'<');
        if (start < 0 || start + 1 >= bytes.Count || bytes[start + 1] is (byte)'/' or (byte)'!' or (byte)'?') return null;
        var nameEnd = bytes.FindIndex(start + 1, b => b is (byte)' ' or (byte)'>' or (byte)'/' or (byte)'\n' or (byte)'\t');
        if (nameEnd < 0) return null;
        var gt = bytes.FindIndex(start, b => b == (byte)'>');
        if (gt < 0) return null;
        if (bytes[gt - 1] == (byte)'/') return (start, gt + 1 - start);
        var endTag = Encoding.UTF8.GetBytes("</" + Encoding.UTF8.GetString(bytes.GetRange(start + 1, nameEnd - start - 1).ToArray()) + ">");
        var text = bytes.ToArray().AsSpan(gt);
        var end = text.IndexOf(endTag);
        return end < 0 ? null : (start, gt - start + end + endTag.Length);
    }

    private static string Print((int Seed, Mutation[] Mutations) input)
    {
        var seeds = XmlFuzzSeeds.All.Value;
        var text = Encoding.UTF8.GetString(Apply(seeds, input.Seed, input.Mutations));
        if (text.Length > 6000) text = text[..3000] + $"\n… {text.Length - 6000} characters …\n" + text[^3000..];
        return $"seed {input.Seed} ({seeds[input.Seed].Origin}), mutations [{string.Join(", ", input.Mutations)}]:\n{text}";
    }

    [Fact]
    public void Random_mutations_of_the_seeds_read_the_same_with_both_readers()
    {
        var seeds = XmlFuzzSeeds.All.Value;
        var tally = new Tally();
        var (iter, time) = FuzzBudget.For(CiIterations);
        Inputs(seeds.Count).Sample(input => { AssertSameAsSystemXml(Apply(seeds, input.Seed, input.Mutations), tally); },
            writeLine: output.WriteLine, iter: iter, time: time, print: Print);
        output.WriteLine($"{seeds.Count} seeds; {tally}");
        // Every branch of the comparison ran, often.
        var minimum = Math.Min(tally.Inputs / 50, 200);
        Assert.True(tally.BuiltByUtf8Xml > minimum, tally.ToString());
        Assert.True(tally.LeftToXmlReader > minimum, tally.ToString());
        Assert.True(tally.Malformed > minimum, tally.ToString());
        Assert.True(tally.Owned > minimum, tally.ToString());
        if (tally.Inputs >= 10_000) Assert.True(tally.NotAModel > 0, tally.ToString()); // about 1 in 200
    }
}
