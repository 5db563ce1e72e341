package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.auth.Membership.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
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
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String PASSWORD = "correct horse battery";
    private static ChromeDriver browser;

    @BeforeAll
    static void openBrowser() throws IOException {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the browser tests need Debian's chromium and chromium-driver: `make deps` installs them");
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions();
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

        browser.findElement(By.id("sign-out")).click();
        until(By.id("sign-in"));
        browser.navigate().refresh();
        until(By.id("sign-in"));
        keyOf(team).destroyQuietly(id);
    }

    @Test
    void hostileMetadataIsShownAsText() throws IOException {
        TestServer.awaitTemplates();
        String team = "browser-" + UUID.randomUUID();
        String email = newOwner(team);
        Api api = keyOf(team);
        String hostile = "<img src=x onerror=\"document.body.dataset.pwned=1\">";
        String id = api.createRunning("{\"metadata\":{\"name\":\"" + hostile.replace("\"", "\\\"") + "\"}}");
        try {
            browser.manage().deleteAllCookies();
            browser.get(TestServer.baseUrl() + "/");
            until(By.id("sign-in"));
            signIn(email);
            WebElement row = until(By.cssSelector("#capsule-rows tr[data-id='" + id + "']"));
            shot("hostile-metadata");
            assertTrue(row.getText().contains("name=" + hostile), "the metadata is shown as it is: " + row.getText());
            assertEquals(0, row.findElements(By.tagName("img")).size(), "no element was made from it");
            assertEquals(null, browser.findElement(By.tagName("body")).getAttribute("data-pwned"), "no script ran");
        } finally {
            api.destroyQuietly(id);
            browser.findElement(By.id("sign-out")).click();
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

    /** Fills in and sends the sign-in form shown now. */
    private static void signIn(String email) {
        browser.findElement(By.name("email")).sendKeys(email);
        browser.findElement(By.name("password")).sendKeys(PASSWORD);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
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
