using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Reconciler.Engine;

namespace Reconciler.Benchmarks;

/// <summary>
/// The many-nodes estate of the scale test and benchmark: <c>nodes</c> simulated nodes, each a
/// libvirt test-driver node file (<c>test:///ROOT/nodes/nNN.xml</c>), holding <c>domains</c>
/// domains in total, every one already defined as Reconciler defines it (rendered from its spec,
/// owner metadata included) and in its desired power state, so a plan of the estate is a no-op.
/// Also compiled into Reconciler.Engine.Tests (ScaleTests), so the test and the benchmark measure
/// the same estate.
/// </summary>
internal static class ScaleEstate
{
    /// <summary>Where an estate was written.</summary>
    /// <param name="Root">Its root directory (deleted by the caller).</param>
    /// <param name="Specs">The spec directory: one Node spec per node and one file of Domain specs per node.</param>
    /// <param name="Nodes">How many nodes.</param>
    /// <param name="Domains">How many domains in all.</param>
    public sealed record Estate(string Root, string Specs, int Nodes, int Domains)
    {
        /// <summary>The test-driver node file of node <paramref name="node"/>.</summary>
        public string NodeFile(int node) => Path.Combine(Root, "nodes", NodeName(node) + ".xml");
    }

    private static readonly XNamespace TestNs = "http://libvirt.org/schemas/domain/test/1.0";

    /// <summary>The name of node <paramref name="node"/> (n00 … n49).</summary>
    public static string NodeName(int node) => string.Create(CultureInfo.InvariantCulture, $"n{node:D2}");

    /// <summary>The name of the <paramref name="i"/>-th domain on node <paramref name="node"/>.</summary>
    public static string DomainName(int node, int i) => string.Create(CultureInfo.InvariantCulture, $"scale-n{node:D2}-{i:D4}");

    /// <summary>True for the domains that run (every fourth); the others are stopped.</summary>
    public static bool Running(int i) => i % 4 == 0;

    /// <summary>
    /// Writes the estate under <paramref name="root"/> (emptied first): specs, then node files
    /// holding exactly what <c>reconcile render</c> gives for each spec. Domains are spread evenly;
    /// the first <c>domains % nodes</c> nodes get one more.
    /// </summary>
    public static Estate Write(string root, int nodes, int domains, CancellationToken ct = default)
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var specs = Path.Combine(root, "specs");
        Directory.CreateDirectory(specs);
        Directory.CreateDirectory(Path.Combine(root, "nodes"));
        var estate = new Estate(root, specs, nodes, domains);

        var nodeYaml = new StringBuilder();
        for (var n = 0; n < nodes; n++)
        {
            if (n > 0) nodeYaml.Append("---\n");
            nodeYaml.Append(CultureInfo.InvariantCulture,
                $"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: {NodeName(n)}, labels: {{rack: r{n % 5}}}}}\nspec: {{uri: \"test://{estate.NodeFile(n)}\", domainType: test}}\n");
            // An empty node first: Load resolves nothing against it, but the file must exist to be opened.
            File.WriteAllText(estate.NodeFile(n), NodeXml([]).ToString());
        }
        File.WriteAllText(Path.Combine(specs, "nodes.yaml"), nodeYaml.ToString());

        for (var n = 0; n < nodes; n++)
        {
            var text = new StringBuilder();
            for (var i = 0; i < PerNode(n, nodes, domains); i++)
            {
                if (i > 0) text.Append("---\n");
                text.Append(CultureInfo.InvariantCulture, $"""
                    apiVersion: reconciler/v1
                    kind: Domain
                    metadata:
                      name: {DomainName(n, i)}
                      labels: {"{"}tier: t{i % 3}, group: g{i % 16}{"}"}
                    spec:
                      node: {NodeName(n)}
                      state: {(Running(i) ? "running" : "stopped")}
                      vcpus: 1
                      memory: 64MiB
                      graphics: {"{"}type: none{"}"}
                      description: scale domain {i} of node {n}

                    """);
            }
            File.WriteAllText(Path.Combine(specs, $"domains-{NodeName(n)}.yaml"), text.ToString());
        }

        var loaded = Workspace.Load(specs, null, ct);
        if (loaded.HasErrors)
        {
            throw new InvalidOperationException("the generated specs do not load: " + string.Join("; ", loaded.Diagnostics.Select(d => d.Message)));
        }
        var byNode = Operations.Render(loaded, null, "test").ToLookup(r => r.Node, StringComparer.Ordinal);
        for (var n = 0; n < nodes; n++)
        {
            var node = NodeName(n);
            var elements = byNode[node].Select(r =>
            {
                var xml = XElement.Parse(r.Xml);
                xml.Add(new XAttribute(XNamespace.Xmlns + "test", TestNs.NamespaceName));
                var i = int.Parse(r.Name[(r.Name.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
                xml.Add(new XElement(TestNs + "runstate", Running(i) ? 1 : 5)); // VIR_DOMAIN_RUNNING : VIR_DOMAIN_SHUTOFF
                return xml;
            }).ToList();
            File.WriteAllText(estate.NodeFile(n), NodeXml(elements).ToString());
        }
        return estate;
    }

    /// <summary>How many domains node <paramref name="node"/> holds.</summary>
    public static int PerNode(int node, int nodes, int domains) => domains / nodes + (node < domains % nodes ? 1 : 0);

    /// <summary>
    /// Lowers the current memory of one domain in its node file behind Reconciler's back (as a
    /// redefine by someone else would; the maximum stays), so the next plan must find exactly this
    /// one-field drift.
    /// </summary>
    public static void DriftMemory(Estate estate, int node, int i, int mebibytes)
    {
        var file = estate.NodeFile(node);
        var doc = XDocument.Load(file);
        var domain = doc.Root!.Elements("domain").Single(d => (string?)d.Element("name") == DomainName(node, i));
        var element = domain.Element("currentMemory") ?? throw new InvalidOperationException($"{DomainName(node, i)} has no <currentMemory>");
        element.RemoveAttributes();
        element.SetAttributeValue("unit", "KiB");
        element.Value = (mebibytes * 1024L).ToString(CultureInfo.InvariantCulture);
        doc.Save(file);
    }

    private static XElement NodeXml(IEnumerable<XElement> domains) =>
        new("node",
            new XElement("cpu",
                new XElement("nodes", 1), new XElement("sockets", 1), new XElement("cores", 16), new XElement("threads", 2),
                new XElement("active", 32), new XElement("mhz", 2000), new XElement("model", "x86_64")),
            new XElement("memory", 256L * 1024 * 1024), // KiB: 256 GiB
            domains);
}
