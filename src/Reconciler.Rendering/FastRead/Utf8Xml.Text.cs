namespace Reconciler.Rendering;

internal static partial class Utf8Xml
{
    /// <summary>The scanner's lexical part: names, whitespace, text and attribute values with their references decoded.</summary>
    private ref partial struct Scanner
    {
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
