using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Rendering.Tests;

public sealed class PatchTests
{
    private static readonly RenderOptions Qemu = new("qemu", Cases.Owner);

    private static XElement Render(params XmlPatch[] patches) =>
        XDocument.Parse(DomainRenderer.Render(Cases.Base("p") with { Xml = patches }, Qemu)).Root!;

    [Fact]
    public void Add_appends_the_fragment_as_last_children_of_each_selected_element()
    {
        var root = Render(new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb'/>\n  <panic model='isa'/>"));
        var last = root.Element("devices")!.Elements().TakeLast(2).ToList();
        Assert.Equal(["watchdog", "panic"], last.Select(e => e.Name.LocalName));
        Assert.Equal("i6300esb", (string?)last[0].Attribute("model"));
    }

    [Fact]
    public void Set_changes_an_attribute_or_the_text_of_an_element()
    {
        var root = Render(new XmlPatch("/domain/clock/@offset", Set: "localtime"), new XmlPatch("/domain/on_crash", Set: "<restart>"));
        Assert.Equal("localtime", (string?)root.Element("clock")!.Attribute("offset"));
        Assert.Equal("<restart>", root.Element("on_crash")!.Value); // text, not markup
        Assert.Empty(root.Element("on_crash")!.Elements());
    }

    [Fact]
    public void Remove_deletes_every_selected_node()
    {
        var root = Render(new XmlPatch("/domain/devices/*[self::rng or self::memballoon]", Remove: true), new XmlPatch("/domain/clock/@offset", Remove: true));
        Assert.Null(root.Element("devices")!.Element("rng"));
        Assert.Null(root.Element("devices")!.Element("memballoon"));
        Assert.Null(root.Element("clock")!.Attribute("offset"));
    }

    [Fact]
    public void Patches_apply_in_order_each_seeing_the_previous_result()
    {
        var root = Render(
            new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb'/>"),
            new XmlPatch("/domain/devices/watchdog/@model", Set: "ib700"),
            new XmlPatch("/domain/devices/watchdog", Add: "<alias name='ua-wd'/>"));
        var watchdog = root.Element("devices")!.Element("watchdog")!;
        Assert.Equal("ib700", (string?)watchdog.Attribute("model"));
        Assert.Equal("ua-wd", (string?)watchdog.Element("alias")!.Attribute("name"));
    }

    [Fact]
    public void A_patch_selecting_nothing_fails_naming_its_index()
    {
        var e = Assert.Throws<RenderException>(() => Render(
            new XmlPatch("/domain/clock/@offset", Set: "localtime"),
            new XmlPatch("/domain/devices/hostdev", Remove: true)));
        Assert.Equal("spec.xml[1]", e.FieldPath);
        Assert.Contains("#1", e.Message);
        Assert.Contains("/domain/devices/hostdev", e.Message);
        Assert.Contains("selected nothing", e.Message);
    }

    [Theory]
    [InlineData("/domain/devices[", "<x/>", null, false, "invalid XPath")]
    [InlineData("count(/domain)", null, "1", false, "not to nodes")]
    [InlineData("/domain/devices", "<unclosed>", null, false, "not well-formed")]
    [InlineData("/domain/clock/@offset", "<x/>", null, false, "add needs elements")]
    [InlineData("/domain", null, null, true, "root element")]
    [InlineData("/domain/clock", "<x/>", "y", false, "exactly one of")]
    [InlineData("/domain/clock", null, null, false, "exactly one of")]
    public void Invalid_patches_fail_with_a_clear_message(string xpath, string? add, string? set, bool remove, string expected)
    {
        var e = Assert.Throws<RenderException>(() => Render(new XmlPatch(xpath, add, set, remove)));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("xml patch #0", e.Message);
    }

    [Fact]
    public void An_add_fragment_with_a_dtd_is_refused()
    {
        var e = Assert.Throws<RenderException>(() => Render(new XmlPatch("/domain/devices", Add: "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>")));
        Assert.Contains("not well-formed", e.Message);
    }

    [Fact]
    public void Patches_are_recorded_verbatim_before_they_are_applied()
    {
        var patches = new[] { new XmlPatch("/domain/devices/rng", Remove: true), new XmlPatch("/domain/devices", Add: "<watchdog model='i6300esb'/>") };
        var parsed = DomainXmlParser.Parse(DomainRenderer.Render(Cases.Base("p") with { Xml = patches }, Qemu));
        Assert.Equal(patches, parsed.Spec.Xml);
    }
}
