using Reconciler.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Specs.Kinds;

/// <summary>
/// The <c>cloudInit</c> field of a Domain: the table, and turning it into a <see cref="CloudInitSpec"/>
/// plus the seed's cdrom disk. YAML content is checked here, with errors located in the spec (or in
/// the file it names).
/// </summary>
internal static partial class CloudInitFields
{
    public static readonly ObjectDef Def = new("CloudInit",
        "A cloud-init NoCloud seed: an ISO (volume label cidata) with user-data, meta-data and network-config, built where Reconciler runs, " +
        "uploaded as volume NAME-cidata.iso into the domain's pool through libvirt's storage stream API, and attached as a read-only cdrom. " +
        "Each file is written inline or read from a file next to the spec (a path relative to the spec file's directory; not *.yaml, which would be loaded as a manifest). " +
        "cloud-init reruns only when the instance-id changes: see instanceId.",
    [
        new FieldDef("userData", FieldType.String, "user-data, inline: #cloud-config YAML (checked), a #! script, #include or MIME multipart.")
        {
            Multiline = true, DefaultText = "empty", Example = "\"#cloud-config\\npackages: [nginx]\\n\"", Libvirt = "the seed's user-data file",
        },
        new FieldDef("userDataFile", FieldType.String, "user-data from a file next to the spec (instead of userData).")
        {
            Example = "cloud-init/web-1/user-data", Libvirt = "the seed's user-data file",
        },
        new FieldDef("metaData", FieldType.String, "Extra meta-data, inline: a YAML mapping. instance-id comes from instanceId; local-hostname defaults to the domain name.")
        {
            Multiline = true, DefaultText = "instance-id and local-hostname only", Example = "\"local-hostname: web-1.lab\\n\"", Libvirt = "the seed's meta-data file",
        },
        new FieldDef("metaDataFile", FieldType.String, "Extra meta-data from a file next to the spec (instead of metaData).")
        {
            Example = "cloud-init/web-1/meta-data", Libvirt = "the seed's meta-data file",
        },
        new FieldDef("networkConfig", FieldType.String, "network-config, inline: a YAML mapping (cloud-init network config v1 or v2).")
        {
            Multiline = true, DefaultText = "none (cloud-init's default: DHCP on the first NIC)", Example = "\"version: 2\\nethernets: {eth0: {dhcp4: true}}\\n\"", Libvirt = "the seed's network-config file",
        },
        new FieldDef("networkConfigFile", FieldType.String, "network-config from a file next to the spec (instead of networkConfig).")
        {
            Example = "cloud-init/web-1/network-config", Libvirt = "the seed's network-config file",
        },
        new FieldDef("instanceId", FieldType.String,
            "The instance-id in meta-data. cloud-init runs its once-per-instance modules (users, SSH keys, packages, runcmd) only when it sees a new instance-id, " +
            "so editing the content alone regenerates the seed but does not rerun them; change instanceId (e.g. web-1-v2) to make the guest rerun cloud-init at its next boot. The plan says which of the two happens.")
        {
            Pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", DefaultText = "the domain name (stable)", Example = "web-1-v2", Libvirt = "meta-data instance-id",
        },
        new FieldDef("pool", FieldType.String, "The pool of the seed volume.")
        {
            Pattern = Patterns.Token, DefaultText = "the pool of the domain's first volume disk", Example = "lab", Libvirt = "<disk type='volume' device='cdrom'><source pool='…' volume='NAME-cidata.iso'/>",
        },
    ]);

