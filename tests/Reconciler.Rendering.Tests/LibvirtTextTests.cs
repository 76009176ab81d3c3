using System.Xml.Linq;

namespace Reconciler.Rendering.Tests;

/// <summary><c>reconcile render</c>'s libvirt-style text (single quotes) is the same document as the rendered XML.</summary>
public sealed class LibvirtTextTests
{
    public static TheoryData<string> CaseNames() => new(Cases.All.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Libvirt_style_text_is_the_same_document_with_single_quotes(string caseName)
    {
        var (spec, domainType) = Cases.All[caseName];
        var xml = DomainRenderer.Render(spec, Cases.Options(caseName, domainType));
        var text = LibvirtText.Of(xml);
        Assert.True(XNode.DeepEquals(XDocument.Parse(xml), XDocument.Parse(text)), $"{caseName}: libvirt-style text differs:\n{text}");
        Assert.StartsWith($"<domain type='{domainType}'>\n  <name>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("=\"", text, StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(xml)), System.Text.Json.JsonSerializer.Serialize(DomainXmlParser.Parse(text)));
    }

    [Fact]
    public void A_cr_in_text_and_an_apostrophe_in_an_attribute_survive()
    {
        var text = LibvirtText.Of("<domain type=\"kvm\"><description>a&#xD;\nb</description><x a=\"it's\"/></domain>");
        Assert.Contains("a&#xD;\nb", text, StringComparison.Ordinal);
        Assert.Equal("a\r\nb", XDocument.Parse(text).Root!.Element("description")!.Value);
        Assert.Equal("it's", (string?)XDocument.Parse(text).Root!.Element("x")!.Attribute("a"));
    }
}
