package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.auth.Membership.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven over WebDriver (Debian's
 * chromedriver) against the test server with real capsules. A user signs in, creates a capsule and
 * sees it run, pauses and resumes it, makes an API key and revokes it, and signs out; a capsule's
 * hostile metadata shows as text. Each page's screenshot goes to target/screenshots.
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "screenshots");
    private static final Path DOWNLOADS = Path.of("target", "browser-downloads").toAbsolutePath();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String PASSWORD = "correct horse battery";
    private static ChromeDriver browser;

    @BeforeAll
    static void openBrowser() throws IOException {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the browser tests need Debian's chromium and chromium-driver: `make deps` installs them");
        Files.createDirectories(SHOTS);
        Files.createDirectories(DOWNLOADS);
        ChromeOptions options = new ChromeOptions();
        options.setExperimentalOption("prefs", Map.of("download.default_directory", DOWNLOADS.toString(),
                "download.prompt_for_download", false));
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) browser.quit();
    }

    @Test
    void aUserSignsInRunsACapsuleManagesKeysAndSignsOut() throws IOException {
        TestServer.awaitTemplates();
        String team = "browser-" + UUID.randomUUID();
        String email = newOwner(team);

        browser.get(TestServer.baseUrl() + "/");
        until(By.id("sign-in"));
        shot("sign-in");
        assertFalse(browser.findElement(By.id("sign-out")).isDisplayed(), "nothing of a signed-in page shows before signing in");
        signIn(email);
        until(By.id("create"));
        assertTrue(browser.findElement(By.id("who")).getText().contains(team), browser.findElement(By.id("who")).getText());

        browser.findElement(By.cssSelector("#create button[type=submit]")).click();
        WebElement row = until(By.cssSelector("#capsule-rows tr[data-status=running]"));
        String id = row.getAttribute("data-id");
        shot("capsules");

        row.findElement(By.cssSelector("button[data-action=pause]")).click();
        until(By.cssSelector("#capsule-rows tr[data-id='" + id + "'][data-status=paused]"))
                .findElement(By.cssSelector("button[data-action=resume]")).click();
        until(By.cssSelector("#capsule-rows tr[data-id='" + id + "'][data-status=running]"));

        browser.get(TestServer.baseUrl() + "/#/keys");
        until(By.id("create-key"));
        browser.findElement(By.cssSelector("#create-key input[name=name]")).sendKeys("from the browser");
        browser.findElement(By.cssSelector("#create-key button[type=submit]")).click();
        String key = until(By.id("new-key-value")).getText();
        shot("keys");
        Api withKey = new Api(TestServer.baseUrl(), key);
        assertEquals(200, withKey.get("/capsules").status(), "the key the page showed works");
        assertEquals(List.of(id), ids(withKey), "and belongs to the user's team");

        WebElement keyRow = until(By.xpath("//tbody[@id='key-rows']/tr[td[1][text()='from the browser']]"));
        assertTrue(keyRow.getText().contains(key.substring(0, 12) + "…"), "the list shows the key's prefix: " + keyRow.getText());
        keyRow.findElement(By.cssSelector("button[data-action=revoke]")).click();
        browser.switchTo().alert().accept();
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.stalenessOf(keyRow));
        assertEquals(401, withKey.get("/capsules").status(), "a revoked key is refused");

        browser.get(TestServer.baseUrl() + "/#/members");
        until(By.id("add-member"));
        String member = "member-" + UUID.randomUUID() + "@example.com";
        browser.findElement(By.name("member_email")).sendKeys(member);
        browser.findElement(By.name("member_password")).sendKeys(PASSWORD + Keys.ENTER);
        WebElement memberRow = until(By.cssSelector("#member-rows tr[data-email='" + member + "']"));
        assertTrue(memberRow.getText().contains("member"), memberRow.getText());
        shot("members");
        assertTrue(keyOf(team).get("/members").text().contains(member), "the member was added through the API");
        memberRow.findElement(By.cssSelector("button[data-action=remove]")).click();
        browser.switchTo().alert().accept();
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.stalenessOf(memberRow));
        assertFalse(keyOf(team).get("/members").text().contains(member), "and taken out");

        browser.findElement(By.id("sign-out")).click();
        until(By.id("sign-in"));
        browser.navigate().refresh();
        until(By.id("sign-in"));
        keyOf(team).destroyQuietly(id);
    }

    @Test
    void hostileMetadataIsShownAsTextAndOnlyToItsTeam() throws IOException {
        Owner owner = Owner.ofNewTeam();
        String email = owner.email();
        Api api = owner.api();
        String hostile = "<img src=x onerror=\"document.body.dataset.pwned=1\">";
        String id = api.createRunning("{\"metadata\":{\"name\":\"" + hostile.replace("\"", "\\\"") + "\"}}");
        try {
            signInAfresh(email);
            WebElement row = until(By.cssSelector("#capsule-rows tr[data-id='" + id + "']"));
            shot("hostile-metadata");
            assertTrue(row.getText().contains("name=" + hostile), "the metadata is shown as it is: " + row.getText());
            assertEquals(0, row.findElements(By.tagName("img")).size(), "no element was made from it");
            assertEquals(null, browser.findElement(By.tagName("body")).getAttribute("data-pwned"), "no script ran");
            browser.manage().window().setSize(new Dimension(390, 844));
            try {
                shot("capsules-phone");
                assertTrue(fitsTheWidth(), "the capsules page fits a phone's width, long metadata included");
            } finally {
                browser.manage().window().setSize(new Dimension(1280, 900));
            }

            signInAfresh(newOwner("browser-" + UUID.randomUUID()));
            until(By.id("no-capsules"));
            browser.get(TestServer.baseUrl() + "/#/capsules/" + id);
            assertTrue(until(By.id("no-capsule")).getText().contains(id), "nor shown by their id");
        } finally {
            api.destroyQuietly(id);
            browser.findElement(By.id("sign-out")).click();
        }
    }

    @Test
    void aUserOfTwoTeamsPicksTheTeamTheDashboardActsFor() throws IOException {
        Owner owner = Owner.ofNewTeam();
        String other = "browser-" + UUID.randomUUID();
        newOwner(other);
        Api otherTeam = keyOf(other);
        var accounts = TestServer.get().accounts();
        accounts.addMember(TestServer.get().keys().findTeam(other).orElseThrow().id(), owner.email(), null, Role.MEMBER);
        String theirs = otherTeam.createRunning();
        try {
            signInAfresh(owner.email());
            until(By.id("no-capsules"));
            new Select(until(By.id("team-switch"))).selectByVisibleText(other + " (member)");
            until(By.cssSelector("#capsule-rows tr[data-id='" + theirs + "']"));
            assertTrue(browser.findElement(By.id("who")).getText().endsWith("team " + other), browser.findElement(By.id("who")).getText());
            shot("team-switch");
            browser.findElement(By.id("sign-out")).click();
            until(By.id("sign-in"));
        } finally {
            otherTeam.destroyQuietly(theirs);
        }
    }

    @Test
    void aCapsulesPageHasItsTerminalFilesPortsAndProcesses() throws Exception {
        Owner owner = Owner.ofNewTeam();
        String email = owner.email();
        Api api = owner.api();
        String id = api.createRunning("{\"template\":\"base-python\",\"metadata\":{\"purpose\":\"browser\"}}");
        String hostileName = "<img src=x onerror=\"document.body.dataset.pwned=1\">.txt";
        try {
            assertEquals(200, api.exec(id, command("sh", "-c", "printf 'made in the capsule' > /root/from-capsule.txt && touch \"$1\"",
                    "sh", "/root/" + hostileName)).status());
            assertEquals(202, api.exec(id, "{\"cmd\":\"python3\",\"args\":[\"-m\",\"http.server\",\"8000\"],"
                    + "\"cwd\":\"/root\",\"background\":true}").status());
            signInAfresh(email);
            browser.get(TestServer.baseUrl() + "/#/capsules/" + id);
            until(By.id("running-panels"));
            String fields = browser.findElement(By.id("capsule-fields")).getText();
            assertTrue(fields.contains("purpose=browser") && fields.contains("base-python"), fields);

            // files: hostile names are text; an upload lands in the capsule; a download is its bytes
            WebElement hostileRow = until(By.xpath("//tbody[@id='file-rows']/tr[td[1][.='" + hostileName + "']]"));
            assertEquals(0, hostileRow.findElements(By.tagName("img")).size(), "no element was made from the file's name");
            Path upload = Files.writeString(DOWNLOADS.resolve("to-the-capsule.txt"), "sent from the browser");
            browser.findElement(By.name("upload")).sendKeys(upload.toAbsolutePath().toString());
            browser.findElement(By.id("upload")).click();
            until(By.cssSelector("#file-rows tr[data-name='to-the-capsule.txt']"));
            assertEquals("sent from the browser", api.post("/capsules/" + id + "/files/read",
                    "{\"path\":\"/root/to-the-capsule.txt\"}").text());
            until(By.cssSelector("#file-rows tr[data-name='from-capsule.txt'] button[data-action=download]")).click();
            Path downloaded = DOWNLOADS.resolve("from-capsule.txt");
            new WebDriverWait(browser, WAIT).until(d -> Files.exists(downloaded) && sizeOf(downloaded) > 0);
            assertEquals("made in the capsule", Files.readString(downloaded));
            shot("capsule");

            // the terminal: a command's output, a resize the shell sees, and re-attaching after leaving the page
            browser.findElement(By.id("terminal-open")).click();
            new WebDriverWait(browser, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("terminal-status"), "pty-"));
            type("echo hi");
            untilTerminalShows("hi");
            shot("terminal");
            String before = browser.findElement(By.id("terminal")).getAttribute("data-size");
            browser.manage().window().setSize(new Dimension(1000, 760));
            new WebDriverWait(browser, WAIT).until(d -> !before.equals(d.findElement(By.id("terminal")).getAttribute("data-size")));
            type("stty size");
            untilTerminalShows(browser.findElement(By.id("terminal")).getAttribute("data-size"));
            browser.get(TestServer.baseUrl() + "/#/capsules");
            until(By.id("create"));
            browser.get(TestServer.baseUrl() + "/#/capsules/" + id);
            until(By.id("terminal-reattach")).click();
            untilTerminalShows("hi");
            until(By.cssSelector("#process-rows tr[data-tag^='pty-']"));

            // ports: the listening server's URL, which serves through the port proxy
            By portLink = By.cssSelector("#port-urls a[href^='http://8000-" + id + ".']");
            new WebDriverWait(browser, WAIT).until(d -> {
                if (!d.findElements(portLink).isEmpty()) return true;
                portsRefresh().click();
                return false;
            });
            String url = browser.findElement(portLink).getAttribute("href");
            browser.manage().window().setSize(new Dimension(390, 844));
            shot("capsule-phone");
            assertTrue(fitsTheWidth(), "the capsule's page fits a phone's width");
            browser.manage().window().setSize(new Dimension(1280, 900));
            browser.get(url);
            new WebDriverWait(browser, WAIT).until(d -> d.getPageSource().contains("from-capsule.txt"));
            assertEquals(null, browser.findElement(By.tagName("body")).getAttribute("data-pwned"), "no script ran");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void templatesAndHostsPagesListWhatTheTeamMayUse() throws IOException {
        Owner owner = Owner.ofNewTeam();
        String email = owner.email();
        Api api = owner.api();
        String id = api.createRunning();
        String template = "tpl-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            assertEquals(201, api.post("/snapshots", "{\"capsule_id\":\"" + id + "\",\"name\":\"" + template + "\"}").status());
            signInAfresh(email);
            browser.get(TestServer.baseUrl() + "/#/templates");
            WebElement builtIn = until(By.cssSelector("#template-rows tr[data-name=minimal]"));
            assertTrue(builtIn.findElements(By.cssSelector("button[data-action=delete]")).isEmpty(), "a built-in template cannot be deleted");
            WebElement own = until(By.cssSelector("#template-rows tr[data-name='" + template + "']"));
            shot("templates");
            own.findElement(By.cssSelector("button[data-action=delete]")).click();
            browser.switchTo().alert().accept();
            new WebDriverWait(browser, WAIT).until(ExpectedConditions.stalenessOf(own));
            assertFalse(api.get("/snapshots").text().contains(template), "the template is gone from the API too");

            browser.get(TestServer.baseUrl() + "/#/hosts");
            WebElement host = until(By.cssSelector("#host-rows tr[data-status=ready]"));
            assertTrue(host.getText().contains("embedded"), host.getText());
            shot("hosts");
        } finally {
            api.destroyQuietly(id);
            api.delete("/snapshots/" + template);
        }
    }

    /** A fresh installation (a server of its own, with an in-memory host): its first page makes the first user. */
    @Test
    void aFreshInstallationsFirstPageMakesItsFirstUser() throws IOException {
        Path dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-first-run-");
        try (WrennServer fresh = WrennServer.start(ServerConfig.builder(dataDir).bindHost("127.0.0.1").port(0)
                .prepareTemplates(false).hostMemoryMb(8192).hostVcpus(2).build(), new InMemoryHost())) {
            String base = "http://127.0.0.1:" + fresh.port();
            browser.get(base + "/");
            browser.manage().deleteAllCookies();
            browser.get(base + "/");
            until(By.id("first-run"));
            shot("first-run");
            browser.findElement(By.name("api_key")).sendKeys("wrn_not-the-key");
            browser.findElement(By.name("email")).sendKeys("Owner@Example.com");
            browser.findElement(By.name("password")).sendKeys(PASSWORD + Keys.ENTER);
            new WebDriverWait(browser, WAIT).until(d -> !d.findElement(By.cssSelector("#first-run .error")).getText().isBlank());
            assertTrue(new Api(base, null).get("/api/v1/setup").text().contains("true"), "a wrong key made no user");

            WebElement key = browser.findElement(By.name("api_key"));
            key.clear();
            key.sendKeys(fresh.firstKey().orElseThrow());
            browser.findElement(By.cssSelector("#first-run button[type=submit]")).click();
            until(By.id("create"));
            assertTrue(browser.findElement(By.id("who")).getText().startsWith("owner@example.com"), browser.findElement(By.id("who")).getText());
            assertTrue(new Api(base, null).get("/api/v1/setup").text().contains("false"), "the installation has its first user");
            browser.findElement(By.id("sign-out")).click();
            until(By.id("sign-in"));
        } finally {
            FileOps.deleteTree(dataDir);
        }
    }

    private static String command(String cmd, String... args) {
        var o = Json.MAPPER.createObjectNode().put("cmd", cmd);
        var a = o.putArray("args");
        for (String arg : args) a.add(arg);
        return o.toString();
    }

    private static WebElement portsRefresh() {
        return browser.findElement(By.xpath("//section[h2[.='Ports']]//button[@data-action='refresh']"));
    }

    /** Types a line into the terminal, as a user at its keyboard. */
    private static void type(String line) {
        browser.findElement(By.cssSelector("#terminal .xterm-helper-textarea")).sendKeys(line + Keys.ENTER);
    }

    /** Waits for a row of the terminal's screen that reads exactly {@code text}. */
    private static void untilTerminalShows(String text) {
        new WebDriverWait(browser, WAIT).withMessage(() -> "the terminal shows a line " + text + ": "
                        + browser.findElement(By.cssSelector("#terminal .xterm-rows")).getText()
                        + " (" + browser.findElement(By.id("terminal-status")).getText() + ")")
                .until(d -> d.findElements(By.cssSelector("#terminal .xterm-rows > div")).stream()
                        .anyMatch(row -> row.getText().strip().equals(text)));
    }

    /** Whether the page needs no sideways scrolling at the window's width. */
    private static boolean fitsTheWidth() {
        return (Boolean) browser.executeScript("return document.documentElement.scrollWidth <= window.innerWidth");
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The owner of a new team and an API key of that team, once the built-in templates are there. */
    private record Owner(String email, Api api) {
        static Owner ofNewTeam() {
            TestServer.awaitTemplates();
            String team = "browser-" + UUID.randomUUID();
            return new Owner(newOwner(team), keyOf(team));
        }
    }

    /** A new user, the owner of {@code team} (made if it does not exist); answers the email. */
    private static String newOwner(String team) {
        String email = "user-" + UUID.randomUUID() + "@example.com";
        TestServer.get().accounts().create(email, PASSWORD, team, Role.OWNER);
        return email;
    }

    /** The API as a new key of {@code team}. */
    private static Api keyOf(String team) {
        var keys = TestServer.get().keys();
        return new Api(TestServer.baseUrl(), keys.create(keys.findTeam(team).orElseThrow().id(), "test key").secret());
    }

    /** Signs in as {@code email} from a browser without a session, with the keyboard, and waits for the capsules page. */
    private static void signInAfresh(String email) {
        browser.get(TestServer.baseUrl() + "/");
        browser.manage().deleteAllCookies();
        browser.get(TestServer.baseUrl() + "/");
        until(By.id("sign-in"));
        signIn(email);
        until(By.id("create"));
    }

    /** Fills in and sends the sign-in form shown now. */
    private static void signIn(String email) {
        browser.findElement(By.name("email")).sendKeys(email);
        browser.findElement(By.name("password")).sendKeys(PASSWORD + Keys.ENTER);
    }

    private static List<String> ids(Api api) {
        List<String> ids = new java.util.ArrayList<>();
        api.get("/capsules").json().forEach(c -> ids.add(c.get("id").asText()));
        return ids;
    }

    private static WebElement until(By what) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(what));
    }

    private static void shot(String page) throws IOException {
        Files.write(SHOTS.resolve(page + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }
}
