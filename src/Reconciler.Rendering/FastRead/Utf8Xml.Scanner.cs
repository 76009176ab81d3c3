namespace Reconciler.Rendering;

internal static partial class Utf8Xml
{
    /// <summary>The scanner: elements, their namespace scope and attributes, built into the tree as they are read.</summary>
    private ref partial struct Scanner(ReadOnlySpan<byte> text, Caches caches)
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
    }
}
