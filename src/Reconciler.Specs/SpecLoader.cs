using System.Security.Cryptography;
using System.Text;
using FluentValidation.Results;
using Reconciler.Core.Diagnostics;
using Reconciler.Specs.Validation;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Specs;

/// <summary>What loading a spec source produced.</summary>
/// <param name="Specs">The validated set, or null when any diagnostic is an error.</param>
/// <param name="Diagnostics">Every problem found, sorted by file, line and column.</param>
public sealed record LoadResult(SpecSet? Specs, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>The text of each spec file loaded, by the path its locations name (the manifests as written at this revision).</summary>
    public IReadOnlyDictionary<string, string> Texts { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether any diagnostic is an error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Loads Kubernetes-style YAML manifests (<c>apiVersion: reconciler/v1</c>, several documents per
/// file) into a <see cref="SpecSet"/>. Never throws for bad input: every problem is a located
/// <see cref="Diagnostic"/>, and all files are checked even when some are broken. Only
/// cancellation throws (<see cref="OperationCanceledException"/>).
/// </summary>
public static partial class SpecLoader
{
    /// <summary>Files larger than this are refused.</summary>
    public const int MaxFileBytes = 4 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Loads every <c>*.yaml</c> / <c>*.yml</c> file below <paramref name="root"/>, recursively,
    /// in ordinal order of their relative paths, skipping hidden (dot) files and directories such
    /// as <c>.git</c> and <c>.reconcile</c>, and not following symbolic links to directories.
    /// <paramref name="root"/> may also name a single file. The revision is a short hash of the
    /// files' relative paths and bytes; the source is <paramref name="root"/> as given.
    /// </summary>
    /// <param name="root">The spec directory, or one file.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="cache">Parses of unchanged files to reuse, or null.</param>
    /// <param name="nodesRead">
    /// Called once, before the other files are parsed, with the Node manifests of the files that
    /// hold any (those files are parsed first), each valid on its own — so that a caller can start
    /// connecting to the nodes while the rest loads. Advisory only: the result is the same with or
    /// without it, and a node it did not announce (or one that later fails a cross-file check) is
    /// still decided by the returned <see cref="LoadResult"/>. Not called when no file holds a Node.
    /// </param>
    public static LoadResult LoadDirectory(string root, CancellationToken ct = default, SpecFileCache? cache = null,
        Action<IReadOnlyList<NodeSpec>>? nodesRead = null)
    {
        var diagnostics = new List<Diagnostic>();
        var files = new List<(string Path, byte[] Bytes)>();
        if (File.Exists(root))
        {
            ReadFile(root, Path.GetFileName(root), files, diagnostics);
        }
        else if (Directory.Exists(root))
        {
            var found = new List<(string Relative, string Full)>();
            Walk(root, "", found, diagnostics, ct);
            foreach (var (relative, full) in found.OrderBy(f => f.Relative, StringComparer.Ordinal))
            {
                ct.ThrowIfCancellationRequested();
                ReadFile(full, relative, files, diagnostics);
            }
        }
        else
        {
            diagnostics.Add(Diagnostic.Error(SourceNotFound, $"the spec directory '{root}' does not exist", SourceLocation.OfFile(root), null,
                "pass the directory that holds your *.yaml manifests"));
            return new LoadResult(null, diagnostics);
        }
        var texts = new List<(string Path, string Text)>();
        foreach (var (path, bytes) in files)
        {
            try
            {
                var text = StrictUtf8.GetString(bytes);
                texts.Add((path, text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text));
            }
            catch (DecoderFallbackException)
            {
                diagnostics.Add(Diagnostic.Error(FileUnreadable, "the file is not valid UTF-8", SourceLocation.OfFile(path), null, "save it as UTF-8"));
            }
        }
        var siblingRoot = File.Exists(root) ? Path.GetDirectoryName(Path.GetFullPath(root))! : root;
        return Load(root, Revision(files), texts, diagnostics, ct, SiblingFiles.ForDirectory(siblingRoot), cache, nodesRead);
    }

    /// <summary>
    /// Loads manifests given as text (for sources such as a Git tree). Paths use '/' and are
    /// relative to the source; the same rules as <see cref="LoadDirectory"/> select the files
    /// (<see cref="IsSpecFile"/>) and their order. The revision is a short hash of the paths and
    /// UTF-8 contents; a caller that knows a better revision (a commit) replaces it with <c>with</c>.
    /// </summary>
    public static LoadResult LoadFiles(string sourceName, IEnumerable<(string RelativePath, string Text)> files, CancellationToken ct = default, SpecFileCache? cache = null)
    {
        var diagnostics = new List<Diagnostic>();
        var all = files.Select(f => (Path: f.RelativePath.Replace('\\', '/').TrimStart('/'), f.Text)).ToList();
        var siblings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, text) in all) siblings[path] = text;
        var selected = all
            .Where(f => IsSpecFile(f.Path))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var texts = new List<(string Path, string Text)>();
        foreach (var (path, text) in selected)
        {
            if (Encoding.UTF8.GetByteCount(text) > MaxFileBytes)
            {
                diagnostics.Add(TooLarge(path));
                continue;
            }
            texts.Add((path, text));
        }
        var revision = Revision(selected.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Text))).ToList());
        return Load(sourceName, revision, texts, diagnostics, ct, SiblingFiles.ForTexts(siblings), cache);
    }

    /// <summary>Whether a relative path is loaded: a <c>.yaml</c>/<c>.yml</c> file with no hidden (dot) segment.</summary>
    public static bool IsSpecFile(string relativePath)
    {
        var segments = relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s.StartsWith('.'))) return false;
        var name = segments[^1];
        return name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
    }

    internal sealed record Loaded(KindHandler Kind, object Resource, DocumentContext Context, SourceLocation NameLocation);

    private static LoadResult Load(string source, string revision, List<(string Path, string Text)> files, List<Diagnostic> diagnostics, CancellationToken ct,
        SiblingFiles? siblings = null, SpecFileCache? cache = null, Action<IReadOnlyList<NodeSpec>>? nodesRead = null)
    {
        // Each file's manifests depend on its text alone (and on sibling files, which are never
        // cached); results and diagnostics are kept in file order.
        var perFile = new (List<Loaded> Loaded, List<Diagnostic> Diagnostics)[files.Count];
        void ReadOne(int i)
        {
            var (path, text) = files[i];
            if (cache?.Find(path, text) is { } hit)
            {
                perFile[i] = hit;
                return;
            }
            var found = new List<Loaded>();
            var fileDiagnostics = new List<Diagnostic>();
            var contexts = new List<DocumentContext>();
            foreach (var document in YamlDocuments.Read(path, text, fileDiagnostics))
            {
                if (ReadManifest(document, path, fileDiagnostics, siblings, contexts) is { } resource) found.Add(resource);
            }
            perFile[i] = (found, fileDiagnostics);
            // A file whose manifests read sibling files (cloud-init, local images), even ones that
            // failed, is parsed every time: those files may change on their own.
            if (cache is not null && !contexts.Any(c => c.UsesSiblings)) cache.Remember(path, text, found, fileDiagnostics);
        }
        // Files are parsed in file order, except that with nodesRead the files that look like they
        // hold a Node go first; perFile keeps the results in file order either way.
        var first = nodesRead is null ? [] : Enumerable.Range(0, files.Count).Where(i => MayHoldNode(files[i].Text)).ToList();
        foreach (var i in first)
        {
            ct.ThrowIfCancellationRequested();
            ReadOne(i);
        }
        var nodeValidator = new NodeSpecValidator();
        if (nodesRead is not null && first.Count > 0) AnnounceNodes(first.Select(i => perFile[i]), nodeValidator, nodesRead);
        for (var i = 0; i < files.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (perFile[i].Loaded is null) ReadOne(i);
        }
        cache?.KeepOnly(files.Select(f => f.Path));
        var loaded = new List<Loaded>();
        foreach (var (found, fileDiagnostics) in perFile)
        {
            loaded.AddRange(found);
            diagnostics.AddRange(fileDiagnostics);
        }

        CheckDuplicateNames(loaded, diagnostics);
        var nodes = loaded.Select(l => l.Resource).OfType<NodeSpec>().ToList();
        var nodeNames = nodes.Select(n => n.Name).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var domainValidator = new DomainSpecValidator(nodeNames);
        var poolValidator = new StoragePoolSpecValidator(nodeNames);
        var volumeValidator = new VolumeSpecValidator(nodeNames);
        var networkValidator = new NetworkSpecValidator(nodeNames);
        var nodesKey = string.Join('\n', nodeNames);
        foreach (var item in loaded)
        {
            ValidationResult Validate() => item.Resource switch
            {
                NodeSpec node => nodeValidator.Validate(node),
                DomainSpec domain => domainValidator.Validate(domain),
                StoragePoolSpec pool => poolValidator.Validate(pool),
                VolumeSpec volume => volumeValidator.Validate(volume),
                NetworkSpec network => networkValidator.Validate(network),
                _ => new ValidationResult(),
            };
            var errors = cache is null ? Validate().Errors : cache.Validate(item.Resource, nodesKey, Validate);
            foreach (var failure in errors) Report(failure, item.Context, diagnostics);
        }
        CheckMacsAcrossDomains(loaded, diagnostics);

        var domains = loaded.Select(l => l.Resource).OfType<DomainSpec>().ToList();
        var pools = loaded.Select(l => l.Resource).OfType<StoragePoolSpec>().ToList();
        var volumes = loaded.Select(l => l.Resource).OfType<VolumeSpec>().ToList();
        var networks = loaded.Select(l => l.Resource).OfType<NetworkSpec>().ToList();
        if (nodes.Count == 1)
        {
            // The one node is explicit in the model, so that later stages need not guess.
            domains = domains.Select(d => d.Node is null ? d with { Node = nodes[0].Name } : d).ToList();
            pools = pools.Select(p => p.Node is null ? p with { Node = nodes[0].Name } : p).ToList();
            networks = networks.Select(n => n.Node is null ? n with { Node = nodes[0].Name } : n).ToList();
        }
        if (!diagnostics.Any(d => d.Severity == Severity.Error)) StorageSpecChecks.Check(pools, volumes, networks, domains, diagnostics);
        if (loaded.Count == 0 && diagnostics.Count == 0)
        {
            diagnostics.Add(Diagnostic.Warning(NoManifests, files.Count == 0 ? "no *.yaml or *.yml file was found" : "the files hold no manifest",
                SourceLocation.OfFile(source), null, "add manifests with apiVersion: reconciler/v1"));
        }

        var sorted = diagnostics
            .OrderBy(d => d.Location is null ? 1 : 0)
            .ThenBy(d => d.Location?.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)
            .ToList();
        var failed = sorted.Any(d => d.Severity == Severity.Error);
        return new LoadResult(failed ? null : new SpecSet(source, revision, nodes, domains) { Pools = pools, Volumes = volumes, Networks = networks }, sorted)
        {
            Texts = files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal),
        };
    }

    /// <summary>A line that declares a Node manifest (block or flow style); a file it misses is simply parsed in its turn.</summary>
    [GeneratedRegex(@"(^|[\s{,])kind:\s*[""']?Node[""']?\s*($|[,}#])", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NodeKindPattern();

    /// <summary>True when <paramref name="text"/> has a line that looks like <c>kind: Node</c> (the files parsed first for nodesRead).</summary>
    /// <remarks>
    /// The pattern needs the word Node, so a file without it is answered by one vectorised search
    /// instead of the pattern's attempt at every whitespace (a file of 200 Domain manifests).
    /// </remarks>
    internal static bool MayHoldNode(string text) => text.Contains("Node", StringComparison.Ordinal) && NodeKindPattern().IsMatch(text);

    /// <summary>Calls <paramref name="nodesRead"/> with the Node manifests of files read without error that pass validation on their own.</summary>
    private static void AnnounceNodes(IEnumerable<(List<Loaded> Loaded, List<Diagnostic> Diagnostics)> files, NodeSpecValidator validator,
        Action<IReadOnlyList<NodeSpec>> nodesRead)
    {
        var nodes = new List<NodeSpec>();
        foreach (var (loaded, fileDiagnostics) in files)
        {
            if (fileDiagnostics.Any(d => d.Severity == Severity.Error)) continue;
            nodes.AddRange(loaded.Select(l => l.Resource).OfType<NodeSpec>().Where(n => validator.Validate(n).IsValid));
        }
        if (nodes.Count > 0) nodesRead(nodes);
    }

    private static void Report(ValidationFailure failure, DocumentContext context, List<Diagnostic> diagnostics)
    {
        var path = failure.PropertyName;
        var state = failure.CustomState as FailureState;
        if (context.IsBad(path) || (state?.Related.Any(context.IsBad) ?? false)) return;
        var location = new SpecOrigin(context.Start, context.Fields).Find(path);
        var severity = failure.Severity == FluentValidation.Severity.Error ? Severity.Error : Severity.Warning;
        diagnostics.Add(new Diagnostic(severity, failure.ErrorCode ?? InvalidValue, failure.ErrorMessage, location, path, state?.Hint));
    }

    private static Loaded? ReadManifest(YamlDocument document, string file, List<Diagnostic> diagnostics, SiblingFiles? siblings, List<DocumentContext>? made = null)
    {
        var ctx = new DocumentContext(file, diagnostics) { Siblings = siblings };
        made?.Add(ctx);
        var root = document.RootNode;
        if (FieldReader.IsNull(root)) return null; // an empty document ("---" at the end, comments only)
        ctx.Start = ctx.At(root);
        if (root is not YamlMappingNode map)
        {
            ctx.Error(WrongType, $"a manifest must be a mapping, got {FieldReader.Describe(root)}", root, "",
                "start with apiVersion: reconciler/v1, kind:, metadata: and spec:");
            return null;
        }

        var top = KindRegistry.TopLevel.Select(t => t.Name).ToList();
        var nodes = new Dictionary<string, (YamlNode Key, YamlNode Value)>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || FieldReader.IsNull(keyNode))
            {
                ctx.Error(WrongType, $"a field name must be a plain string, got {FieldReader.Describe(keyNode)}", keyNode, "",
                    "top-level fields: " + string.Join(", ", top));
                continue;
            }
            if (!top.Contains(key))
            {
                var under = KindRegistry.SupportedKinds.Any(k => k.Spec!.Find(key) is not null) ? $"'{key}' belongs under spec:" : null;
                FieldReader.ReportUnknown(key, keyNode, key, top, ctx, under);
                continue;
            }
            nodes[key] = (keyNode, valueNode);
            ctx.Fields[key] = valueNode is YamlScalarNode ? ctx.At(valueNode) : ctx.At(keyNode);
        }

        var ok = true;
        if (!nodes.TryGetValue("apiVersion", out var api) || FieldReader.IsNull(api.Value))
        {
            ctx.Error(MissingField, "'apiVersion' is required", root, "apiVersion", $"add apiVersion: {KindRegistry.ApiVersion}");
            ok = false;
        }
        else if (api.Value is not YamlScalarNode { Value: KindRegistry.ApiVersion })
        {
            var given = api.Value is YamlScalarNode s ? $"'{s.Value}'" : FieldReader.Describe(api.Value);
            ctx.Error(UnsupportedApiVersion, $"apiVersion {given} is not supported", api.Value, "apiVersion",
                $"use apiVersion: {KindRegistry.ApiVersion}");
            ok = false;
        }

        KindHandler? handler = null;
        if (!nodes.TryGetValue("kind", out var kindNode) || FieldReader.IsNull(kindNode.Value))
        {
            ctx.Error(MissingField, "'kind' is required", root, "kind",
                "add kind: " + string.Join(" or ", KindRegistry.SupportedKinds.Select(k => k.Kind)));
        }
        else
        {
            var kind = (kindNode.Value as YamlScalarNode)?.Value ?? "";
            handler = KindRegistry.Find(kind);
            var supported = KindRegistry.SupportedKinds.Select(k => k.Kind).ToList();
            if (handler is null)
            {
                ctx.Error(UnknownKind, $"unknown kind '{kind}'", kindNode.Value, "kind",
                    Suggest.DidYouMean(kind, KindRegistry.All.Select(k => k.Kind)) ?? "supported kinds: " + string.Join(", ", supported));
            }
            else if (!handler.Supported)
            {
                ctx.Error(UnsupportedKind, $"kind {kind} is not supported yet", kindNode.Value, "kind",
                    "supported kinds: " + string.Join(", ", supported) + "; create the " + kind + " outside Reconciler for now");
                handler = null;
            }
        }

        ParsedObject? metadata = null;
        if (!nodes.TryGetValue("metadata", out var metaNode) || FieldReader.IsNull(metaNode.Value))
        {
            ctx.Error(MissingField, "'metadata' is required", root, "metadata", "add metadata: {name: NAME}");
        }
        else
        {
            metadata = FieldReader.ReadObject(metaNode.Value, KindRegistry.Metadata, "metadata", ctx);
        }

        if (!ok || handler is null) return null;
        var specDef = handler.Spec!;
        ParsedObject? spec = null;
        if (!nodes.TryGetValue("spec", out var specNode) || FieldReader.IsNull(specNode.Value))
        {
            var required = specDef.Fields.Where(f => f.Required).Select(f => f.Name).ToList();
            if (required.Count > 0)
            {
                ctx.Error(MissingField, "'spec' is required", root, "spec", $"add spec: with {string.Join(", ", required)}");
            }
        }
        else
        {
            spec = FieldReader.ReadObject(specNode.Value, specDef, "spec", ctx);
        }

        var name = metadata?.Get<string>("name") ?? "";
        var labels = (IReadOnlyDictionary<string, string>?)metadata?.Get<SortedDictionary<string, string>>("labels")
            ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        var meta = new ResourceMeta(name, labels, ctx.Origin());
        var resource = handler.Build(meta, spec ?? new ParsedObject(specDef, "spec"), ctx);
        var nameLocation = ctx.Fields.GetValueOrDefault("metadata.name") ?? ctx.Start;
        return new Loaded(handler, resource, ctx, nameLocation);
    }
}
