using System.Diagnostics;

namespace Reconciler.Engine.Tests;

/// <summary>
/// .ci/tools.tsv lists every external program the product, the tests and the scripts start: the
/// setup installs their packages and the preflight stops, naming the program and its package, when
/// one is missing. These tests keep that list complete (a new tool that is not in it fails here)
/// and show that the scan and the preflight catch what they are meant to.
/// </summary>
public sealed class ExternalProgramsTests
{
    private static string ToolList => Path.Combine(Examples.RepoRoot, ".ci", "tools.tsv");

    [Fact]
    public void Every_program_the_repository_starts_is_in_the_preflight_list()
    {
        var unlisted = ExternalPrograms.Unlisted(ExternalPrograms.ScanRepository(Examples.RepoRoot), ExternalPrograms.ReadList(ToolList));
        Assert.True(unlisted.Count == 0,
            "started but not in .ci/tools.tsv (add a line: program<TAB>Debian package<TAB>who uses it):\n  " +
            string.Join("\n  ", unlisted.GroupBy(u => u.Program).Select(g => $"{g.Key}: {string.Join(", ", g.Select(u => $"{u.File}:{u.Line}").Distinct())}")));
    }

    [Fact]
    public void The_scan_finds_the_programs_started_in_each_way_the_repository_starts_them()
    {
        var found = ExternalPrograms.ScanRepository(Examples.RepoRoot);
        bool Has(string program, string fileEnd) => found.Any(u => u.Program == program && u.File.EndsWith(fileEnd, StringComparison.Ordinal));

        Assert.True(Has("git", "GitCli.cs"), "new ProcessStartInfo(\"git\") in the product");
        Assert.True(Has("ssh", "GitSource.cs"), "GIT_SSH_COMMAND in the product");
        Assert.True(Has("virt-xml-validate", "GoldenTests.cs"), "through the runner Tools.Run");
        Assert.True(Has("xmllint", "GoldenTests.cs"), "run by virt-xml-validate");
        Assert.True(Has("git", "GitControllerTests.cs"), "through the runner Shell.Run of another file");
        Assert.True(Has("/usr/lib/git-core/git-http-backend", "GitCredentialTests.cs"), "a const");
        Assert.True(Has("saslpasswd2", "PrivateLibvirtd.cs"), "in a script given to /bin/sh -ec through a runner");
        Assert.True(Has("libvirtd", "PrivateLibvirtd.cs"), "in sh -ec '…' inside that script");
        Assert.True(Has("python3", "test.sh"), "a command of a repository script");
        Assert.True(Has("apt-get", "setup-libvirt.sh"), "after $SUDO");
    }

    [Fact]
    public void A_program_started_from_csharp_but_not_listed_is_named()
    {
        const string code = """"
            using System.Diagnostics;
            internal static class Sample
            {
                private const string Frob = "/opt/frob/bin/frob-const";
                public static void Direct()
                {
                    using var a = Process.Start(new ProcessStartInfo("frob-literal") { RedirectStandardOutput = true });
                    using var b = Process.Start("frob-start", ["-x"]);
                    var c = new ProcessStartInfo(Frob);
                    var f = new ProcessStartInfo { FileName = "frob-filename", UseShellExecute = false };
                    var d = new System.Diagnostics.ProcessStartInfo(true ? "frob-ternary" : "/usr/bin/git");
                    var psi = new ProcessStartInfo("git");
                    using var e = Process.Start(psi);
                    psi.Environment["GIT_SSH_COMMAND"] = $"frob-ssh -i {Key} -o BatchMode=yes";
                }
                private static int Go(string? cwd, string program, params string[] args) // "frob-comment" is no call
                {
                    var psi = new ProcessStartInfo(program) { WorkingDirectory = cwd };
                    return 0;
                }
                private static int Pass(string tool) => Go(null, tool);
                private static void Sh(string script) => Process.Start(new ProcessStartInfo("/bin/sh", ["-ec", script]));
                public static void Calls(string dir)
                {
                    Go("/tmp", "frob-runner", "a");
                    Go(null, "unshare", "--mount", "sh", "-c", "mount -t tmpfs x /dev && exec frob-via-unshare -q", "sh");
                    Pass("frob-passed-on");
                    Sh($"printf '%s' x | frob-script -f {dir}/x");
                    Sh($"""
                        unshare --mount /bin/sh -ec '
                          mount --bind {dir} /mnt
                          FROB_CONF={dir} frob-nested -d'
                        """);
                }
            }
            """";
        var uses = ExternalPrograms.WithImplied(ExternalPrograms.ScanCSharp([("Sample.cs", code)]));
        var unlisted = ExternalPrograms.Unlisted(uses, ExternalPrograms.ReadList(ToolList)).Select(u => u.Program).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(
            ["/opt/frob/bin/frob-const", "frob-filename", "frob-literal", "frob-nested", "frob-passed-on", "frob-runner", "frob-script", "frob-ssh", "frob-start", "frob-ternary", "frob-via-unshare"],
            unlisted);
        Assert.Contains(uses, u => u.Program == "/bin/sh");                      // listed (sh), so not above
        Assert.Contains(uses, u => u.Program == "unshare" && u.Line == 30);      // a line of the file, not of the script
    }