    /// <summary>Builds the seed spec and its cdrom disk; null (with errors reported) when the content is not valid.</summary>
    public static (CloudInitSpec Spec, DiskSpec Disk)? Build(string domain, string machine, ParsedObject ci, DocumentContext ctx)
    {
        var ok = true;
        var userData = Read(ci, "userData", "userDataFile", ctx, ref ok);
        var metaData = Read(ci, "metaData", "metaDataFile", ctx, ref ok);
        var networkConfig = Read(ci, "networkConfig", "networkConfigFile", ctx, ref ok);
        var seed = CloudInitSpec.SeedVolumeName(domain);
        if (!SeedNameRegex().IsMatch(seed))
        {
            ctx.Error(DiagnosticCodes.InvalidValue, $"the seed volume name '{seed}' is not a valid volume name (the domain name is too long or has a '+')",
                ctx.Fields.GetValueOrDefault(ci.Path) ?? ctx.Start, ci.Path, "shorten the domain name to 52 characters of letters, digits, _ . -");
            ok = false;
        }

        if (userData is { } ud) ok &= CheckUserData(ud, ctx);
        YamlMappingNode? meta = null;
        if (metaData is { } md)
        {
            meta = ParseMapping(md, "meta-data", ctx);
            if (meta is null) ok = false;
            else if (meta.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "instance-id") is { } key)
            {
                Error(ctx, md, key.Start, "meta-data must not set instance-id", "set cloudInit.instanceId instead (it decides when cloud-init reruns)");
                ok = false;
            }
        }
        if (networkConfig is { } nc && ParseMapping(nc, "network-config", ctx) is null) ok = false;
        if (!ok) return null;

