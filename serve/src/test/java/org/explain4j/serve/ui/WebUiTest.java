package org.explain4j.serve.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.explain4j.cli.Main;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.viz.Normalization;
import org.explain4j.viz.Scale;
import org.explain4j.viz.ScaleSharing;
import org.explain4j.viz.SignMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium against a real server on loopback, serving the demo's
 * digits CNN (examples/digits) and a small tabular MLP (fixtures/models/mlp_softmax). Every check
 * reads back what the page drew or produced (canvas pixels, the value under the pointer, a
 * downloaded file) and compares it with what the server computed or the command line computes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebUiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String[] LABELS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};

    private Path work;
    private Path models;
    private Path png;
    private UiServer server;
    private Browser browser;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        work = Files.createDirectories(Path.of("target", "ui-test"));
        models = Files.createDirectories(work.resolve("models"));
        Path root = repositoryRoot();
        Files.copy(root.resolve("examples/digits/digits_cnn.onnx"), models.resolve("digits.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(root.resolve("examples/digits/digits_cnn.json"), models.resolve("digits.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(root.resolve("fixtures/models/mlp_softmax.onnx"), models.resolve("mlp.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(models.resolve("mlp.json"), JSON.writeValueAsString(Map.of(
                "labels", List.of("north", "east", "south", "west"), "kind", "tabular",
                "featureNames", List.of("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"))));
        // a text classifier: the bag-of-words fixture (known word values) with its tokenizer and a text card
        Files.copy(root.resolve("fixtures/text/bow.onnx"), models.resolve("bow.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(root.resolve("fixtures/text/bow_tokenizer.json"), models.resolve("bow_tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(models.resolve("bow.json"), JSON.writeValueAsString(Map.of(
                "kind", "text", "tokenizer", "bow_tokenizer.json", "labels", List.of("negative", "positive"))));
        png = digitPng(root, 3, work.resolve("digit3.png"));
        server = UiServer.start(models);
        browser = Browser.start(work);
    }

    @AfterAll
    void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("examples/digits"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("examples/digits not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** One of the demo's inputs (digits_x.npy, values in [0, 1]) as an 8x8 grey PNG. */
    static Path digitPng(Path root, int index, Path out) throws IOException {
        Tensor x = Npy.read(root.resolve("examples/digits/digits_x.npy"));
        float[] v = x.example(index).toFloatArray();
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int c = 0; c < 8; c++) {
                int g = Math.round(Math.max(0f, Math.min(1f, v[y * 8 + c])) * 255f);
                img.setRGB(c, y, g << 16 | g << 8 | g);
            }
        }
        ImageIO.write(img, "png", out.toFile());
        return out;
    }

    // ---------- page helpers ----------

    private JavascriptExecutor js() {
        return browser.driver;
    }

    private WebDriverWait waiting() {
        return new WebDriverWait(browser.driver, WAIT);
    }

    private void open(String model) {
        browser.driver.get(server.baseUrl() + "/");
        new WebDriverWait(browser.driver, Duration.ofSeconds(30)).until(d -> "true".equals(
                d.findElement(By.tagName("body")).getDomAttribute("data-ready"))
                || String.valueOf(d.findElement(By.id("status")).getDomAttribute("class")).contains("error"));
        assertThat(browser.driver.findElement(By.tagName("body")).getDomAttribute("data-ready"))
                .as("the page is ready; status: %s", browser.driver.findElement(By.id("status")).getText())
                .isEqualTo("true");
        new Select(browser.driver.findElement(By.id("model"))).selectByValue(model);
        waiting().until(d -> ((JavascriptExecutor) d).executeScript(
                "return window.explain4j.state.model && window.explain4j.state.model.name") != null
                && model.equals(js().executeScript("return window.explain4j.state.model.name")));
    }

    private void uploadDigit() {
        browser.driver.findElement(By.id("file")).sendKeys(png.toAbsolutePath().toString());
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
    }

    private void chooseMethods(String... names) {
        for (WebElement box : browser.driver.findElements(By.cssSelector("input[name=method]:checked"))) {
            box.click();
        }
        for (String n : names) {
            browser.driver.findElement(By.id("m-" + n)).click();
        }
    }

    private void setParam(String method, String param, String value) {
        WebElement f = browser.driver.findElement(By.id("p-" + method + "-" + param));
        f.clear();
        f.sendKeys(value);
    }

    private void run() {
        browser.driver.findElement(By.id("run")).click();
    }

    private WebElement card(String method) {
        return browser.driver.findElement(By.cssSelector("article.card[data-method='" + method + "']"));
    }

    private void waitDone(String... methods) {
        waiting().until(d -> {
            for (String m : methods) {
                List<WebElement> c = d.findElements(By.cssSelector("article.card[data-method='" + m + "']"));
                if (c.isEmpty()) {
                    return false;
                }
                String s = c.get(0).getDomAttribute("data-state");
                if ("failed".equals(s)) {
                    throw new AssertionError(m + " failed: " + c.get(0).getText());
                }
                if (!"done".equals(s) || c.get(0).findElements(By.cssSelector("canvas.heatmap, svg.bars")).isEmpty()) {
                    return false;
                }
            }
            return true;
        });
    }

    /** RGBA at the centre of each cell of an h x w map drawn on the method's heatmap canvas. */
    private int[][] cellPixels(String method, int h, int w) {
        @SuppressWarnings("unchecked")
        List<Number> flat = (List<Number>) js().executeScript("""
                const c = document.querySelector(`article.card[data-method='${arguments[0]}'] canvas.heatmap`);
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const out = [];
                for (let r = 0; r < arguments[1]; r++) for (let k = 0; k < arguments[2]; k++) {
                  const x = Math.floor((k + 0.5) * c.width / arguments[2]);
                  const y = Math.floor((r + 0.5) * c.height / arguments[1]);
                  const i = 4 * (y * c.width + x);
                  out.push(d[i], d[i + 1], d[i + 2], d[i + 3]);
                }
                return out;""", method, h, w);
        int[][] px = new int[h * w][4];
        for (int i = 0; i < h * w; i++) {
            for (int k = 0; k < 4; k++) {
                px[i][k] = flat.get(4 * i + k).intValue();
            }
        }
        return px;
    }

    /** Moves the opacity slider with the keyboard: Home (0 %) or End (100 %). */
    private void opacity(Keys key) {
        WebElement slider = browser.driver.findElement(By.id("opacity"));
        slider.sendKeys(key);
        String want = key == Keys.HOME ? "0%" : "100%";
        waiting().until(d -> want.equals(d.findElement(By.id("opacity-value")).getText()));
    }

    private String jobOf(String method) {
        return card(method).getDomAttribute("data-job");
    }

    // ---------- server helpers ----------

    private JsonNode getJson(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private byte[] getBytes(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
        return r.body();
    }

    /** The first instance's explanation of a job, as the server computed it. */
    private JsonNode explanation(String job) throws IOException, InterruptedException {
        JsonNode j = getJson("/v1/jobs/" + job);
        assertThat(j.path("state").asText()).isEqualTo("done");
        return j.path("result").path("explanations").get(0);
    }

    private static double[] values(JsonNode explanation) {
        JsonNode a = explanation.path("data").path("attributions");
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    /** base blended with the colour at alpha a, as a canvas composites one source-over layer. */
    private static int[] blend(int[] base, int rgb, double a) {
        int[] c = {rgb >> 16 & 255, rgb >> 8 & 255, rgb & 255};
        int[] out = new int[3];
        for (int k = 0; k < 3; k++) {
            out[k] = (int) Math.round(c[k] * a + base[k] * (1 - a));
        }
        return out;
    }

    private static void assertColours(int[][] drawn, int[][] base, double[] v, Scale scale, double opacity, String what) {
        int changed = 0;
        for (int i = 0; i < v.length; i++) {
            double a = opacity * Math.abs(scale.normalize(v[i]));
            int[] want = blend(base[i], scale.rgb(v[i]), a);
            for (int k = 0; k < 3; k++) {
                assertThat(drawn[i][k]).as("%s: cell %d (value %s) channel %d", what, i, v[i], k)
                        .isCloseTo(want[k], within(3));
            }
            if (Math.abs(drawn[i][0] - base[i][0]) + Math.abs(drawn[i][2] - base[i][2]) > 6) {
                changed++;
            }
        }
        assertThat(changed).as("%s: cells whose colour differs from the input", what).isGreaterThan(v.length / 4);
    }

    // ---------- tests ----------

    @Test
    void predictsTheUploadedDigitAndBuildsFormsFromTheCatalogue() throws Exception {
        open("digits");
        uploadDigit();
        List<WebElement> classes = browser.driver.findElements(By.cssSelector("#prediction .classes button"));
        JsonNode pred = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models/digits:predict"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [{\"b64\": \"" + java.util.Base64.getEncoder()
                        .encodeToString(Files.readAllBytes(png)) + "\", \"format\": \"png\"}]}"))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString()).body());
        JsonNode top = pred.path("predictions").get(0).path("top");
        assertThat(classes).hasSize(top.size());
        assertThat(top.get(0).path("index").asInt()).as("the demo model reads the PNG of digit 3 as 3").isEqualTo(3);
        assertThat(classes.get(0).getText()).contains("3: three")
                .contains(String.format("%.1f%%", 100 * top.get(0).path("probability").asDouble()));
        assertThat(classes.get(0).getDomAttribute("aria-pressed")).isEqualTo("true");

        // The forms follow the catalogue: every method, and its parameters with types, defaults, ranges.
        JsonNode catalogue = getJson("/v1/methods");
        for (JsonNode m : catalogue.path("methods")) {
            assertThat(browser.driver.findElements(By.id("m-" + m.path("name").asText()))).hasSize(1);
        }
        WebElement steps = browser.driver.findElement(By.id("p-integrated-gradients-steps"));
        assertThat(steps.getDomAttribute("type")).isEqualTo("number");
        assertThat(steps.getDomProperty("value")).isEqualTo("50");
        assertThat(steps.getDomAttribute("min")).isEqualTo("1");
        WebElement integration = browser.driver.findElement(By.id("p-integrated-gradients-integration"));
        assertThat(new Select(integration).getOptions()).extracting(o -> o.getDomAttribute("value"))
                .containsExactly("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid");
        // applies_when: smoothgrad's steps only with inner = integrated-gradients
        WebElement sgSteps = browser.driver.findElement(By.id("p-smoothgrad-steps"));
        assertThat(sgSteps.isEnabled()).isFalse();
        browser.driver.findElement(By.id("m-smoothgrad")).click();
        new Select(browser.driver.findElement(By.id("p-smoothgrad-inner"))).selectByValue("integrated-gradients");
        assertThat(sgSteps.isEnabled()).isTrue();
        // the card's layer fills the layer fields
        assertThat(browser.driver.findElement(By.id("p-grad-cam-layer")).getDomProperty("value")).isEqualTo("/relu2/Relu_output_0");
    }

    @Test
    void drawsIntegratedGradientsAndOcclusionOverTheInputInTheReportsColours() throws Exception {
        open("digits");
        uploadDigit();
        chooseMethods("integrated-gradients", "occlusion");
        setParam("integrated-gradients", "steps", "16");
        setParam("occlusion", "window", "1,2,2");
        run();
        waitDone("integrated-gradients", "occlusion");
        browser.screenshot("heatmaps");

        double[] ig = values(explanation(jobOf("integrated-gradients")));
        double[] occ = values(explanation(jobOf("occlusion")));
        assertThat(ig).hasSize(64);
        assertThat(explanation(jobOf("integrated-gradients")).path("meta").path("parameters").path("steps").asInt())
                .as("the form's steps reached the server").isEqualTo(16);

        opacity(Keys.HOME);
        int[][] base = cellPixels("integrated-gradients", 8, 8);
        float[] digit = Npy.read(repositoryRoot().resolve("examples/digits/digits_x.npy")).example(3).toFloatArray();
        for (int i = 0; i < 64; i++) {
            // the input as the reports draw it under a heatmap: grey 0.35 + 0.55 * luminance
            assertThat(base[i][0]).as("opacity 0 shows the input: cell %d", i).isEqualTo(base[i][2])
                    .isCloseTo((int) Math.round(255 * (0.35 + 0.55 * digit[i])), within(3));
        }
        opacity(Keys.END);
        // per-method scales: each map on its own, signed, clipped at the 99.5th percentile (viz defaults)
        Scale igScale = Normalization.defaults().scaleFor(ig);
        assertColours(cellPixels("integrated-gradients", 8, 8), base, ig, igScale, 1.0, "integrated-gradients");
        assertColours(cellPixels("occlusion", 8, 8), base, occ, Normalization.defaults().scaleFor(occ), 1.0, "occlusion");
        int strongest = 0;
        for (int i = 0; i < 64; i++) {
            strongest = Math.abs(ig[i]) > Math.abs(ig[strongest]) ? i : strongest;
        }
        int[] px = cellPixels("integrated-gradients", 8, 8)[strongest];
        assertThat(ig[strongest] > 0 ? px[0] - px[2] : px[2] - px[0]).as("the strongest cell's colour has its sign")
                .isGreaterThan(80);

        // one scale shared by both methods
        new Select(browser.driver.findElement(By.id("sharing"))).selectByValue("shared");
        List<Scale> shared = Normalization.defaults().withSharing(ScaleSharing.SHARED).scalesFor(List.of(ig, occ));
        assertColours(cellPixels("occlusion", 8, 8), base, occ, shared.get(1), 1.0, "occlusion, shared scale");
        assertColours(cellPixels("integrated-gradients", 8, 8), base, ig, shared.get(0), 1.0, "ig, shared scale");
        new Select(browser.driver.findElement(By.id("sharing"))).selectByValue("per-method");

        // absolute values: the reports' sequential map, negative cells red too
        new Select(browser.driver.findElement(By.id("mode"))).selectByValue("absolute");
        Scale abs = Normalization.defaults().withMode(SignMode.ABSOLUTE).scaleFor(ig);
        assertColours(cellPixels("integrated-gradients", 8, 8), base, ig, abs, 1.0, "ig, absolute");
        new Select(browser.driver.findElement(By.id("mode"))).selectByValue("signed");

        // a colour-blind-safe map: positive orange (R > G > B), negative blue (B > G > R)
        new Select(browser.driver.findElement(By.id("cmap"))).selectByValue("blue-orange");
        int[][] bo = cellPixels("integrated-gradients", 8, 8);
        int checked = 0;
        for (int i = 0; i < 64; i++) {
            if (Math.abs(igScale.normalize(ig[i])) > 0.5) {
                int[] p = bo[i];
                if (ig[i] > 0) {
                    assertThat(p[0]).as("cell %d", i).isGreaterThan(p[1]);
                    assertThat(p[1]).as("cell %d", i).isGreaterThan(p[2]);
                } else {
                    assertThat(p[2]).as("cell %d", i).isGreaterThan(p[1]);
                    assertThat(p[1]).as("cell %d", i).isGreaterThan(p[0]);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(3);
        new Select(browser.driver.findElement(By.id("cmap"))).selectByValue("red-blue");

        // the value under the pointer
        WebElement canvas = card("integrated-gradients").findElement(By.cssSelector("canvas.heatmap"));
        int w = canvas.getSize().getWidth();
        int h = canvas.getSize().getHeight();
        for (int[] rc : new int[][] {{2, 5}, {6, 1}, {strongest / 8, strongest % 8}}) {
            int dx = (int) Math.round((rc[1] + 0.5) * w / 8.0 - w / 2.0);
            int dy = (int) Math.round((rc[0] + 0.5) * h / 8.0 - h / 2.0);
            new Actions(browser.driver).moveToElement(canvas, dx, dy).perform();
            String text = card("integrated-gradients").findElement(By.cssSelector(".readout")).getText();
            assertThat(text).startsWith("row " + rc[0] + ", col " + rc[1] + ": ");
            double shown = Double.parseDouble(text.substring(text.indexOf(": ") + 2));
            assertThat(shown).as("hover value at %d,%d", rc[0], rc[1])
                    .isCloseTo(ig[rc[0] * 8 + rc[1]], within(Math.abs(ig[rc[0] * 8 + rc[1]]) * 1e-3 + 1e-12));
        }
        // and with the keyboard: focus the map, arrow keys move the cursor
        canvas.sendKeys(Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_RIGHT);
        String text = card("integrated-gradients").findElement(By.cssSelector(".readout")).getText();
        Matcher m = Pattern.compile("row (\\d), col (\\d): (\\S+)").matcher(text);
        assertThat(m.find()).as(text).isTrue();
        int r = Integer.parseInt(m.group(1));
        int c = Integer.parseInt(m.group(2));
        assertThat(Double.parseDouble(m.group(3))).isCloseTo(ig[r * 8 + c], within(Math.abs(ig[r * 8 + c]) * 1e-3 + 1e-12));

        // the README's picture: the page from the top, default opacity, a value under the pointer
        js().executeScript("const o = document.getElementById('opacity'); o.value = 80;"
                + " o.dispatchEvent(new Event('input')); window.scrollTo(0, 0);"
                + " document.getElementById('results-section').scrollTo(0, 0);");
        new Actions(browser.driver).moveToElement(card("integrated-gradients").findElement(By.cssSelector("canvas.heatmap")),
                w / 8, -h / 8).perform();
        browser.screenshot("serve-ui");
    }

    @Test
    void aLayerMapIsSpreadOverTheWholeInput() throws Exception {
        open("digits");
        uploadDigit();
        chooseMethods("grad-cam");
        run();
        waitDone("grad-cam");
        JsonNode e = explanation(jobOf("grad-cam"));
        assertThat(e.path("data").path("shape").toString()).isEqualTo("[1,4,4]");
        double[] cam = values(e);
        opacity(Keys.HOME);
        int[][] base = cellPixels("grad-cam", 4, 4);
        opacity(Keys.END);
        // a map coarser than the input covers all of it (smoothly, as the reports enlarge layer maps);
        // at the centre of each of its cells the colour is that cell's
        assertColours(cellPixels("grad-cam", 4, 4), base, cam, Normalization.defaults().scaleFor(cam), 1.0, "grad-cam");
        @SuppressWarnings("unchecked")
        List<Number> row = (List<Number>) js().executeScript(
                "const c = document.querySelector(\"article.card[data-method='grad-cam'] canvas.heatmap\");"
                + " const d = c.getContext('2d').getImageData(0, Math.floor(c.height / 8), c.width, 1).data;"
                + " return [...Array(c.width).keys()].map((x) => d[4 * x]);");
        long distinct = row.stream().map(Number::intValue).distinct().count();
        assertThat(distinct).as("bilinear enlargement: more shades along a row than the map's 4 cells").isGreaterThan(8);
    }

    @Test
    void aDroppedNpyTensorIsPredictedShownAndExplained() throws Exception {
        open("digits");
        Tensor five = Npy.read(repositoryRoot().resolve("examples/digits/digits_x.npy")).slice(5, 6);
        Path npy = work.resolve("digit5.npy");
        Npy.write(five, npy);
        // a real drop event carrying the file, as a drag from the desktop delivers it
        js().executeScript("const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));"
                + " const dt = new DataTransfer(); dt.items.add(new File([bytes], 'digit5.npy'));"
                + " document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));",
                java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(npy)));
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
        assertThat(browser.driver.findElement(By.id("tab-npy")).getDomAttribute("aria-selected")).isEqualTo("true");
        assertThat(browser.driver.findElements(By.cssSelector("#prediction .classes button")).get(0).getDomAttribute("data-class"))
                .as("the demo model reads digit 5").isEqualTo("5");
        // the tensor is shown: min-max scaled grey at the centre of each of its 8x8 cells
        @SuppressWarnings("unchecked")
        List<Number> shown = (List<Number>) js().executeScript(
                "const c = document.getElementById('input-canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + " const out = []; for (let r = 0; r < 8; r++) for (let k = 0; k < 8; k++) {"
                + " const i = 4 * (Math.floor((r + 0.5) * c.height / 8) * c.width + Math.floor((k + 0.5) * c.width / 8)); out.push(d[i]); }"
                + " return out;");
        float[] v = five.toFloatArray();
        float lo = Float.MAX_VALUE;
        float hi = -Float.MAX_VALUE;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        for (int i = 0; i < 64; i++) {
            assertThat(shown.get(i).intValue()).as("input cell %d", i).isCloseTo(Math.round((v[i] - lo) / (hi - lo) * 255), within(1));
        }
        chooseMethods("input-x-gradient");
        run();
        waitDone("input-x-gradient");
        double[] served = values(explanation(jobOf("input-x-gradient")));
        Path cli = work.resolve("cli-ixg.npy");
        Files.deleteIfExists(cli);
        int rc = Main.commandLine().execute("attribute", "--model", models.resolve("digits.onnx").toString(), "--input",
                npy.toString(), "--method", "input-x-gradient", "--target", "5", "--output", cli.toString(), "--quiet");
        assertThat(rc).isZero();
        float[] want = Npy.read(cli).toFloatArray();
        assertThat(served).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            assertThat((float) served[i]).as("element %d", i).isEqualTo(want[i]);
        }
    }

    @Test
    void clickingAnotherClassExplainsItInstead() throws Exception {
        open("digits");
        uploadDigit();
        chooseMethods("integrated-gradients");
        run();
        waitDone("integrated-gradients");
        assertThat(card("integrated-gradients").getDomAttribute("data-target")).isEqualTo("3");
        double[] first = values(explanation(jobOf("integrated-gradients")));
        String firstJob = jobOf("integrated-gradients");

        WebElement other = browser.driver.findElements(By.cssSelector("#prediction .classes button")).get(1);
        int k = Integer.parseInt(other.getDomAttribute("data-class"));
        other.sendKeys(Keys.ENTER); // keyboard: a class is a button
        waiting().until(d -> !firstJob.equals(jobOf("integrated-gradients")));
        waitDone("integrated-gradients");
        assertThat(card("integrated-gradients").getDomAttribute("data-target")).isEqualTo(String.valueOf(k));
        assertThat(card("integrated-gradients").findElement(By.tagName("h3")).getText()).contains(LABELS[k]);
        JsonNode second = explanation(jobOf("integrated-gradients"));
        assertThat(second.path("data").path("target").asInt()).isEqualTo(k);
        assertThat(values(second)).isNotEqualTo(first);
        assertThat(browser.driver.findElement(By.cssSelector("#prediction .classes button[data-class='" + k + "']"))
                .getDomAttribute("aria-pressed")).isEqualTo("true");
        assertThat(new Select(browser.driver.findElement(By.id("target"))).getFirstSelectedOption().getDomAttribute("value"))
                .isEqualTo(String.valueOf(k));
    }

    @Test
    void downloadedResultIsBitIdenticalToTheCommandLine() throws Exception {
        open("digits");
        uploadDigit();
        chooseMethods("integrated-gradients", "kernel-shap");
        new Select(browser.driver.findElement(By.id("target"))).selectByValue("5");
        setParam("integrated-gradients", "steps", "24");
        setParam("kernel-shap", "samples", "300");
        WebElement seed = browser.driver.findElement(By.id("seed"));
        seed.clear();
        seed.sendKeys("7");
        run();
        waitDone("integrated-gradients", "kernel-shap");

        for (String[] method : new String[][] {{"integrated-gradients", "--steps", "24"},
                {"kernel-shap", "--samples", "300", "--seed", "7"}}) {
            WebElement link = card(method[0]).findElement(By.cssSelector("a.dl-npy"));
            byte[] served = getBytes(link.getDomAttribute("href"));
            // the browser's own download of the same link
            try (Stream<Path> old = Files.list(browser.downloads)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
            link.click();
            // saved under the method's name (not the server's attribution-0.npy)
            Path downloaded = browser.downloads.resolve(method[0] + ".npy");
            waiting().until(d -> {
                try (Stream<Path> files = Files.list(browser.downloads)) {
                    return Files.isRegularFile(downloaded) && files.noneMatch(p -> p.toString().endsWith(".crdownload"));
                } catch (IOException e) {
                    return false;
                }
            });
            assertThat(Files.readAllBytes(downloaded)).isEqualTo(served);

            Path cli = work.resolve("cli-" + method[0] + ".npy");
            Files.deleteIfExists(cli);
            List<String> args = new ArrayList<>(List.of("attribute", "--model", models.resolve("digits.onnx").toString(),
                    "--input", png.toString(), "--card", models.resolve("digits.json").toString(),
                    "--method", method[0], "--target", "5", "--output", cli.toString(), "--quiet"));
            args.addAll(List.of(method).subList(1, method.length));
            int rc = Main.commandLine().execute(args.toArray(String[]::new));
            assertThat(rc).as("explain4j %s", args).isZero();
            float[] want = Npy.read(cli).toFloatArray();
            float[] got = Npy.read(downloaded).toFloatArray();
            assertThat(got).as("%s: the page's download against explain4j attribute", method[0]).hasSize(want.length);
            for (int i = 0; i < want.length; i++) {
                assertThat(Float.floatToRawIntBits(got[i])).as("%s element %d", method[0], i)
                        .isEqualTo(Float.floatToRawIntBits(want[i]));
            }
        }
        JsonNode json = JSON.readTree(getBytes(card("kernel-shap").findElement(By.cssSelector("a.dl-json")).getDomAttribute("href")));
        assertThat(json.toString()).contains("kernel-shap");
    }

    @Test
    void showsTheMetricScoreTheServiceComputesNextToEachMethod() throws Exception {
        open("digits");
        uploadDigit();
        chooseMethods("saliency", "integrated-gradients");
        setParam("integrated-gradients", "steps", "16");
        run();
        waitDone("saliency", "integrated-gradients");
        // one plain metric and one that re-explains (the page sends the card's method for it)
        for (String metric : List.of("sparseness", "max-sensitivity")) {
            new Select(browser.driver.findElement(By.id("metric"))).selectByValue(metric);
            for (String method : List.of("saliency", "integrated-gradients")) {
                waiting().until(d -> card(method).findElement(By.cssSelector(".score")).getDomAttribute("data-value") != null
                        && card(method).findElement(By.cssSelector(".score")).getText().startsWith(metric + ":"));
                WebElement score = card(method).findElement(By.cssSelector(".score"));
                double shown = Double.parseDouble(score.getDomAttribute("data-value"));
                // the same request over HTTP: the page's instances, the job's attributions and targets
                JsonNode result = getJson("/v1/jobs/" + jobOf(method)).path("result");
                com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode();
                body.set("instances", JSON.readTree((String) js().executeScript(
                        "return JSON.stringify(window.explain4j.state.instances)")));
                var atts = body.putArray("attributions");
                var targets = JSON.createArrayNode();
                for (JsonNode e : result.path("explanations")) {
                    atts.addObject().set("attributions", e.path("data").path("attributions"));
                    targets.add(e.path("data").path("target"));
                }
                var params = body.putObject("parameters");
                params.put("metric", metric);
                params.set("target", targets);
                params.put("seed", Long.parseLong(browser.driver.findElement(By.id("seed")).getDomProperty("value")));
                if (metric.equals("max-sensitivity")) {
                    params.put("method", method);
                    if (method.equals("integrated-gradients")) {
                        params.putObject("methodParameters").put("steps", 16);
                    }
                }
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                        + "/v1/models/digits:evaluate")).POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                double want = JSON.readTree(r.body()).path("scores").get(0).asDouble();
                assertThat(shown).as("%s of %s on the page", metric, method).isEqualTo(want);
                assertThat(score.getText()).startsWith(metric + ": ");
            }
        }
        // the two methods' sparseness differ (the scores are each card's own)
        new Select(browser.driver.findElement(By.id("metric"))).selectByValue("sparseness");
        waiting().until(d -> card("saliency").findElement(By.cssSelector(".score")).getText().startsWith("sparseness:")
                && card("saliency").findElement(By.cssSelector(".score")).getDomAttribute("data-value") != null
                && card("integrated-gradients").findElement(By.cssSelector(".score")).getDomAttribute("data-value") != null);
        assertThat(card("saliency").findElement(By.cssSelector(".score")).getDomAttribute("data-value"))
                .isNotEqualTo(card("integrated-gradients").findElement(By.cssSelector(".score")).getDomAttribute("data-value"));
    }

    @Test
    void cancelsALongJob() throws Exception {
        open("digits");
        uploadDigit();
        // LIME with half a million samples: about 13 s here, in batches that each report progress (3 million,
        // about 2.5 GiB for its fit, is now refused by the per-job memory limit, a quarter of the 2 GiB heap)
        chooseMethods("lime");
        setParam("lime", "samples", "500000");
        run();
        waiting().until(d -> "running".equals(card("lime").getDomAttribute("data-state"))
                && card("lime").findElement(By.tagName("progress")).getDomProperty("value") != null
                && Double.parseDouble(card("lime").findElement(By.tagName("progress")).getDomProperty("value")) > 0);
        String job = jobOf("lime");
        JsonNode running = getJson("/v1/jobs/" + job);
        assertThat(running.path("progress").path("planned").asLong()).isGreaterThan(400_000L);
        card("lime").findElement(By.cssSelector("button.cancel")).click();
        waiting().until(d -> "cancelled".equals(card("lime").getDomAttribute("data-state")));
        assertThat(card("lime").findElement(By.cssSelector(".state")).getText()).isEqualTo("cancelled");
        JsonNode cancelled = getJson("/v1/jobs/" + job);
        assertThat(cancelled.path("state").asText()).isEqualTo("cancelled");
        assertThat(cancelled.path("progress").path("done").asLong()).isLessThan(cancelled.path("progress").path("planned").asLong());
        // The server runs one job at a time here, so a quick method finishing soon means the
        // cancelled one gave its slot back instead of running on.
        chooseMethods("saliency");
        run();
        new WebDriverWait(browser.driver, Duration.ofSeconds(40)).until(d -> "done".equals(card("saliency").getDomAttribute("data-state")));
        browser.screenshot("after-cancel");
    }

    @Test
    void tabularRowsGetBarCharts() throws Exception {
        open("mlp");
        Tensor x = Npy.read(repositoryRoot().resolve("fixtures/models/mlp_softmax_x.npy"));
        StringBuilder csv = new StringBuilder("f0,f1,f2,f3,f4,f5,f6,f7,f8,f9\n");
        for (int r = 0; r < 2; r++) {
            float[] row = x.example(r).toFloatArray();
            for (int k = 0; k < row.length; k++) {
                csv.append(k == 0 ? "" : ",").append(row[k]);
            }
            csv.append('\n');
        }
        Path file = work.resolve("rows.csv");
        Files.writeString(file, csv);
        browser.driver.findElement(By.id("file")).sendKeys(file.toAbsolutePath().toString());
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
        chooseMethods("integrated-gradients");
        run();
        waitDone("integrated-gradients");
        JsonNode result = getJson("/v1/jobs/" + jobOf("integrated-gradients")).path("result");
        for (int row = 0; row < 2; row++) {
            if (row == 1) {
                new Select(browser.driver.findElement(By.id("instance"))).selectByValue("1");
            }
            JsonNode e = result.path("explanations").get(row);
            double[] v = values(e);
            double limit = Normalization.defaults().scaleFor(v).limit();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> bars = (List<Map<String, Object>>) js().executeScript("""
                    const svg = document.querySelector("article.card[data-method='integrated-gradients'] svg.bars");
                    const mid = Number(svg.querySelector('line').getAttribute('x1'));
                    return [...svg.querySelectorAll('rect')].map((r) => ({
                      feature: Number(r.dataset.feature), x: Number(r.getAttribute('x')),
                      width: Number(r.getAttribute('width')), mid, fill: r.getAttribute('fill')}));""");
            assertThat(bars).hasSize(10);
            double maxWidth = 0;
            for (Map<String, Object> b : bars) {
                maxWidth = Math.max(maxWidth, ((Number) b.get("width")).doubleValue());
            }
            for (Map<String, Object> b : bars) {
                int f = ((Number) b.get("feature")).intValue();
                double x0 = ((Number) b.get("x")).doubleValue();
                double width = ((Number) b.get("width")).doubleValue();
                double mid = ((Number) b.get("mid")).doubleValue();
                assertThat(x0 < mid - 0.25).as("row %d feature %d (value %s) extends to the left iff negative", row, f, v[f])
                        .isEqualTo(v[f] < 0);
                assertThat(width / maxWidth).as("row %d feature %d bar length", row, f)
                        .isCloseTo(Math.min(1, Math.abs(v[f]) / limit) / Math.min(1, maxAbs(v) / limit), within(0.02));
            }
        }
        browser.screenshot("tabular");
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /** The highlighted tokens (or words) of a method's card: index, value, text and computed background. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> highlighted(String method) {
        return (List<Map<String, Object>>) js().executeScript("""
                const spans = document.querySelectorAll(`article.card[data-method='${arguments[0]}'] .text-highlight .tok`);
                return [...spans].map((s) => ({ index: Number(s.dataset.index), value: s.dataset.value,
                  text: s.textContent, bg: getComputedStyle(s).backgroundColor, special: s.classList.contains('special') }));""",
                method);
    }

    private static int[] rgbOf(String css) {
        Matcher m = Pattern.compile("rgba?\\((\\d+),\\s*(\\d+),\\s*(\\d+)").matcher(css);
        assertThat(m.find()).as("a colour: %s", css).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }

    private static void assertSpanColours(List<Map<String, Object>> spans, double[] v, Scale scale, String what) {
        assertThat(spans).as(what).hasSize(v.length);
        int coloured = 0;
        for (Map<String, Object> sp : spans) {
            int i = ((Number) sp.get("index")).intValue();
            int[] got = rgbOf((String) sp.get("bg"));
            int want = scale.rgb(v[i]);
            int[] w = {want >> 16 & 255, want >> 8 & 255, want & 255};
            for (int k = 0; k < 3; k++) {
                assertThat(got[k]).as("%s: item %d (value %s) channel %d", what, i, v[i], k).isCloseTo(w[k], within(2));
            }
            coloured += Math.abs(got[0] - got[2]) > 20 ? 1 : 0;
        }
        assertThat(coloured).as("%s: items visibly coloured", what).isGreaterThan(v.length / 3);
    }

    private static double[] valuesOf(JsonNode list) {
        double[] v = new double[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = list.get(i).get("value").asDouble();
        }
        return v;
    }

    @Test
    void textIsPredictedExplainedAndHighlightedPerTokenAndPerWord() throws Exception {
        open("bow");
        assertThat(browser.driver.findElement(By.id("tab-text")).getDomAttribute("aria-selected")).isEqualTo("true");
        String sentence = "Not good, but the acting was great.";
        browser.driver.findElement(By.id("text-input")).sendKeys(sentence);
        browser.driver.findElement(By.id("text-use")).click();
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
        // the prediction is the model's on the tokenised text: logits (-12, 3.25), so "positive" first
        assertThat(browser.driver.findElements(By.cssSelector("#prediction .classes button")).get(0).getText())
                .contains("1: positive");
        chooseMethods("feature-ablation", "layer-integrated-gradients");
        run();
        waiting().until(d -> {
            for (String m : List.of("feature-ablation", "layer-integrated-gradients")) {
                List<WebElement> c = d.findElements(By.cssSelector("article.card[data-method='" + m + "']"));
                if (!c.isEmpty() && "failed".equals(c.get(0).getDomAttribute("data-state"))) {
                    throw new AssertionError(m + " failed: " + c.get(0).getText());
                }
                if (c.isEmpty() || c.get(0).findElements(By.cssSelector(".text-highlight .tok")).isEmpty()) {
                    return false;
                }
            }
            return true;
        });
        JsonNode cases = JSON.readTree(repositoryRoot().resolve("fixtures/text/bow_cases.json").toFile()).get("cases");
        JsonNode known = cases.get(1);
        assertThat(known.get("text").asText()).isEqualTo(sentence);
        for (String m : List.of("feature-ablation", "layer-integrated-gradients")) {
            JsonNode data = explanation(jobOf(m)).path("data");
            double[] v = valuesOf(data.get("tokens"));
            List<Map<String, Object>> spans = highlighted(m);
            assertSpanColours(spans, v, Normalization.defaults().scaleFor(v), m + " tokens");
            for (Map<String, Object> sp : spans) {
                int i = ((Number) sp.get("index")).intValue();
                JsonNode t = data.get("tokens").get(i);
                assertThat(Double.parseDouble((String) sp.get("value"))).isEqualTo(v[i]);
                // a span covers the token's own characters of the typed text; [CLS] and [SEP] are chips
                assertThat((String) sp.get("text")).isEqualTo(t.get("special").asBoolean() ? t.get("token").asText()
                        : sentence.substring(t.get("start_utf16").asInt(), t.get("end_utf16").asInt()));
                assertThat(sp.get("special")).isEqualTo(t.get("special").asBoolean());
            }
        }
        // the absolute view: |values| on the magnitude ramp with the heatmaps' limit
        new Select(browser.driver.findElement(By.id("mode"))).selectByValue("absolute");
        JsonNode fa = explanation(jobOf("feature-ablation")).path("data");
        double[] tokens = valuesOf(fa.get("tokens"));
        double[] abs = java.util.Arrays.stream(tokens).map(Math::abs).toArray();
        assertSpanColours(highlighted("feature-ablation"), abs,
                Normalization.defaults().withMode(SignMode.ABSOLUTE).scaleFor(abs), "feature-ablation absolute");
        new Select(browser.driver.findElement(By.id("mode"))).selectByValue("signed");
        // per word: the words' spans, coloured by their values, which on the bag of words are the known weights
        new Select(browser.driver.findElement(By.id("text-units"))).selectByValue("words");
        double[] words = valuesOf(fa.get("words"));
        double[] expected = new double[known.get("expected_words").get("mask").size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = known.get("expected_words").get("mask").get(i).asDouble();
        }
        assertThat(words).containsExactly(expected, within(1e-5));
        List<Map<String, Object>> wordSpans = highlighted("feature-ablation");
        assertSpanColours(wordSpans, words, Normalization.defaults().scaleFor(words), "feature-ablation words");
        for (Map<String, Object> sp : wordSpans) {
            int i = ((Number) sp.get("index")).intValue();
            assertThat((String) sp.get("text")).isEqualTo(fa.get("words").get(i).get("text").asText());
        }
        // keyboard: focus a word, move right with the arrow key, the readout shows that word's value
        WebElement firstWord = card("feature-ablation").findElement(By.cssSelector(".text-highlight .tok[data-index='0']"));
        js().executeScript("arguments[0].focus();", firstWord);
        WebElement readout = card("feature-ablation").findElement(By.cssSelector(".readout"));
        waiting().until(d -> "0".equals(readout.getDomAttribute("data-index")));
        assertThat(Double.parseDouble(readout.getDomAttribute("data-value"))).isEqualTo(words[0]);
        firstWord.sendKeys(Keys.ARROW_RIGHT);
        waiting().until(d -> "1".equals(readout.getDomAttribute("data-index")));
        assertThat(Double.parseDouble(readout.getDomAttribute("data-value"))).isEqualTo(words[1]);
        assertThat(readout.getText()).contains(fa.get("words").get(1).get("text").asText());
        assertThat(js().executeScript("return document.activeElement.dataset.index")).isEqualTo("1");
        // hover: the pointer over the fourth word shows its value
        WebElement fourth = card("feature-ablation").findElement(By.cssSelector(".text-highlight .tok[data-index='3']"));
        new Actions(browser.driver).moveToElement(fourth).perform();
        waiting().until(d -> "3".equals(readout.getDomAttribute("data-index")));
        assertThat(Double.parseDouble(readout.getDomAttribute("data-value"))).isEqualTo(words[3]);
        browser.screenshot("text");
        new Select(browser.driver.findElement(By.id("text-units"))).selectByValue("tokens");
    }

    @Test
    void textOnAModelWithoutATokenizerSaysTheCardNeedsOne() {
        open("digits");
        browser.driver.findElement(By.id("tab-text")).click();
        browser.driver.findElement(By.id("text-input")).sendKeys("a short sentence");
        browser.driver.findElement(By.id("text-use")).click();
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .error")).isEmpty());
        assertThat(browser.driver.findElement(By.cssSelector("#prediction .error")).getText())
                .startsWith("Text: instances[0] is text, but the card of model 'digits' names no tokenizer")
                .contains("\"tokenizer\"");
    }

    @Test
    void everyControlHasAnAccessibleName() {
        open("digits");
        @SuppressWarnings("unchecked")
        List<String> unnamed = (List<String>) js().executeScript("""
                const named = (e) => e.getAttribute('aria-label') || (e.id && document.querySelector(`label[for="${e.id}"]`))
                  || e.closest('label') || (e.tagName === 'BUTTON' && e.textContent.trim());
                return [...document.querySelectorAll('input, select, textarea, button')]
                  .filter((e) => !named(e)).map((e) => e.outerHTML.slice(0, 80));""");
        assertThat(unnamed).isEmpty();
        // the file picker is reachable with the keyboard
        @SuppressWarnings("unchecked")
        List<String> order = (List<String>) js().executeScript(
                "return [...document.querySelectorAll('select, input, button, textarea, a, [tabindex]')]"
                        + ".filter((e) => e.tabIndex >= 0 && !e.disabled && e.offsetParent !== null).map((e) => e.id);");
        assertThat(order).contains("model", "file", "run", "opacity", "mode", "cmap");
    }
}