    [Fact]
    public void Only_the_commands_of_a_shell_script_count_not_its_words_heredocs_or_case_patterns()
    {
        const string script = """
            #!/bin/sh
            # comment-word is not a command
            set -eu
            helper() { frob-in-function "$1"; }
            OUT=$(cd "$1" && frob-substituted -q)
            DEBIAN_FRONTEND=noninteractive $SUDO frob-after-sudo install x >/dev/null 2>&1 || :
            if ! frob-condition; then timeout 5 frob-timed; fi
            for m in not-a-command other; do frob-loop "$m"; done
            case "$1" in
              start|stop) frob-case-body ;;
              *) : ;;
            esac
            cat >"$OUT/init" <<'EOF'
            guest-only-command --in-heredoc
            EOF
            echo "value: `frob-backquoted`" | frob-piped \
              --continued
            sh -c 'frob-in-sh-c x'
            find . -name '*.ko' -exec frob-exec {} \;
            "$OUT/bin/tool" --local
            ./relative-script.sh
            helper x
            exec /usr/bin/frob-exec-abs
            """;
        var programs = ExternalPrograms.ScanShell("sample.sh", script).Select(u => u.Program).Order(StringComparer.Ordinal);

        Assert.Equal(
            new[]
            {
                "frob-in-function", "frob-substituted", "frob-after-sudo", "frob-condition", "timeout", "frob-timed", "frob-loop",
                "frob-case-body", "cat", "frob-backquoted", "frob-piped", "sh", "frob-in-sh-c", "find", "frob-exec", "/usr/bin/frob-exec-abs",
            }.Order(StringComparer.Ordinal),
            programs);
    }

    [Fact]
    public void The_list_is_well_formed_and_the_setup_installs_from_it()
    {
        var rows = File.ReadAllLines(ToolList).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        Assert.All(rows, r => Assert.True(r.Length == 3 && r.All(f => f.Trim().Length > 0), "three tab-separated columns: " + string.Join(" | ", r)));
        var programs = rows.Select(r => r[0]).Where(p => p != "-").ToList();
        Assert.Equal(programs.Count, programs.Distinct().Count());
        Assert.Contains(rows, r => r[0] == "xmllint" && r[1] == "libxml2-utils");
        var setup = File.ReadAllText(Path.Combine(Examples.RepoRoot, ".ci", "setup-libvirt.sh"));
        Assert.Contains("tools.tsv", setup, StringComparison.Ordinal);
        Assert.Contains("preflight.sh", setup, StringComparison.Ordinal);
    }

    [Fact]
    public void The_preflight_names_each_missing_program_and_its_package_and_fails()
    {
        var dir = Directory.CreateTempSubdirectory("reconciler-preflight-").FullName;
        try
        {
            var list = Path.Combine(dir, "tools.tsv");
            File.WriteAllText(list,
                "# comment\nbash\tbash\tfound\nno-such-program-h15\tfrob-utils\tmissing\n-\tfrob-data\tno program\nlibno-such-h15.so.0\tlibfrob0\tmissing library\ndotnet-h15\thttps://dot.net\tnot from Debian\n");
            var (code, output) = Preflight(list, []);
            Assert.Equal(1, code);
            Assert.Equal(
                [
                    "test.sh: missing program no-such-program-h15 (Debian package frob-utils); run .ci/setup-libvirt.sh",
                    "test.sh: missing library libno-such-h15.so.0 (Debian package libfrob0); run .ci/setup-libvirt.sh",
                    "test.sh: missing program dotnet-h15 (not a Debian package: install it from https://dot.net); run .ci/setup-libvirt.sh",
                ],
                output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // Only the names asked for (the quickstart's way): bash is there, so nothing is printed.
            var (quickCode, quickOutput) = Preflight(list, ["bash"]);
            Assert.Equal(0, quickCode);
            Assert.Equal("", quickOutput);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Code, string Output) Preflight(string list, string[] names)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(Examples.RepoRoot, ".ci", "preflight.sh"), "test.sh" }.Concat(names)) psi.ArgumentList.Add(a);
        psi.Environment["PREFLIGHT_TOOLS"] = list;
        psi.Environment["PATH"] = "/usr/bin:/bin";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
