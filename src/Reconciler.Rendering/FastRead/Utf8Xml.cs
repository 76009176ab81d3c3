using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Reconciler.Rendering;

/// <summary>
/// Which elements a filtered load builds: under a root named <paramref name="Root"/> (no namespace),
/// the children named in <paramref name="Keep"/> whole, the child named <paramref name="Filtered"/>
/// without its attributes and with only its children named in <paramref name="KeepInFiltered"/>.
/// Text directly under the root and the filtered child is dropped. Another root is loaded whole.
/// </summary>
internal sealed record XmlLoadFilter(string Root, IReadOnlySet<string> Keep, string Filtered, IReadOnlySet<string> KeepInFiltered);

/// <summary>
/// Loads XML straight from UTF-8 bytes (as libvirt returns it) into the tree an <c>XmlReader</c>
/// load would give, without decoding the whole text or creating a reader. It handles only the
/// shape libvirt writes: elements, attributes, text, the five predefined entities, character
/// references and namespace declarations. For anything else — an XML or DOCTYPE declaration,
/// comments, CDATA, processing instructions, a carriage return, a non-ASCII name, invalid UTF-8,
/// an undeclared prefix, a duplicate attribute, mismatched tags, any malformed input — it returns
/// null, and the caller loads the text with <c>XmlReader</c>, which gives the result or the error.
/// So a non-null result is exactly what the reader would have built (RoundTripTests compare both).
/// </summary>
internal static partial class Utf8Xml
{
    /// <summary>Deeper documents are left to XmlReader.</summary>
    private const int MaxDepth = 100;

    /// <summary>Bytes that never occur in a text this loader accepts: controls other than tab and newline (a CR needs line-end normalisation).</summary>
    private static readonly SearchValues<byte> Refused = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    /// <summary>The bytes of an ASCII name.</summary>
    private static readonly SearchValues<byte> NameBytes = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:"u8);

    [ThreadStatic]
    private static Caches? t_caches;

    /// <summary>The document, or null when the text is outside the shape this loader handles.</summary>
    /// <param name="utf8">The XML text.</param>
    /// <param name="filter">Which elements to build, or null for all.</param>
    public static XDocument? TryLoad(ReadOnlySpan<byte> utf8, XmlLoadFilter? filter = null)
    {
        if (utf8.IndexOfAny(Refused) >= 0 || !Utf8.IsValid(utf8)
            || utf8.IndexOf("\uFFFE"u8) >= 0 || utf8.IndexOf("\uFFFF"u8) >= 0)
        {
            return null;
        }
        var caches = t_caches ??= new Caches();
        caches.Scope.Clear();
        try
        {
            return new Scanner(utf8, caches).Document(filter);
        }
        catch (NotHandledException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // XElement refused an attribute twice (by its expanded name).
            return null;
        }
    }

    /// <summary>Thrown (rarely: only for text outside the handled shape) to give up; never escapes <see cref="TryLoad"/>.</summary>
    private sealed class NotHandledException : Exception;

    private static NotHandledException NotHandled() => new();

    /// <summary>One raw attribute of the start tag being read: offsets into the text.</summary>
    private readonly record struct RawAttribute(int Name, int NameLength, int Colon, int Value, int ValueLength);

    /// <summary>What an element's content is built into.</summary>
    private enum Mode
    {
        /// <summary>Everything: elements, attributes, text.</summary>
        Whole,

        /// <summary>The filtered root's content: only the kept children and the filtered child.</summary>
        Root,

        /// <summary>The filtered child's content: only its kept children.</summary>
        Filtered,

        /// <summary>Nothing is built; the text is only checked.</summary>
        Skip,
    }

    /// <summary>
    /// A growable array of <typeparamref name="T"/> read by index. Not <c>List&lt;T&gt;</c>: ReadyToRun
    /// cannot precompile List's code for this assembly's structs, so a short-lived process would run
    /// it as unoptimised tier-0 code on every element.
    /// </summary>
    private sealed class Buffer<T>
        where T : struct
    {
        private T[] _items = new T[16];

        public int Count { get; private set; }

        public ref readonly T this[int index] => ref _items[index];

        public void Add(in T item)
        {
            if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            _items[Count++] = item;
        }

        public void Clear() => Count = 0;

        /// <summary>Drops the items from <paramref name="count"/> on.</summary>
        public void Truncate(int count) => Count = count;
    }

    /// <summary>A namespace declaration in scope.</summary>
    private readonly record struct Declaration(string Prefix, string Uri);

    /// <summary>Per-thread state reused across loads (the scanner is a ref struct and cannot hold it).</summary>
    private sealed class Caches
    {
        public readonly Buffer<Declaration> Scope = new();
        public readonly Buffer<RawAttribute> Attributes = new();
        public readonly StringCache Names = new(512);
        public readonly StringCache Values = new(1024);
        public char[] Chars = new char[256];
    }

    /// <summary>
    /// Strings by their UTF-8 bytes, so the names and short values every definition repeats
    /// (element names, "KiB", "pcie-root-port", indentation) are allocated once per thread; for a
    /// name, also its <see cref="XName"/> in no namespace (looked up once, not hashed per element).
    /// </summary>
    private sealed class StringCache(int size)
    {
        private sealed record Entry(byte[] Key, string Value)
        {
            public XName? Name { get; set; }
        }

        private readonly Entry?[] _slots = new Entry?[size]; // size: a power of two

        public string Get(ReadOnlySpan<byte> bytes) => Find(bytes).Value;

        /// <summary>The name in no namespace whose local name is <paramref name="bytes"/>.</summary>
        public XName GetName(ReadOnlySpan<byte> bytes)
        {
            var entry = Find(bytes);
            return entry.Name ??= XName.Get(entry.Value);
        }

        private Entry Find(ReadOnlySpan<byte> bytes)
        {
            ref var slot = ref _slots[Hash(bytes) & (_slots.Length - 1)];
            if (slot is { } hit && hit.Key.AsSpan().SequenceEqual(bytes)) return hit;
            return slot = new Entry(bytes.ToArray(), Encoding.UTF8.GetString(bytes));
        }

        /// <summary>A cheap hash of a short text: its length and its first and last eight bytes.</summary>
        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            ulong h = (ulong)bytes.Length * 0x9E3779B97F4A7C15UL;
            if (bytes.Length >= 8)
            {
                h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0xFF51AFD7ED558CCDUL;
                h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[^8..])) * 0xC4CEB9FE1A85EC53UL;
            }
            else
            {
                foreach (var b in bytes) h = (h ^ b) * 0x100000001B3UL;
            }
            return (int)(h ^ (h >> 29));
        }
    }
}
