using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using System.Xml.Linq;

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
internal static class Utf8Xml
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

    private ref struct Scanner(ReadOnlySpan<byte> text, Caches caches)
    {
        private const int MaxCachedValue = 32;
        private readonly ReadOnlySpan<byte> _s = text;
        private int _p;
        private int _depth;

        public XDocument Document(XmlLoadFilter? filter)
        {
            SkipWhitespace();
            var element = StartTag(out var empty, out var scopeMark, out var tag);
            XElement root;
            Mode mode;
            if (filter is not null && element.Namespace == XNamespace.None && element.LocalName == filter.Root)
            {
                // The filtered root keeps its attributes but not its namespace declarations.
                root = new XElement(element);
                AddAttributes(root, declarations: false);
                mode = Mode.Root;
            }
            else
            {
                root = Build(element);
                mode = Mode.Whole;
            }
            if (!empty) Content(root, mode, tag, filter);
            Pop(scopeMark);
            SkipWhitespace();
            if (_p != _s.Length) throw NotHandled();
            return new XDocument(root);
        }

        /// <summary>Reads an element's content after its start tag, up to and past its end tag.</summary>
        /// <param name="parent">Where the content goes; null when nothing is built.</param>
        /// <param name="mode">What is built.</param>
        /// <param name="tag">The element's qualified name in the text (its end tag must repeat it).</param>
        /// <param name="filter">The filter of <see cref="Mode.Root"/> and <see cref="Mode.Filtered"/>.</param>
        private void Content(XElement? parent, Mode mode, Range tag, XmlLoadFilter? filter)
        {
            if (++_depth > MaxDepth) throw NotHandled();
            var hasContent = false;
            while (true)
            {
                if (_p >= _s.Length) throw NotHandled();
                if (_s[_p] != (byte)'<')
                {
                    var start = _p;
                    var end = _s[_p..].IndexOf((byte)'<');
                    if (end < 0) throw NotHandled();
                    _p += end;
                    var raw = _s[start.._p];
                    if (raw.IndexOf("]]>"u8) >= 0) throw NotHandled();
                    if (mode == Mode.Whole)
                    {
                        parent!.Add(Text(raw, attribute: false));
                        hasContent = true;
                    }
                    else if (raw.IndexOf((byte)'&') >= 0)
                    {
                        _ = Text(raw, attribute: false); // checks the references
                    }
                    continue;
                }
                if (_p + 1 >= _s.Length) throw NotHandled();
                var next = _s[_p + 1];
                if (next == (byte)'/')
                {
                    _p += 2;
                    var (nameStart, nameLength, _) = Name();
                    if (!_s[tag].SequenceEqual(_s.Slice(nameStart, nameLength))) throw NotHandled();
                    SkipWhitespace();
                    Expect((byte)'>');
                    if (mode == Mode.Whole && !hasContent) parent!.Add(string.Empty); // <a></a> stays <a></a>
                    _depth--;
                    return;
                }
                var child = StartTag(out var empty, out var scopeMark, out var childTag);
                var childMode = mode switch
                {
                    Mode.Whole => Mode.Whole,
                    Mode.Root when child.Namespace == XNamespace.None && child.LocalName == filter!.Filtered => Mode.Filtered,
                    Mode.Root when child.Namespace == XNamespace.None && filter!.Keep.Contains(child.LocalName) => Mode.Whole,
                    Mode.Filtered when child.Namespace == XNamespace.None && filter!.KeepInFiltered.Contains(child.LocalName) => Mode.Whole,
                    _ => Mode.Skip,
                };
                XElement? built = childMode switch
                {
                    Mode.Whole => Build(child),
                    Mode.Filtered => new XElement(child),
                    _ => null,
                };
                if (childMode is Mode.Skip or Mode.Filtered) CheckUnbuiltAttributes();
                if (built is not null)
                {
                    parent!.Add(built);
                    hasContent = true;
                }
                if (!empty) Content(built, childMode, childTag, filter);
                Pop(scopeMark);
            }
        }

        /// <summary>
        /// Reads a start tag from its '&lt;': its attributes into <see cref="Caches.Attributes"/>, its
        /// namespace declarations into the scope (undone by <see cref="Pop"/> with <paramref name="scopeMark"/>).
        /// Attribute names are unique in the text (XElement checks expanded names of what it builds).
        /// </summary>
        private XName StartTag(out bool empty, out int scopeMark, out Range tag)
        {
            Expect((byte)'<');
            var (nameStart, nameLength, colon) = Name();
            var attributes = caches.Attributes;
            attributes.Clear();
            while (true)
            {
                var hadSpace = SkipWhitespace();
                if (_p >= _s.Length) throw NotHandled();
                if (_s[_p] == (byte)'>')
                {
                    _p++;
                    empty = false;
                    break;
                }
                if (_s[_p] == (byte)'/')
                {
                    _p++;
                    Expect((byte)'>');
                    empty = true;
                    break;
                }
                if (!hadSpace) throw NotHandled();
                var (attributeStart, attributeLength, attributeColon) = Name();
                SkipWhitespace();
                Expect((byte)'=');
                SkipWhitespace();
                if (_p >= _s.Length || _s[_p] is not ((byte)'"' or (byte)'\'')) throw NotHandled();
                var quote = _s[_p++];
                var length = _s[_p..].IndexOf(quote);
                if (length < 0) throw NotHandled();
                if (_s.Slice(_p, length).IndexOf((byte)'<') >= 0) throw NotHandled();
                var attributeName = _s.Slice(attributeStart, attributeLength);
                for (var i = 0; i < attributes.Count; i++)
                {
                    ref readonly var seen = ref attributes[i];
                    if (_s.Slice(seen.Name, seen.NameLength).SequenceEqual(attributeName)) throw NotHandled();
                }
                attributes.Add(new RawAttribute(attributeStart, attributeLength, attributeColon, _p, length));
                _p += length + 1;
            }
            scopeMark = caches.Scope.Count;
            for (var i = 0; i < attributes.Count; i++)
            {
                ref readonly var a = ref attributes[i];
                var name = _s.Slice(a.Name, a.NameLength);
                // XmlReader rejects binding any prefix but xml (declined here) to the reserved namespaces.
                if (name.SequenceEqual("xmlns"u8))
                {
                    var uri = Value(a);
                    if (IsReserved(uri)) throw NotHandled();
                    caches.Scope.Add(new Declaration(string.Empty, uri));
                }
                else if (a.Colon > 0 && name[..a.Colon].SequenceEqual("xmlns"u8))
                {
                    var prefix = caches.Names.Get(name[(a.Colon + 1)..]);
                    var uri = Value(a);
                    if (uri.Length == 0 || prefix is "xml" or "xmlns" || IsReserved(uri)) throw NotHandled();
                    caches.Scope.Add(new Declaration(prefix, uri));
                }
            }
            tag = new Range(nameStart, nameStart + nameLength);
            var qualified = _s.Slice(nameStart, nameLength);
            if (colon == 0)
            {
                var ns = Lookup(string.Empty);
                return ns is null ? caches.Names.GetName(qualified) : XNamespace.Get(ns).GetName(caches.Names.Get(qualified));
            }
            var prefixName = caches.Names.Get(qualified[..colon]);
            if (prefixName == "xmlns") throw NotHandled();
            var uriOf = prefixName == "xml" ? XNamespace.Xml.NamespaceName : Lookup(prefixName) ?? throw NotHandled();
            return XNamespace.Get(uriOf).GetName(caches.Names.Get(qualified[(colon + 1)..]));
        }

        private void Pop(int scopeMark) => caches.Scope.Truncate(scopeMark);

        private static bool IsReserved(string uri) => uri == XNamespace.Xml.NamespaceName || uri == XNamespace.Xmlns.NamespaceName;

        private readonly string? Lookup(string prefix)
        {
            var scope = caches.Scope;
            for (var i = scope.Count - 1; i >= 0; i--)
            {
                ref readonly var d = ref scope[i];
                if (d.Prefix == prefix) return d.Uri.Length == 0 && prefix.Length == 0 ? null : d.Uri;
            }
            return null;
        }

        /// <summary>An element with the attributes of the start tag just read, declarations included.</summary>
        private XElement Build(XName name)
        {
            var element = new XElement(name);
            AddAttributes(element, declarations: true);
            return element;
        }

        private void AddAttributes(XElement element, bool declarations)
        {
            var attributes = caches.Attributes;
            for (var i = 0; i < attributes.Count; i++)
            {
                ref readonly var a = ref attributes[i];
                var name = _s.Slice(a.Name, a.NameLength);
                XName attributeName;
                if (a.Colon == 0)
                {
                    if (name.SequenceEqual("xmlns"u8) && !declarations) continue;
                    attributeName = caches.Names.GetName(name);
                }
                else
                {
                    var prefix = caches.Names.Get(name[..a.Colon]);
                    var local = caches.Names.Get(name[(a.Colon + 1)..]);
                    if (prefix == "xmlns")
                    {
                        if (!declarations) continue;
                        attributeName = XNamespace.Xmlns.GetName(local);
                    }
                    else
                    {
                        var uri = prefix == "xml" ? XNamespace.Xml.NamespaceName : Lookup(prefix) ?? throw NotHandled();
                        // XmlReader rejects an xml:space other than default or preserve (libvirt keeps any value in metadata).
                        if (prefix == "xml" && local == "space" && Value(a).Trim(' ', '\t', '\n', '\r') is not ("default" or "preserve")) throw NotHandled();
                        attributeName = XNamespace.Get(uri).GetName(local);
                    }
                }
                element.Add(new XAttribute(attributeName, Value(a)));
            }
        }

        /// <summary>
        /// Attributes that are not built must still be what XmlReader accepts: their references valid;
        /// a prefixed one (other than a declaration) is left to XmlReader, which alone knows whether
        /// two prefixes name one namespace.
        /// </summary>
        private readonly void CheckUnbuiltAttributes()
        {
            var attributes = caches.Attributes;
            for (var i = 0; i < attributes.Count; i++)
            {
                ref readonly var a = ref attributes[i];
                if (a.Colon > 0 && !_s.Slice(a.Name, a.Colon).SequenceEqual("xmlns"u8)) throw NotHandled();
                if (_s.Slice(a.Value, a.ValueLength).IndexOf((byte)'&') >= 0) _ = Value(a);
            }
        }

        private readonly string Value(in RawAttribute a) => Text(_s.Slice(a.Value, a.ValueLength), attribute: true);

        /// <summary>
        /// Decodes text or an attribute value: references resolved, and in attribute values literal tabs
        /// and newlines become spaces (XML attribute-value normalisation).
        /// </summary>
        private readonly string Text(ReadOnlySpan<byte> raw, bool attribute)
        {
            var plain = raw.IndexOf((byte)'&') < 0 && (!attribute || raw.IndexOfAny((byte)'\t', (byte)'\n') < 0);
            if (plain) return raw.Length <= MaxCachedValue ? caches.Values.Get(raw) : Encoding.UTF8.GetString(raw);
            var chars = caches.Chars;
            if (chars.Length < raw.Length) chars = caches.Chars = new char[Math.Max(raw.Length, chars.Length * 2)];
            var n = 0;
            var i = 0;
            while (i < raw.Length)
            {
                var amp = raw[i..].IndexOf((byte)'&');
                var run = amp < 0 ? raw[i..] : raw.Slice(i, amp);
                var decoded = Encoding.UTF8.GetChars(run, chars.AsSpan(n));
                if (attribute) chars.AsSpan(n, decoded).Replace('\t', ' ');
                if (attribute) chars.AsSpan(n, decoded).Replace('\n', ' ');
                n += decoded;
                i += run.Length;
                if (amp < 0) break;
                var semicolon = raw[i..].IndexOf((byte)';');
                if (semicolon < 2) throw NotHandled();
                var entity = raw.Slice(i + 1, semicolon - 1);
                i += semicolon + 1;
                if (entity.SequenceEqual("lt"u8)) chars[n++] = '<';
                else if (entity.SequenceEqual("gt"u8)) chars[n++] = '>';
                else if (entity.SequenceEqual("amp"u8)) chars[n++] = '&';
                else if (entity.SequenceEqual("quot"u8)) chars[n++] = '"';
                else if (entity.SequenceEqual("apos"u8)) chars[n++] = '\'';
                else if (entity[0] == (byte)'#') n += CharacterReference(entity[1..], chars.AsSpan(n));
                else throw NotHandled();
            }
            return new string(chars, 0, n);
        }

        private static int CharacterReference(ReadOnlySpan<byte> digits, Span<char> into)
        {
            var value = ReferenceValue(digits);
            if (value is < 0x20 and not (0x9 or 0xA or 0xD) || value is >= 0xD800 and <= 0xDFFF || value is 0xFFFE or 0xFFFF || value > 0x10FFFF)
            {
                throw NotHandled();
            }
            return new Rune(value).EncodeToUtf16(into);
        }

        private static int ReferenceValue(ReadOnlySpan<byte> digits)
        {
            var hex = digits.Length > 0 && digits[0] == (byte)'x';
            var number = hex ? digits[1..] : digits;
            if (number.Length is 0 or > 8) throw NotHandled();
            var value = 0;
            foreach (var b in number)
            {
                int digit = b switch
                {
                    >= (byte)'0' and <= (byte)'9' => b - '0',
                    >= (byte)'a' and <= (byte)'f' when hex => b - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' when hex => b - 'A' + 10,
                    _ => throw NotHandled(),
                };
                value = value * (hex ? 16 : 10) + digit;
            }
            return value;
        }

        /// <summary>An ASCII name (letters, digits, '-', '_', '.', at most one inner ':'); the colon's offset in it, or 0.</summary>
        private (int Start, int Length, int Colon) Name()
        {
            var start = _p;
            if (_p >= _s.Length || !(char.IsAsciiLetter((char)_s[_p]) || _s[_p] == (byte)'_')) throw NotHandled();
            var length = _s[_p..].IndexOfAnyExcept(NameBytes);
            if (length < 0) throw NotHandled(); // the text ends inside a name
            _p += length;
            if (_s[_p] >= 0x80) throw NotHandled();
            var name = _s.Slice(start, length);
            var colon = name.IndexOf((byte)':');
            if (colon < 0) return (start, length, 0);
            // One inner colon, followed by what may start a name.
            if (colon == length - 1 || name[(colon + 1)..].IndexOf((byte)':') >= 0
                || !(char.IsAsciiLetter((char)name[colon + 1]) || name[colon + 1] == (byte)'_'))
            {
                throw NotHandled();
            }
            return (start, length, colon);
        }

        private bool SkipWhitespace()
        {
            var start = _p;
            while (_p < _s.Length && _s[_p] is (byte)' ' or (byte)'\t' or (byte)'\n') _p++;
            return _p > start;
        }

        private void Expect(byte b)
        {
            if (_p >= _s.Length || _s[_p] != b) throw NotHandled();
            _p++;
        }
    }
}
