using Reconciler.Cli;

namespace Reconciler.Engine.Tests;

/// <summary>
/// `reconcile completion` and the suggest directive its scripts call back into: commands, options
/// and allowed values complete from the command tree, and <c>render --name</c> from the domain
/// names of the DIR on the same line. The scripts themselves run in a real bash in the packaging
/// tests (tests/Reconciler.EndToEnd.Tests/PackagingTests.cs).
/// </summary>
public sealed class CompletionTests
{
    private static Task<Cli.Result> Suggest(string line) => Cli.RunAsync($"[suggest:{line.Length}]", line);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Commands_complete_from_the_command_tree()
    {
        // System.CommandLine offers every name containing the word; the shell scripts keep those starting with it.
        var r = await Suggest("reconcile pla");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["plan"], Lines(r.Out));
        var all = Lines((await Suggest("reconcile ")).Out);
        Assert.Contains("apply", all);
        Assert.Contains("completion", all);
        Assert.Contains("run", all);
    }

    [Fact]
    public async Task Option_values_complete_from_their_allowed_values()
    {
        Assert.Equal(["json"], Lines((await Suggest("reconcile plan --output j")).Out));
        Assert.Equal(["bash"], Lines((await Suggest("reconcile completion ba")).Out));
    }

    [Fact]
    public async Task Render_name_completes_the_domain_names_of_the_directory_on_the_line()
    {
        using var dir = new SpecDir()
            .Write("web.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: web-2}\nspec: {memory: 64MiB}\n---\napiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: web-1}\nspec: {memory: 64MiB}\n")
            .Write("db.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: db-1}\nspec: {memory: 64MiB}\n");
        Assert.Equal(["web-1", "web-2"], Lines((await Suggest($"reconcile render {dir.Path} --name we")).Out));
        Assert.Equal(["db-1", "web-1", "web-2"], Lines((await Suggest($"reconcile render {dir.Path} --name ")).Out));
    }

    [Fact]
    public async Task Render_name_offers_nothing_for_a_directory_that_does_not_load()
    {
        using var dir = new SpecDir().Write("bad.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: [\n");
        var r = await Suggest($"reconcile render {dir.Path} --name ");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(Lines(r.Out));
        Assert.Equal("", r.Err);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _reconcile_complete reconcile")]
    [InlineData("zsh", "compdef _reconcile reconcile")]
    [InlineData("fish", "complete -c reconcile")]
    public async Task Each_shell_gets_a_script_that_calls_back_through_the_suggest_directive(string shell, string registration)
    {
        var r = await Cli.RunAsync("completion", shell);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(registration, r.Out);
        Assert.Contains("[suggest:", r.Out);
        Assert.Equal(CompletionCommand.Script(shell), r.Out);
    }

    [Fact]
    public async Task An_unknown_shell_is_refused_with_the_choices()
    {
        var r = await Cli.RunAsync("completion", "tcsh");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("bash", r.Err);
    }
}
