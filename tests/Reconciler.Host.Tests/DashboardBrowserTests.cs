using System.Net;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// The web dashboard in a real browser: Debian's chromium, driven through Debian's chromedriver,
/// against a controller on the real libvirtd. With RECONCILER_UPDATE_DOCS=1 the screenshots are
/// written to docs/images (what docs/controller.md shows); otherwise to a temporary directory.
/// </summary>
public sealed class DashboardBrowserTests : IDisposable
{
    private const string Prefix = "dash-ui-";
    private readonly TempDir _dir = new("dash");
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];

    public DashboardBrowserTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    private string Name(string role) => $"{Prefix}{_id}-{role}";

    [Fact]
    public async Task The_dashboard_follows_the_controller_live_and_guards_its_actions_with_the_token()
    {
        var (web1, web2, db) = (Name("web1"), Name("web2"), Name("db"));
        var specs = Path.Combine(_dir.Path, "specs");
        _dir.Write("specs/node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("specs/domains.yaml", string.Join("---\n",
            RealLibvirt.DomainYaml(web1, state: "running", labels: "{tier: web}"),
            RealLibvirt.DomainYaml(web2, state: "stopped", labels: "{tier: web}"),
            RealLibvirt.DomainYaml(db, state: "stopped", labels: "{tier: db}")));
        _dir.Write("token", "dashboard-test-token-" + _id + "\n");
        // Drift is reported, not corrected, so that the page can show Drifted until the domain is put back.
        await using var controller = await Controller.StartAsync(specs, ("Drift", "report"), ("ApiTokenFile", Path.Combine(_dir.Path, "token")));
        await controller.WaitAsync(s => s.Resources.Count(r => r.State == "Ready") == 3, "three domains ready");
        using var browser = Browser.Start();
        var b = browser.Driver;
        var at = controller.BaseAddress;

        // The overview lists the node and every resource.
        b.Navigate().GoToUrl(new Uri(at, "/"));
        Assert.Equal("Overview", b.FindElement(By.TagName("h1")).Text);
        var nodes = b.FindElement(By.CssSelector("#nodes-h + .scroll table")).Text;
        Assert.Contains("local", nodes, StringComparison.Ordinal);
        Assert.Contains("✓ up", nodes, StringComparison.Ordinal);
        foreach (var name in new[] { web1, web2, db }) Assert.Equal("Ready", StateOf(b, name));
        Shot(b, "dashboard-overview");

        // A domain stopped behind the controller's back shows Drifted, then Ready once it is back: without a reload.
        ((IJavaScriptExecutor)b).ExecuteScript("window.__sameDocument = 'kept';");
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(web1)!)
        {
            d.Destroy();
        }
        await Eventually.TrueAsync(() => StateOf(b, web1) == "Drifted", $"{web1} shown as Drifted");
        Assert.Contains("drifted", Row(b, web1), StringComparison.Ordinal);
        Shot(b, "dashboard-drifted");
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(web1)!)
        {
            d.Create();
        }
        await Eventually.TrueAsync(() => StateOf(b, web1) == "Ready", $"{web1} shown as Ready again");
        Assert.Equal("kept", ((IJavaScriptExecutor)b).ExecuteScript("return window.__sameDocument;"));

        // A rejected revision shows its error (still without a reload); the good revision stays in force.
        _dir.Write("specs/broken.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: " + Name("bad") + "}\nspec: {vcpus: many, memory: 64MiB}\n");
        await Eventually.TrueAsync(() => b.FindElements(By.Id("rejected")).Count == 1, "the rejected revision shown");
        var rejected = b.FindElement(By.Id("rejected")).Text;
        Assert.Contains("broken.yaml", rejected, StringComparison.Ordinal);
        Assert.Contains("vcpus", rejected, StringComparison.Ordinal);
        Assert.Equal("kept", ((IJavaScriptExecutor)b).ExecuteScript("return window.__sameDocument;"));
        Shot(b, "dashboard-rejected");
        File.Delete(Path.Combine(specs, "broken.yaml"));
        await Eventually.TrueAsync(() => b.FindElements(By.Id("rejected")).Count == 0, "the rejection cleared once the file is fixed");

        // The filter narrows the table: by label, then by search text.
        b.Navigate().GoToUrl(new Uri(at, "/resources"));
        Assert.Equal(3, Rows(b).Count);
        b.FindElement(By.Id("f-label")).SendKeys("tier=web");
        b.FindElement(By.Id("apply-filter")).Click();
        await Eventually.TrueAsync(() => b.Url.Contains("label=tier", StringComparison.Ordinal), "the filter submitted");
        await Eventually.TrueAsync(() => Rows(b).Count == 2, "two rows with tier=web");
        Assert.Equal(new[] { web1, web2 }.Order(StringComparer.Ordinal), Rows(b).Order(StringComparer.Ordinal));
        Shot(b, "dashboard-resources");
        // With JavaScript off the pages work the same, without updating themselves: the filter is a plain GET form.
        using (var plain = Browser.Start(javaScript: false))
        {
            var p = plain.Driver;
            p.Navigate().GoToUrl(new Uri(at, "/resources"));
            Assert.Equal(3, Rows(p).Count);
            p.FindElement(By.Id("f-label")).SendKeys("tier=web");
            p.FindElement(By.Id("apply-filter")).Click();
            await Eventually.TrueAsync(() => Rows(p).Count == 2, "two rows with tier=web, JavaScript off");
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.StartsWith("This page shows the state when it was loaded", p.FindElement(By.Id("live")).Text, StringComparison.Ordinal);
        }
        b.Navigate().GoToUrl(new Uri(at, "/resources?q=" + Uri.EscapeDataString(db)));
        Assert.Equal([db], Rows(b));
        b.Navigate().GoToUrl(new Uri(at, "/resources?sort=name&dir=desc"));
        Assert.Equal(new[] { web1, web2, db }.OrderDescending(StringComparer.Ordinal), Rows(b));

        // One resource: its conditions, events, spec and live XML.
        b.Navigate().GoToUrl(new Uri(at, $"/resources/local/Domain/{web1}"));
        var page = b.FindElement(By.TagName("main")).Text;
        Assert.Contains("DriftReported", page, StringComparison.Ordinal);
        Assert.Contains($"name: {web1}", page, StringComparison.Ordinal);
        Assert.Contains("<domain", b.PageSource.Replace("&lt;", "<", StringComparison.Ordinal), StringComparison.Ordinal);
        Shot(b, "dashboard-resource");

        // Reconcile now is refused without the token, then works once signed in with it.
        b.Navigate().GoToUrl(new Uri(at, "/"));
        var before = PassNumber(b);
        await SubmitAsync(b, "reconcile-now", "Refused: reconcile now needs the API token");
        b.FindElement(By.Id("token")).SendKeys("not-the-token");
        await SubmitAsync(b, "sign-in", "not the controller's API token");
        Assert.Null(b.Manage().Cookies.GetCookieNamed("reconciler_session"));
        b.FindElement(By.Id("token")).SendKeys("dashboard-test-token-" + _id);
        await SubmitAsync(b, "sign-in", "Signed in");
        var session = b.Manage().Cookies.GetCookieNamed("reconciler_session");
        Assert.True(session is { IsHttpOnly: true }, "the session cookie is HttpOnly");
        Assert.DoesNotContain("dashboard-test-token", session!.Value, StringComparison.Ordinal);
        Assert.Null(((IJavaScriptExecutor)b).ExecuteScript("return document.cookie.indexOf('reconciler_session') >= 0 ? 'visible' : null;"));
        await SubmitAsync(b, "reconcile-now", "A pass was requested");
        await Eventually.TrueAsync(() => PassNumber(b) > before, "a new pass shown after reconcile now");

        // A POST without the anti-forgery token is refused even with the session cookie.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = at };
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/ui/suspend") { Content = new FormUrlEncodedContent([new("return", "/")]) };
        forged.Headers.Add("Cookie", $"reconciler_session={session.Value}");
        using var refused = await http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(controller.Status.Suspended);

        // Suspend and resume from the page.
        await SubmitAsync(b, "suspend", "Suspended: passes plan and report");
        Assert.True(controller.Status.Suspended);
        await SubmitAsync(b, "resume", "Resumed");
        Assert.False(controller.Status.Suspended);
    }

    [Fact]
    public async Task Without_a_configured_token_actions_are_refused_and_the_pages_stay_readable()
    {
        var (controller, _) = await StartWithOneDomainAsync("solo");
        await using var _c = controller;
        using var browser = Browser.Start();
        var b = browser.Driver;
        b.Navigate().GoToUrl(new Uri(controller.BaseAddress, "/"));
        Assert.Contains("Actions are disabled", b.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        await SubmitAsync(b, "reconcile-now", "actions are disabled (no --api-token-file)");
        Assert.Empty(b.FindElements(By.Id("token")));
        // The API refuses as well.
        using var http = new HttpClient { BaseAddress = controller.BaseAddress };
        using var api = await http.PostAsync("/actions/reconcile", null);
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
    }

    private async Task<(Controller Controller, string Domain)> StartWithOneDomainAsync(string role)
    {
        var one = Name(role);
        _dir.Write("specs/node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("specs/domains.yaml", RealLibvirt.DomainYaml(one, state: "stopped"));
        var controller = await Controller.StartAsync(Path.Combine(_dir.Path, "specs"));
        await controller.WaitAsync(s => s.Resources.Any(r => r.Name == one && r.State == "Ready"), "the domain ready");
        return (controller, one);
    }

    [Fact]
    public async Task The_pages_fit_a_phone_follow_the_dark_setting_and_work_from_the_keyboard()
    {
        var (controller, one) = await StartWithOneDomainAsync("phone");
        await using var _c = controller;
        using var browser = Browser.Start();
        var b = browser.Driver;
        var js = (IJavaScriptExecutor)b;
        // A phone's viewport (a headless window cannot be made narrower than 500 px).
        b.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = 390, ["height"] = 844, ["deviceScaleFactor"] = 1, ["mobile"] = true,
        });
        foreach (var path in new[] { "/", "/resources", $"/resources/local/Domain/{one}", "/activity", "/login" })
        {
            b.Navigate().GoToUrl(new Uri(controller.BaseAddress, path));
            // No sideways scrolling of the page itself (wide tables scroll inside their own box).
            var overflow = Convert.ToInt64(js.ExecuteScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth;"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(390L, js.ExecuteScript("return window.innerWidth;"));
            Assert.True(overflow <= 0, $"{path} is {overflow}px wider than a 390px screen");
            Assert.Single(b.FindElements(By.TagName("h1")));
            // Every form control has a label.
            var unlabelled = js.ExecuteScript("return Array.from(document.querySelectorAll('input:not([type=hidden]), select')).filter(e => !e.labels || e.labels.length === 0).map(e => e.name).join(',');");
            Assert.Equal("", unlabelled);
        }
        b.Navigate().GoToUrl(new Uri(controller.BaseAddress, "/"));
        Shot(b, "dashboard-phone", phone: true);
        b.ExecuteCdpCommand("Emulation.clearDeviceMetricsOverride", new Dictionary<string, object?>());

        // The first Tab lands on the skip link, which moves focus to the content.
        b.FindElement(By.TagName("body")).SendKeys(Keys.Tab);
        Assert.Equal("Skip to content", b.SwitchTo().ActiveElement().Text);
        b.SwitchTo().ActiveElement().SendKeys(Keys.Enter);
        Assert.Equal("main", b.SwitchTo().ActiveElement().TagName);

        // Dark mode follows the system setting (prefers-color-scheme).
        var light = js.ExecuteScript("return getComputedStyle(document.body).backgroundColor;");
        b.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
        {
            ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "dark" } },
        });
        var dark = js.ExecuteScript("return getComputedStyle(document.body).backgroundColor;");
        Assert.Equal("rgb(255, 255, 255)", light);
        Assert.Equal("rgb(13, 17, 23)", dark);
        Shot(b, "dashboard-dark");
    }

    /// <summary>Clicks a form's button and waits for the page it leads to, which must say <paramref name="expected"/>.</summary>
    private static async Task SubmitAsync(IWebDriver b, string buttonId, string expected)
    {
        var old = b.FindElement(By.TagName("html"));
        Retry(() => { b.FindElement(By.Id(buttonId)).Click(); return true; });
        await Eventually.TrueAsync(() => Retry(() =>
        {
            try
            {
                _ = old.TagName;
                return false; // still the page the button was on
            }
            catch (WebDriverException e) when (Stale(e))
            {
                return b.FindElement(By.TagName("main")).Text.Contains(expected, StringComparison.Ordinal);
            }
        }), $"after {buttonId}: a page saying '{expected}'");
    }

    private static string StateOf(IWebDriver b, string name) => Retry(() =>
    {
        var cells = b.FindElements(By.CssSelector($"#overview-live tr[data-name='{name}'] .state, #resources-live tr[data-name='{name}'] .state"));
        return cells.Count == 0 ? "" : cells[0].Text.Split(' ', 2).Last();
    });

    private static string Row(IWebDriver b, string name) => Retry(() => b.FindElement(By.CssSelector($"tr[data-name='{name}']")).Text);

    private static List<string> Rows(IWebDriver b) => Retry(() => b.FindElements(By.CssSelector("#resources-live tbody tr")).Select(r => r.GetAttribute("data-name") ?? "").ToList());

    private static long PassNumber(IWebDriver b) => Retry(() =>
    {
        var text = b.FindElement(By.Id("last-pass")).Text;
        return text.StartsWith('#') ? long.Parse(text[1..text.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) : 0;
    });

    // The live script replaces regions while the test reads them: a stale element is read again.
    private static T Retry<T>(Func<T> read)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return read();
            }
            catch (WebDriverException e) when (Stale(e) && i < 20)
            {
            }
        }
    }

    /// <summary>
    /// An element of a document that is gone: chromedriver says so as a stale reference, or, when the
    /// page navigated meanwhile, as an inspector error ("Node with given id does not belong to the document").
    /// </summary>
    private static bool Stale(WebDriverException e) =>
        e is StaleElementReferenceException || e.Message.Contains("does not belong to the document", StringComparison.Ordinal);

    private static void Shot(ChromeDriver b, string name, bool phone = false)
    {
        var dir = Environment.GetEnvironmentVariable("RECONCILER_UPDATE_DOCS") == "1"
            ? Path.Combine(RepoRoot.Path, "docs", "images")
            : Path.Combine(Path.GetTempPath(), "reconciler-dashboard-shots");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".png");
        // The whole page: the window grows to the page's height (bounded) for the shot, then shrinks back.
        // From the top, with no focus ring left by a keyboard test.
        ((IJavaScriptExecutor)b).ExecuteScript("if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0);");
        var height = Convert.ToInt32(((IJavaScriptExecutor)b).ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        if (phone)
        {
            b.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
            {
                ["width"] = 390, ["height"] = Math.Clamp(height, 844, 2400), ["deviceScaleFactor"] = 1, ["mobile"] = true,
            });
            ((ITakesScreenshot)b).GetScreenshot().SaveAsFile(file);
        }
        else
        {
            var window = b.Manage().Window;
            var size = window.Size;
            window.Size = new System.Drawing.Size(size.Width, Math.Clamp(height + 80, size.Height, 2400));
            ((ITakesScreenshot)b).GetScreenshot().SaveAsFile(file);
            window.Size = size;
        }
        Assert.True(new FileInfo(file).Length > 1000, $"{file} holds a screenshot");
    }
}

/// <summary>Debian's headless chromium under Debian's chromedriver (both from .ci/setup-libvirt.sh); nothing is downloaded.</summary>
internal sealed class Browser : IDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    private Browser(ChromeDriver driver) => Driver = driver;

    public ChromeDriver Driver { get; }

    /// <param name="javaScript">False: the page's scripts are off (Chrome's content setting), as for a user who turned them off.</param>
    public static Browser Start(int width = 1280, int height = 900, bool javaScript = true)
    {
        if (!File.Exists(Chromium) || !File.Exists(ChromeDriver))
        {
            throw new InvalidOperationException($"{Chromium} or {ChromeDriver} is missing: run .ci/setup-libvirt.sh (packages chromium, chromium-driver)");
        }
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--window-size={width},{height}",
            "--lang=en-US", "--force-color-profile=srgb", "--hide-scrollbars");
        if (!javaScript) options.AddUserProfilePreference("profile.managed_default_content_settings.javascript", 2);
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
        // An open event stream never ends: page loads are bounded by the browser's own timeout, not "idle".
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        return new Browser(driver);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
