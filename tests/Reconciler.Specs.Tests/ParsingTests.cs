using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

public class ParsingTests
{
    [Fact]
    public void Unknown_field_is_an_error_with_did_you_mean()
    {
        var d = T.Expect(T.Domain("  memroy: 1GiB\n"), UnknownField, "spec.memroy", 6, 3);
        Assert.Contains("did you mean 'memory'?", d.Hint);
    }

    [Fact]
    public void Unknown_field_far_from_any_lists_the_known_fields()
    {
        var d = T.Expect(T.Domain("  flavour: large\n"), UnknownField, "spec.flavour", 6, 3);
        Assert.Contains("vcpus", d.Hint);
    }

    [Fact]
    public void Unknown_field_in_a_list_item_has_the_item_path()
    {
        var d = T.Expect(T.Domain("  disks:\n    - path: /a.qcow2\n      buss: sata\n"), UnknownField, "spec.disks[0].buss", 8, 7);
        Assert.Contains("did you mean 'bus'?", d.Hint);
    }

    [Fact]
    public void Spec_field_at_top_level_says_it_belongs_under_spec()
    {
        var d = T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: a}\nvcpus: 2\n"), UnknownField, "vcpus", 4, 1);
        Assert.Contains("under spec", d.Hint);
    }

    [Fact]
    public void Wrong_type_for_an_integer()
    {
        var d = T.Expect(T.Domain("  vcpus: two\n"), WrongType, "spec.vcpus", 6, 10);
        Assert.Contains("integer", d.Message);
    }

    [Fact]
    public void Quoted_integer_is_a_wrong_type_with_a_hint()
    {
        var d = T.Expect(T.Domain("  vcpus: \"2\"\n"), WrongType, "spec.vcpus", 6, 10);
        Assert.Contains("remove the quotes", d.Hint);
    }

    [Fact]
    public void Yaml11_booleans_are_refused()
    {
        var d = T.Expect(T.Domain("  autostart: yes\n"), WrongType, "spec.autostart", 6, 14);
        Assert.Contains("true or false", d.Hint);
    }

    [Fact]
    public void Mapping_where_a_list_is_expected()
    {
        T.Expect(T.Domain("  disks: {path: /a.qcow2}\n"), WrongType, "spec.disks", 6, 10);
    }

    [Fact]
    public void List_where_a_mapping_is_expected()
    {
        T.Expect(T.Domain("  graphics: [vnc]\n"), WrongType, "spec.graphics", 6, 13);
    }

    [Fact]
    public void Unknown_enum_value_lists_the_allowed_ones()
    {
        var d = T.Expect(T.Domain("  state: Running\n"), InvalidEnum, "spec.state", 6, 10);
        Assert.Contains("running, stopped", d.Hint);
        Assert.Contains("did you mean 'running'?", d.Hint);
    }

    [Fact]
    public void Nested_enum_value()
    {
        var d = T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, bus: nvme}\n"), InvalidEnum, "spec.disks[0].bus", 7, 29);
        Assert.Contains("virtio, sata, scsi, ide, usb", d.Hint);
    }

    [Theory]
    [InlineData("1024", 11)]
    [InlineData("\"1024\"", 11)]
    public void Memory_without_unit_is_an_error_quoted_or_not(string value, int column)
    {
        var d = T.Expect(T.Domain($"  memory: {value}\n"), InvalidSize, "spec.memory", 6, column);
        Assert.Contains("no unit", d.Message);
        Assert.Contains("GiB", d.Hint);
    }

    [Fact]
    public void Memory_that_is_not_a_number()
    {
        T.Expect(T.Domain("  memory: lots\n"), InvalidSize, "spec.memory", 6, 11);
    }

    [Fact]
    public void Missing_api_version()
    {
        T.Expect(T.Load("kind: Domain\nmetadata: {name: a}\n"), MissingField, "apiVersion", 1, 1);
    }

    [Fact]
    public void Unsupported_api_version()
    {
        var d = T.Expect(T.Load("apiVersion: reconciler/v2\nkind: Domain\nmetadata: {name: a}\n"), UnsupportedApiVersion, "apiVersion", 1, 13);
        Assert.Contains("reconciler/v1", d.Hint);
    }

    [Fact]
    public void Missing_kind()
    {
        T.Expect(T.Load("apiVersion: reconciler/v1\nmetadata: {name: a}\n"), MissingField, "kind", 1, 1);
    }

    [Fact]
    public void Missing_metadata()
    {
        T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Domain\n"), MissingField, "metadata", 1, 1);
    }

    [Fact]
    public void Missing_metadata_name_points_at_metadata()
    {
        T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Domain\nmetadata:\n  labels: {a: b}\n"), MissingField, "metadata.name", 4, 3);
    }

    [Fact]
    public void Unknown_kind_suggests_the_close_one()
    {
        var d = T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Domian\nmetadata: {name: a}\n"), UnknownKind, "kind", 2, 7);
        Assert.Contains("did you mean 'Domain'?", d.Hint);
    }

    [Theory]
    [InlineData("StoragePool")]
    [InlineData("Volume")]
    [InlineData("Network")]
    public void Storage_kinds_are_supported_and_check_their_required_fields(string kind)
    {
        var r = T.Load($"apiVersion: reconciler/v1\nkind: {kind}\nmetadata: {{name: a}}\nspec: {{}}\n");
        Assert.DoesNotContain(r.Diagnostics, d => d.Code == UnsupportedKind);
        if (kind != "Network") Assert.Contains(r.Diagnostics, d => d.Code == MissingField);
    }

    [Fact]
    public void Node_without_spec_is_missing_its_uri()
    {
        var d = T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1}\n"), MissingField, "spec", 1, 1);
        Assert.Contains("uri", d.Hint);
    }

    [Fact]
    public void Node_with_spec_but_no_uri()
    {
        T.Expect(T.Load("apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1}\nspec:\n  domainType: kvm\n"), MissingField, "spec.uri", 5, 3);
    }

    [Fact]
    public void A_document_that_is_not_a_mapping()
    {
        T.Expect(T.Load("- just\n- a list\n"), WrongType, null, 1, 1);
    }

    [Fact]
    public void Yaml_syntax_error_is_located_and_does_not_stop_other_files()
    {
        var result = T.Load(
            ("a.yaml", T.DomainHeader + "  vcpus: 1\n memory: 1GiB\n"),
            ("b.yaml", T.DomainHeader.Replace("web-1", "web-2", StringComparison.Ordinal) + "  vcpus: many\n"));
        var syntax = Assert.Single(result.Diagnostics, d => d.Code == YamlSyntax);
        Assert.Equal("a.yaml", syntax.Location!.File);
        Assert.Equal((7, 2), (syntax.Location.Line, syntax.Location.Column));
        Assert.NotNull(syntax.Hint);
        T.Expect(result, WrongType, "spec.vcpus", 6, 10, "b.yaml");
    }

    [Fact]
    public void Unclosed_flow_sequence_is_located_after_the_last_good_token()
    {
        var result = T.Load(T.DomainHeader + "  vcpus: [1, 2\n  memory: 1GiB\n");
        var syntax = Assert.Single(result.Diagnostics);
        Assert.Equal(YamlSyntax, syntax.Code);
        Assert.Equal(6, syntax.Location!.Line);
        Assert.True(syntax.Location.Column > 0);
    }

    [Fact]
    public void Syntax_error_in_a_later_document_keeps_the_earlier_ones()
    {
        var result = T.Load(T.DomainHeader + "  vcpus: zero\n---\nkind: [\n");
        T.Expect(result, WrongType, "spec.vcpus", 6, 10);
        Assert.Single(result.Diagnostics, d => d.Code == YamlSyntax);
    }

    [Fact]
    public void Duplicate_key_is_located_and_later_documents_are_still_checked()
    {
        var result = T.Load(T.DomainHeader + "  vcpus: 1\n  vcpus: 2\n---\n" + T.DomainHeader.Replace("web-1", "web-2", StringComparison.Ordinal) + "  vcpu: 2\n");
        var dup = Assert.Single(result.Diagnostics, d => d.Code == DuplicateKey);
        Assert.Equal((7, 3), (dup.Location!.Line, dup.Location.Column));
        T.Expect(result, UnknownField, "spec.vcpu", 14, 3);
    }

    [Fact]
    public void Deep_nesting_is_refused_without_crashing()
    {
        var deep = T.DomainHeader + "  description: " + new string('[', 5000) + new string(']', 5000) + "\n";
        var result = T.Load(deep);
        Assert.Contains(result.Diagnostics, d => d.Code == YamlSyntax && d.Location!.Line == 6);
        Assert.Null(result.Specs);
    }

    [Fact]
    public void Control_characters_are_refused()
    {
        T.Expect(T.Domain("  machine: \"q35\\u0001\"\n"), InvalidCharacters, "spec.machine", 6, 12);
    }

    [Fact]
    public void Null_values_mean_not_set()
    {
        var domain = T.OneDomain(T.Domain("  vcpus:\n  memory: null\n  graphics: ~\n"));
        Assert.Equal(1, domain.Vcpus);
        Assert.Equal(1UL << 30, domain.MemoryBytes);
        Assert.Equal(new GraphicsSpec(GraphicsType.Vnc, "127.0.0.1"), domain.Graphics);
    }

    [Fact]
    public void Empty_documents_are_ignored()
    {
        var set = T.Ok(T.Load("---\n# nothing\n---\n" + T.DomainHeader + "  vcpus: 1\n---\n"));
        Assert.Single(set.Domains);
    }

    [Fact]
    public void Anchors_and_aliases_are_resolved()
    {
        var domain = T.OneDomain(T.Domain("  disks:\n    - &d {path: /a.qcow2}\n  interfaces: [{network: default}]\n"));
        Assert.Equal("/a.qcow2", Assert.Single(domain.Disks).Path);
    }
}