        var instanceId = ci.Get<string>("instanceId") ?? domain;
        var spec = new CloudInitSpec(userData?.Text ?? "", MetaData(instanceId, domain, meta), networkConfig?.Text, instanceId, ci.Get<string>("pool"), seed);
        var isPc = machine == "pc" || machine.StartsWith("pc-i440fx", StringComparison.Ordinal);
        var disk = new DiskSpec(null, seed, spec.Pool, DiskDevice.Cdrom, isPc ? "ide" : "sata", "raw", true, null);
        return (spec, disk);
    }

    /// <summary>meta-data as written to the seed: instance-id, local-hostname (unless given), then the user's keys.</summary>
    internal static string MetaData(string instanceId, string hostname, YamlMappingNode? extra)
    {
        var map = new YamlMappingNode { { "instance-id", new YamlScalarNode(instanceId) { Style = ScalarStyle.DoubleQuoted } } };
        if (extra is null || !extra.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value == "local-hostname"))
        {
            map.Add("local-hostname", new YamlScalarNode(hostname) { Style = ScalarStyle.DoubleQuoted });
        }
        if (extra is not null)
        {
            foreach (var (key, value) in extra.Children) map.Add(key, value);
        }
        var writer = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(map)).Save(writer, assignAnchors: false);
        var text = writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4];
        return text;
    }

    private static Content? Read(ParsedObject ci, string inline, string file, DocumentContext ctx, ref bool ok)
    {
        var text = ci.Get<string>(inline);
        var path = ci.Get<string>(file);
        if (text is not null && path is not null)
        {
            ctx.Error(DiagnosticCodes.ConflictingFields, $"{inline} and {file} cannot both be set", ctx.Fields[ci.FieldPath(file)], ci.FieldPath(file),
                $"keep one: {inline} inline, or {file} for a file next to the spec");
            ok = false;
            return null;
        }
        if (text is not null)
        {
            var at = ctx.Fields.GetValueOrDefault(ci.FieldPath(inline)) ?? ctx.Start;
            // A block scalar (|) starts on the line after the key: its first line is one below.
            return new Content(text, ci.FieldPath(inline), at, Inline: true, Block: text.Contains('\n', StringComparison.Ordinal));
        }
        if (path is null) return null;
        var fieldPath = ci.FieldPath(file);
        var location = ctx.Fields.GetValueOrDefault(fieldPath) ?? ctx.Start;
        if (path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            ctx.Error(DiagnosticCodes.InvalidPath, $"'{path}' ends in .yaml/.yml, so it would also be loaded as a manifest", location, fieldPath,
                "name cloud-init files without that extension, e.g. cloud-init/web-1/user-data");
            ok = false;
            return null;
        }
        if (ctx.Siblings is null)
        {
            ctx.Error(DiagnosticCodes.InvalidPath, $"{file} cannot be read here (the source has no files next to the spec)", location, fieldPath, $"write the content inline with {inline}");
            ok = false;
            return null;
        }
        var (content, display, error) = ctx.Siblings.Read(ctx.File, path);
        if (error is not null)
        {
            ctx.Error(DiagnosticCodes.InvalidPath, $"'{path}' cannot be read: {error}", location, fieldPath,
                "the path is relative to this spec file's directory and must stay inside the spec directory");
            ok = false;
            return null;
        }
        return new Content(content!, fieldPath, new SourceLocation(display, 1, 1), Inline: false, Block: false);
    }

    private static bool CheckUserData(Content ud, DocumentContext ctx)
    {
        var text = ud.Text;
        var first = text.TrimStart('\uFEFF').Split('\n', 2)[0].TrimEnd('\r').Trim();
        if (text.Trim().Length == 0) return true;
        if (first.StartsWith("#cloud-config", StringComparison.Ordinal))
        {
            return ParseYaml(ud, "user-data", ctx, requireMapping: true) is not null;
        }
        string[] accepted = ["#!", "#include", "#cloud-boothook", "#part-handler", "## template:", "Content-Type:"];
        if (accepted.Any(a => first.StartsWith(a, StringComparison.OrdinalIgnoreCase))) return true;
        Report(ctx, ud, 1, 1, "user-data must start with #cloud-config (YAML), #! (a script), #include or be MIME multipart",
            "begin it with a line '#cloud-config'; cloud-init ignores anything else");
        return false;
    }

    private static YamlMappingNode? ParseMapping(Content c, string what, DocumentContext ctx) =>
        ParseYaml(c, what, ctx, requireMapping: true) as YamlMappingNode;

    private static YamlNode? ParseYaml(Content c, string what, DocumentContext ctx, bool requireMapping)
    {
        // Walk the events first: YamlDotNet's scanner sometimes fails without a position, so keep the last good one.
        var last = new Mark();
        try
        {
            var parser = new Parser(new StringReader(c.Text));
            while (parser.MoveNext())
            {
                if (parser.Current is { } e) last = e.End;
            }
        }
        catch (YamlException e)
        {
            Report(ctx, c, (int)e.Start.Line, (int)e.Start.Column, $"{what} is not valid YAML: {Clean(e)}", "fix the YAML (check indentation, ':' after keys, closing brackets and quotes)");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
        {
            Report(ctx, c, (int)Math.Max(1, last.Line), (int)Math.Max(1, last.Column), $"{what} is not valid YAML after this point",
                "fix the YAML (an unclosed bracket or quote, or bad indentation)");
            return null;
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(c.Text));
        }
        catch (YamlException e)
        {
            // Well-formed events but no tree: a duplicate key, or an alias (*name) to no anchor.
            Report(ctx, c, (int)Math.Max(1, e.Start.Line), (int)Math.Max(1, e.Start.Column), $"{what} is not valid YAML: {Clean(e)}",
                "keys must be unique within a mapping, and an alias (*name) needs an anchor (&name) before it");
            return null;
        }
        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        if (root is null || root is YamlScalarNode { Value: null or "" })
        {
            return new YamlMappingNode();
        }
        if (requireMapping && root is not YamlMappingNode)
        {
            Report(ctx, c, (int)root.Start.Line, (int)root.Start.Column, $"{what} must be a YAML mapping (key: value lines)", "e.g. hostname: web-1");
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            Report(ctx, c, (int)stream.Documents[1].RootNode.Start.Line, 1, $"{what} holds several YAML documents; cloud-init reads one", "remove the '---' separators");
            return null;
        }
        return root;
    }

    private static void Error(DocumentContext ctx, Content c, Mark mark, string message, string hint) =>
        Report(ctx, c, (int)mark.Line, (int)mark.Column, message, hint);

    /// <summary>Reports at the line inside the content: the file's own position, or the spec line of an inline block scalar.</summary>
    private static void Report(DocumentContext ctx, Content c, int line, int column, string message, string hint)
    {
        SourceLocation at;
        if (!c.Inline) at = new SourceLocation(c.Location.File, line, column);
        else if (c.Block) at = new SourceLocation(c.Location.File, c.Location.Line + line, 0);
        else at = c.Location;
        var inside = c.Inline ? $" (line {line}, column {column} of the value)" : "";
        ctx.Error(DiagnosticCodes.InvalidCloudInit, message + inside, at, c.Field, hint);
    }

    private static string Clean(YamlException e)
    {
        var m = e.Message;
        var cut = m.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && m.StartsWith("(Line", StringComparison.Ordinal) ? m[(cut + 3)..] : m;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex SeedNameRegex();

    private sealed record Content(string Text, string Field, SourceLocation Location, bool Inline, bool Block);
}
