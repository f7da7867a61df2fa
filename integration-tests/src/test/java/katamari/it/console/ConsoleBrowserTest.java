package katamari.it.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.it.support.Http;
import katamari.it.support.InProcessCluster;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;
import katamari.it.support.ProcessOutput;
import katamari.it.support.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console of a real dev box ({@code katamari dev} from the jar, as a user runs it), in a real headless
 * Chromium driven by Selenium: what it shows, that it moves, and that its buttons change the cluster. The screenshots
 * it takes are the ones in {@code docs/console/} (the README links them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Pattern READY = Pattern.compile("Katamari is ready: gateway (http://\\S+)\\s+kafka \\S+\\s+admin (http://\\S+)");
    /** A slow starter, so that a restart lasts long enough for a once-a-second page to show it. */
    private static final String HELLO_DELAY_MS = "4000";

    @TempDir
    static Path data;
    private static Process dev;
    private static String gateway;
    private static String admin;
    private static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        browser = browser();
        Path jar = Katamari.HOME.resolve("launcher/target/katamari.jar");
        assertTrue(Files.isRegularFile(jar), "the runnable jar is built by the launcher module: " + jar);
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.toString(), "dev", "--port", "0", "--admin-port", "0",
                "--kafka-port", String.valueOf(FreePorts.pick(1)[0]), "--member-port", String.valueOf(FreePorts.pick(1)[0]), "--data-dir", data.toString())
                .redirectErrorStream(true);
        pb.environment().put("KATAMARI_HOME", Katamari.HOME.toString());
        pb.environment().remove("KATAMARI_CLUSTER_ADMIN_KEY");
        dev = pb.start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> ProcessOutput.readLines(dev, output), "dev-output");
        reader.setDaemon(true);
        reader.start();
        Awaitility.await("dev ready line").atMost(Duration.ofSeconds(180)).failFast("dev exited", () -> !dev.isAlive())
                .until(() -> output.stream().anyMatch(l -> READY.matcher(l).find()));
        Matcher m = output.stream().map(READY::matcher).filter(Matcher::find).findFirst().orElseThrow();
        gateway = m.group(1);
        admin = m.group(2);
        // a second pool of two versions, for the weights and the kill: dev's admin API is open, no key
        List<String> slow = Katamari.faultyCommand("--hello-delay-ms", HELLO_DELAY_MS);
        assertEquals(201, Http.send("PUT", admin + "/pools/slow/v1", InProcessCluster.poolBody(slow, 1, 1)).status());
        assertEquals(201, Http.send("PUT", admin + "/pools/slow/v2", InProcessCluster.poolBody(slow, 1, 0)).status());
        assertEquals(201, Http.send("PUT", admin + "/pools/crashy/v1", InProcessCluster.poolBody(Katamari.faultyCommand(), 1, 1)).status());
        browser.get(admin + "/");
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (dev != null && dev.isAlive()) {
            dev.destroy();
            Awaitility.await("dev exits").atMost(Duration.ofSeconds(60)).until(() -> !dev.isAlive());
        }
    }

    @Test
    @Order(1)
    void the_console_shows_the_master_the_pools_and_every_instance_and_says_dev_needs_no_key() throws Exception {
        await("slow/v1 and slow/v2 have an idle instance", () -> instances("slow/v1", "idle") == 1 && instances("slow/v2", "idle") == 1);
        await("the shipped pools' instances are idle", () -> instances("echo/v1", "idle") == 4 && instances("fake/v1", "idle") == 2
                && instances("wordcount/v1", "idle") == 2);
        String master = read(() -> browser.findElement(By.id("leader")).getAttribute("data-address"));
        assertTrue(master.startsWith("127.0.0.1:"), master);
        assertTrue(read(() -> browser.findElement(By.cssSelector("#masters li[data-address='" + master + "']")).getText()).contains("master"));
        for (String pool : List.of("echo", "fake", "wordcount", "slow")) {
            assertEquals(1, read(() -> browser.findElements(By.cssSelector(".pool[data-pool='" + pool + "']")).size()), pool);
        }
        String access = read(() -> browser.findElement(By.id("access")).getText());
        assertTrue(access.contains("OPEN") && access.contains("no admin key"), access);
        screenshot("overview");
    }

    @Test
    @Order(2)
    void a_burst_of_requests_moves_the_rate_and_latency_charts() throws Exception {
        await("the echo/v1 chart has points", () -> !chart("echo/v1", "rate").getAttribute("data-last").isEmpty());
        double before = read(() -> Double.parseDouble(chart("echo/v1", "rate").getAttribute("data-max")));
        List<CompletableFuture<Http.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            calls.add(Http.postAsync(gateway + "/pools/echo/echo", "{\"text\":\"burst " + i + "\"}"));
            if (calls.size() % 32 == 0) {
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join(); // 32 at a time: a burst, not a flood
            }
        }
        calls.forEach(c -> assertEquals(200, c.join().status()));
        await("the rate chart rose", () -> Double.parseDouble(chart("echo/v1", "rate").getAttribute("data-max")) > before + 10);
        await("the latency chart has a p50", () -> !chart("echo/v1", "latency").getAttribute("data-last").isEmpty());
        assertTrue(read(() -> browser.findElement(By.cssSelector("tr.version[data-key='echo/v1']")).getText()).contains("errors: none"));
        screenshot("charts");
    }

    @Test
    @Order(3)
    void an_instance_killed_with_sigkill_shows_restarting_then_idle() throws Exception {
        List<String> seen = read(() -> {
            WebElement row = browser.findElement(By.cssSelector("tr.instance[data-key='slow/v1']"));
            return List.of(row.getAttribute("data-instance"), row.getAttribute("data-pid"), row.findElement(By.cssSelector(".restarts")).getText());
        });
        String instance = seen.get(0);
        long pid = Long.parseLong(seen.get(1));
        int restarts = Integer.parseInt(seen.get(2));
        ProcessHandle chassis = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("the page's pid " + pid + " runs nothing"));
        assertTrue(chassis.info().commandLine().orElse("").contains("katamari-faulty.jar"), chassis.info().toString());
        assertTrue(chassis.destroyForcibly(), "SIGKILL sent to " + pid);
        await(instance + " shows restarting", () -> state(instance).equals("restarting"));
        screenshot("restarting");
        await(instance + " is idle again, on a new process", () -> state(instance).equals("idle")
                && Long.parseLong(instanceRow(instance).getAttribute("data-pid")) != pid);
        assertEquals(restarts + 1, read(() -> Integer.parseInt(instanceRow(instance).findElement(By.cssSelector(".restarts")).getText())));
    }

    @Test
    @Order(4)
    void weights_set_on_the_page_change_where_requests_go() throws Exception {
        assertEquals(List.of("v1"), versionsAnswering(20), "before: weight 1 and 0");
        retype(By.cssSelector("input.weight[data-pool='slow'][data-version='v1']"), "0");
        retype(By.cssSelector("input.weight[data-pool='slow'][data-version='v2']"), "5");
        click(By.cssSelector("button.set-weights[data-pool='slow']"));
        await("the page says the weights are set", () -> browser.findElement(By.id("message")).getText().contains("weights of slow set"));
        await("the page shows the masters' new weights", () -> weightInput("slow", "v2").getAttribute("value").equals("5")
                && weightInput("slow", "v1").getAttribute("value").equals("0"));
        assertEquals(0, Http.get(admin + "/pools/slow/v1").body().path("weight").asInt(), "stored by the master");
        Awaitility.await("every unpinned call goes to v2").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300))
                .until(() -> versionsAnswering(20).equals(List.of("v2")));
        screenshot("weights");
    }

    @Test
    @Order(5)
    void a_rollout_started_on_the_page_is_watched_there_until_it_promotes_the_new_version() throws Exception {
        click(By.cssSelector("#rollout-pool option[value='slow']"));
        type("rollout-version", "v3");
        type("rollout-steps", "50,100");
        type("rollout-step-time", "2s");
        type("rollout-min-requests", "0");
        click(By.id("rollout-start"));
        await("the page says the rollout started", () -> browser.findElement(By.id("message")).getText().contains("rollout r"));
        await("the rollout's log shows its steps", () -> rollout("slow", "v3").getText().contains("step 50%"));
        screenshot("rollout");
        Awaitility.await("the rollout promoted v3").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(org.openqa.selenium.WebDriverException.class)
                .until(() -> rollout("slow", "v3").getAttribute("data-state").equals("promoted"));
        String log = read(() -> rollout("slow", "v3").getText());
        Matcher retired = Pattern.compile("retired slow/(v\\d)").matcher(log);
        assertTrue(retired.find(), log);
        await("the pool shows v3 with all unpinned traffic, the old version gone", () -> weightInput("slow", "v3").getAttribute("value").equals("1000")
                && browser.findElements(By.cssSelector("tr.version[data-key='slow/" + retired.group(1) + "']")).isEmpty());
        assertEquals(List.of("v3"), versionsAnswering(10));
    }

    @Test
    @Order(6)
    void a_request_that_kills_its_instance_on_every_attempt_shows_as_a_dead_letter_and_in_the_errors_chart() throws Exception {
        await("crashy/v1 is idle", () -> instances("crashy/v1", "idle") == 1);
        Http.Response r = Http.post(gateway + "/pools/crashy/crash", "{}");
        assertEquals("instance_crashed", r.errorCode(), r.body().toString());
        await("the dead letter is listed with its reason", () -> browser.findElements(By.cssSelector("#dead-letters tr.dead-letter")).stream()
                .anyMatch(e -> e.getText().contains("crashy/v1") && e.getText().contains("crashed")));
        await("the errors chart counts instance_crashed", () -> Double.parseDouble(chart("crashy/v1", "errors").getAttribute("data-max")) > 0
                && browser.findElement(By.cssSelector("tr.version[data-key='crashy/v1']")).getText().contains("instance_crashed"));
        browser.executeScript("document.getElementById('dead-letters').scrollIntoView()");
        screenshot("dead-letters");
        browser.executeScript("window.scrollTo(0, 0)");
    }

    @Test
    @Order(7)
    void a_worker_drained_on_the_page_is_drained_and_undrained() throws Exception {
        String id = read(() -> browser.findElement(By.cssSelector(".worker")).getAttribute("data-worker"));
        click(By.cssSelector("button.drain[data-worker='" + id + "']"));
        await("drained", () -> workerElement(id).getAttribute("data-draining").equals("true"));
        assertTrue(Http.get(admin + "/cluster").body().path("drained").toString().contains(id));
        click(By.cssSelector("button.drain[data-worker='" + id + "']"));
        await("undrained", () -> workerElement(id).getAttribute("data-draining").equals("false"));
        await("its instances are back", () -> instances("echo/v1", "idle") == 4);
    }

    // ---- what the page shows ----

    private static long instances(String key, String state) {
        return browser.findElements(By.cssSelector("tr.instance[data-key='" + key + "'] .state")).stream()
                .filter(e -> e.getText().equals(state)).count();
    }

    private static WebElement instanceRow(String instance) {
        return browser.findElement(By.cssSelector("tr.instance[data-instance='" + instance + "']"));
    }

    private static String state(String instance) {
        return instanceRow(instance).findElement(By.cssSelector(".state")).getText();
    }

    private static WebElement chart(String key, String metric) {
        return browser.findElement(By.cssSelector("svg.chart[data-key='" + key + "'][data-metric='" + metric + "']"));
    }

    private static WebElement weightInput(String pool, String version) {
        return browser.findElement(By.cssSelector("input.weight[data-pool='" + pool + "'][data-version='" + version + "']"));
    }

    private static WebElement rollout(String pool, String version) {
        return browser.findElement(By.cssSelector(".rollout[data-pool='" + pool + "'][data-version='" + version + "']"));
    }

    /** Reads what the page shows now: the page redraws once a second, so a read that met a replaced element is made again. */
    private static <T> T read(java.util.function.Supplier<T> what) {
        for (int i = 0; ; i++) {
            try {
                return what.get();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (i == 20) {
                    throw e;
                }
            }
        }
    }

    /** Clicks what the page shows now: an element redrawn between finding and clicking it is found again. */
    private static void click(By what) {
        await("clicked " + what, () -> {
            browser.findElement(what).click();
            return true;
        });
    }

    /**
     * Replaces a field's text in one gesture (select all, type), so the field keeps the focus throughout: the page
     * holds its redraw while a weight field has the focus, and a field found again after a redraw is retyped whole.
     */
    private static void retype(By field, String text) {
        await("typed into " + field, () -> {
            browser.findElement(field).sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"), text);
            return browser.findElement(field).getAttribute("value").equals(text);
        });
    }

    /** Types into a form field (the form is not redrawn, so a found field stays). */
    private static void type(String id, String text) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    private static WebElement workerElement(String id) {
        return browser.findElement(By.cssSelector(".worker[data-worker='" + id + "']"));
    }

    /** The versions that answered {@code n} unpinned calls, each once, in name order. */
    private static List<String> versionsAnswering(int n) {
        java.util.TreeSet<String> versions = new java.util.TreeSet<>();
        for (int i = 0; i < n; i++) {
            Http.Response r = Http.post(gateway + "/pools/slow/echo", "{\"text\":\"w" + i + "\"}");
            assertEquals(200, r.status(), r.body().toString());
            versions.add(r.header("Katamari-Version"));
        }
        return List.copyOf(versions);
    }

    /** The page redraws once a second; a DOM element may be replaced while it is read, so a read that fails is retried. */
    private static void await(String what, java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(org.openqa.selenium.WebDriverException.class).until(condition);
    }

    private static void screenshot(String name) throws IOException {
        Path dir = Files.createDirectories(Katamari.HOME.resolve("docs/console"));
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    // ---- set-up ----

    /** Debian's chromium and its chromedriver, as bin/test installs them; missing, the test says how to get them. */
    static ChromeDriver browser() {
        for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
            assertTrue(Files.isExecutable(p), p + " is missing: bin/test installs it (apt-get install -y chromium chromium-driver)");
        }
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,2400",
                        "--no-first-run", "--disable-extensions", "--disable-background-networking");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }


}
