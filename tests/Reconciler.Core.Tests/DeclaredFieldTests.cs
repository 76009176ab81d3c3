using System.Xml.Linq;
using Reconciler.Core.Fields;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

public sealed class DeclaredFieldTests
{
    [Theory]
    [InlineData("spec.disks[2].bus", "spec.disks", true, "spec.disks[2]", 2)]
    [InlineData("spec.disks[10]", "spec.disks", true, "spec.disks[10]", 10)]
    [InlineData("spec.disksx[1].bus", "spec.disks", false, null, -1)]
    [InlineData("spec.disks", "spec.disks", false, null, -1)]
    [InlineData("spec.disks[x].bus", "spec.disks", false, null, -1)]
    [InlineData("spec.interfaces[0].mac", "spec.disks", false, null, -1)]
    public void A_path_knows_its_list_item(string text, string list, bool isItem, string? item, int index)
    {
        Assert.Equal(isItem, new FieldPath(text).TryItemOf(new FieldPath(list), out var found, out var i));
        if (!isItem) return;
        Assert.Equal((item, index), (found.Text, i));
    }

    [Theory]
    [InlineData("spec.placement.node", "spec.placement", true)]
    [InlineData("spec.placement", "spec.placement", true)]
    [InlineData("spec.placementx", "spec.placement", false)]
    [InlineData("metadata.labels.tier", "metadata", true)]
    [InlineData("spec.disks[0]", "spec.disks", true)]
    public void Within_follows_path_segments_not_prefixes(string text, string parent, bool within) =>
        Assert.Equal(within, new FieldPath(text).IsWithin(new FieldPath(parent)));

    private static readonly ObjectDef Inner = new("Inner", "a nested element",
    [
        new FieldDef("count", FieldType.Integer, "an attribute of the object's element") { Xml = XmlPlace.Attr("count") },
        new FieldDef("label", FieldType.String, "a child's text") { Xml = XmlPlace.Text("label"), Change = Disruption.Replace },
    ], xmlElement: "cpu/inner");

    private static readonly DeclaredFields Table = new(DomainPaths.Spec,
    [
        new FieldDef("top", FieldType.String, "an attribute of a child of the root") { Xml = XmlPlace.Attr("os/type", "flavour") },
        new FieldDef("inner", FieldType.Object, "an object with its own element") { Item = Inner },
        new FieldDef("plain", FieldType.String, "rendered by hand: not declared"),
    ]);

    [Fact]
    public void Only_rows_with_an_xml_place_are_declared()
    {
        Assert.Equal(["spec.top", "spec.inner.count", "spec.inner.label"], Table.All.Select(f => f.Path.Text));
        Assert.Equal(["os", "cpu"], Table.TopElements.Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(Disruption.Replace, Table.ChangeOf(new FieldPath("spec.inner.label")));
        Assert.Null(Table.ChangeOf(new FieldPath("spec.inner.count")));
    }

    [Fact]
    public void Render_puts_elements_where_libvirt_writes_them_and_parse_reads_them_back()
    {
        var values = FieldValues.Empty.With(new FieldPath("spec.top"), "x").With(new FieldPath("spec.inner.count"), "3")
            .With(new FieldPath("spec.inner.label"), "a<b");
        var domain = new XElement("domain", new XElement("name", "d"), new XElement("clock"), new XElement("devices"));
        Table.Render(domain, values);
        Assert.Equal(["name", "os", "cpu", "clock", "devices"], domain.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("x", (string?)domain.Element("os")!.Element("type")!.Attribute("flavour"));
        Assert.Equal("<inner count=\"3\"><label>a&lt;b</label></inner>", domain.Element("cpu")!.Element("inner")!.ToString(SaveOptions.DisableFormatting));
        Assert.Equal(values, Table.Parse(XElement.Parse(domain.ToString())));
    }

    [Fact]
    public void Parse_canonicalises_integers_and_skips_what_is_absent()
    {
        var parsed = Table.Parse(XElement.Parse("<domain><cpu><inner count=' 007 '/></cpu></domain>"));
        Assert.Equal("7", parsed[new FieldPath("spec.inner.count")]);
        Assert.Equal(1, parsed.Count);
    }

    [Fact]
    public void Flatten_lists_every_declared_path_with_null_for_unwritten_ones()
    {
        var flat = Table.Flatten(FieldValues.Empty.With(new FieldPath("spec.inner.count"), "2")).ToList();
        Assert.Equal([new FieldValue("spec.top", null), new FieldValue("spec.inner.count", "2"), new FieldValue("spec.inner.label", null)], flat);
    }

    [Fact]
    public void Values_compare_by_content()
    {
        var a = FieldValues.Empty.With(new FieldPath("spec.x"), "1").With(new FieldPath("spec.y"), "2");
        var b = FieldValues.Empty.With(new FieldPath("spec.y"), "2").With(new FieldPath("spec.x"), "1");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b.With(new FieldPath("spec.x"), "3"));
        Assert.Equal(FieldValues.Empty, a.With(new FieldPath("spec.x"), null).With(new FieldPath("spec.y"), null));
    }

    [Fact]
    public void A_declared_field_of_an_unsupported_type_is_refused_when_the_table_is_built()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new DeclaredFields(DomainPaths.Spec,
            [new FieldDef("size", FieldType.Size, "no XML form yet") { Xml = XmlPlace.Text("size") }]));
        Assert.Contains("spec.size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_normalized_field_stores_and_reads_back_the_canonical_text()
    {
        var table = new DeclaredFields(DomainPaths.Spec,
            [new FieldDef("nodes", FieldType.String, "a cpuset") { Xml = XmlPlace.Attr("numatune/memory", "nodeset"), Normalize = CpuSet.Canonical }]);
        var field = Assert.Single(table.All);
        Assert.Equal("0-2,5", DeclaredFields.Canonical(field, "2, 0,1,5"));
        Assert.Equal("0-1", table.Parse(XElement.Parse("<domain><numatune><memory nodeset='1,0'/></numatune></domain>"))[field.Path]);
    }

    [Theory]
    [InlineData("0,1", "0-1")]
    [InlineData(" 3 , 1-2 ", "1-3")]
    [InlineData("0-7,^3,^5", "0-2,4,6-7")]
    [InlineData("4,6", "4,6")]
    [InlineData("1-1", "1")]
    public void A_cpuset_has_libvirts_canonical_form(string text, string canonical)
    {
        Assert.True(CpuSet.TryParse(text, out var cpus, out var error), error);
        Assert.Equal(canonical, CpuSet.Format(cpus));
        Assert.Equal(canonical, CpuSet.Canonical(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1,")]
    [InlineData("-1")]
    [InlineData("2-1")]
    [InlineData("^1")]
    [InlineData("^1-2")]
    [InlineData("8192")]
    public void A_bad_cpuset_is_refused_and_kept_as_written(string text)
    {
        Assert.False(CpuSet.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
        Assert.Equal(text.Trim(), CpuSet.Canonical(text));
    }

    [Fact]
    public void Values_survive_a_saved_plan_as_a_json_object()
    {
        var values = FieldValues.Empty.With(new FieldPath("spec.cpu.topology.cores"), "2").With(new FieldPath("spec.x"), "a\"b");
        var json = System.Text.Json.JsonSerializer.Serialize(values);
        Assert.Equal("{\"spec.cpu.topology.cores\":\"2\",\"spec.x\":\"a\\u0022b\"}", json);
        Assert.Equal(values, System.Text.Json.JsonSerializer.Deserialize<FieldValues>(json));
    }
}
