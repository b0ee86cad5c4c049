package org.explain4j.serve.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page's form for a model with several inputs (serve/src/main/resources/web/inputs.js) in a real
 * headless Chromium, on fixtures/models/gated_mlp ({@code output = fc2(relu(fc1(x * mask)))}: a
 * float input {@code x} that is explained and an int64 {@code mask} that is fed). The request the page
 * sends and the bars it draws are compared with {@code :explain} posted directly on the same arrays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiInputUiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int[] MASK = {1, 1, 0, 1, 1, 1};

    private Path work;
    private Path fixtures;
    private UiServer server;
    private Browser browser;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        work = Files.createDirectories(Path.of("target", "ui-multi-input"));
        Path models = Files.createDirectories(work.resolve("models"));
        fixtures = WebUiTest.repositoryRoot().resolve("fixtures/models");
        Files.copy(fixtures.resolve("gated_mlp.onnx"), models.resolve("gated.onnx"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(models.resolve("gated.json"), JSON.writeValueAsString(Map.of(
                "labels", List.of("low", "mid", "high"), "kind", "tabular",
                "featureNames", List.of("a", "b", "c", "d", "e", "f"))));
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

    private JavascriptExecutor js() {
        return browser.driver;
    }

    private WebDriverWait waiting() {
        return new WebDriverWait(browser.driver, WAIT);
    }

    private void open() {
        browser.driver.get(server.baseUrl() + "/");
        new WebDriverWait(browser.driver, Duration.ofSeconds(30)).until(d -> "true".equals(
                d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
        new Select(browser.driver.findElement(By.id("model"))).selectByValue("gated");
        waiting().until(d -> !d.findElements(By.cssSelector("#multi-inputs fieldset")).isEmpty());
    }

    /** Row 0 of the fixture's x, as the page and the direct request send it. */
    private float[] row0() {
        return Npy.read(fixtures.resolve("gated_mlp_x.npy")).example(0).toFloatArray();
    }

    private JsonNode explainDirectly(JsonNode x) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode inputs = body.putArray("instances").addObject().putObject("inputs");
        inputs.set("x", x);
        ArrayNode m = inputs.putArray("mask");
        for (int v : MASK) {
            m.add(v);
        }
        body.putObject("parameters").put("method", "integrated-gradients").put("steps", 16);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                + "/v1/models/gated:explain")).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private void runIntegratedGradients() {
        for (WebElement box : browser.driver.findElements(By.cssSelector("input[name=method]:checked"))) {
            box.click();
        }
        browser.driver.findElement(By.id("m-integrated-gradients")).click();
        WebElement steps = browser.driver.findElement(By.id("p-integrated-gradients-steps"));
        steps.clear();
        steps.sendKeys("16");
        browser.driver.findElement(By.id("run")).click();
        waiting().until(d -> {
            List<WebElement> c = d.findElements(By.cssSelector("article.card[data-method='integrated-gradients']"));
            if (!c.isEmpty() && "failed".equals(c.get(0).getDomAttribute("data-state"))) {
                throw new AssertionError("the job failed: " + c.get(0).getText());
            }
            return !c.isEmpty() && "done".equals(c.get(0).getDomAttribute("data-state"))
                    && !c.get(0).findElements(By.cssSelector("svg.bars")).isEmpty();
        });
    }

    /** The values the page drew, by feature, from its bars' data-value. */
    @SuppressWarnings("unchecked")
    private double[] drawnBars() {
        List<Map<String, Object>> bars = (List<Map<String, Object>>) js().executeScript("""
                const svg = document.querySelector("article.card[data-method='integrated-gradients'] svg.bars");
                return [...svg.querySelectorAll('rect')].map((r) => ({feature: Number(r.dataset.feature),
                  value: Number(r.dataset.value)}));""");
        double[] v = new double[bars.size()];
        for (Map<String, Object> b : bars) {
            v[((Number) b.get("feature")).intValue()] = ((Number) b.get("value")).doubleValue();
        }
        return v;
    }

    private static double[] attributions(JsonNode explainResponse) {
        JsonNode a = explainResponse.path("explanations").get(0).path("data").path("attributions");
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    @Test
    void showsOneFieldPerInputAndMarksTheExplainedOne() {
        open();
        List<WebElement> sets = browser.driver.findElements(By.cssSelector("#multi-inputs fieldset"));
        assertThat(sets).extracting(s -> s.getDomAttribute("data-input")).containsExactly("x", "mask");
        assertThat(sets).extracting(s -> s.getDomAttribute("data-role")).containsExactly("explained", "fed");
        assertThat(sets.get(0).findElement(By.tagName("legend")).getText()).isEqualTo("x (6) float32 — explained");
        assertThat(sets.get(1).findElement(By.tagName("legend")).getText()).isEqualTo("mask (6) int64 — fed as given");
        assertThat(browser.driver.findElement(By.id("mi-explained")).getText()).contains("explains x");
        // every control has a label
        for (WebElement c : browser.driver.findElements(By.cssSelector("#multi-inputs input, #multi-inputs textarea"))) {
            assertThat(browser.driver.findElements(By.cssSelector("label[for='" + c.getDomAttribute("id") + "']")))
                    .as("label of %s", c.getDomAttribute("id")).hasSize(1);
        }
        // a count that does not fit the shape is refused in the page, naming the input
        browser.driver.findElement(By.id("mi-x-text")).sendKeys("1 2 3");
        browser.driver.findElement(By.id("mi-mask-text")).sendKeys("1 1 1 1 1 1");
        browser.driver.findElement(By.id("mi-use")).click();
        waiting().until(d -> d.findElement(By.id("status")).getText().contains("input x: 3 values"));
        // one single-model page is unchanged: the form is hidden for one input (checked by WebUiTest's pages)
        assertThat(js().executeScript("return window.explain4j.state.instances.length")).isEqualTo(0L);
    }

    @Test
    void anNpyAndTypedNumbersAreSentAsInputsAndExplainedAsTheApiExplainsThem() throws Exception {
        open();
        float[] x = row0();
        // x as an .npy file of one example, the mask typed in
        Path npy = work.resolve("x0.npy");
        Npy.write(Tensor.ofFloats(x, 6), npy);
        browser.driver.findElement(By.id("mi-x-file")).sendKeys(npy.toAbsolutePath().toString());
        browser.driver.findElement(By.id("mi-mask-text")).sendKeys("1, 1, 0, 1, 1, 1");
        browser.driver.findElement(By.id("mi-use")).click();
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
        // the instance the page holds is the API's multi-input form
        JsonNode instance = JSON.valueToTree(js().executeScript("return window.explain4j.state.instances[0]"));
        assertThat(instance.path("inputs").path("x").path("format").asText()).isEqualTo("npy");
        assertThat(instance.path("inputs").path("x").path("b64").asText())
                .isEqualTo(java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(npy)));
        assertThat(instance.path("inputs").path("mask").toString()).isEqualTo("[1,1,0,1,1,1]");
        // the prediction is PyTorch's for row 0 with its mask (the fixture's expected output)
        float[] expected = Npy.read(fixtures.resolve("gated_mlp_expected.npy")).example(0).toFloatArray();
        int top = 0;
        for (int k = 1; k < expected.length; k++) {
            top = expected[k] > expected[top] ? k : top;
        }
        String[] labels = {"low", "mid", "high"};
        assertThat(browser.driver.findElement(By.cssSelector("#prediction .classes button")).getText())
                .contains(labels[top]);

        runIntegratedGradients();
        JsonNode request = JSON.valueToTree(js().executeScript(
                "return window.explain4j.state.cards.find((c) => c.method === 'integrated-gradients').request"));
        assertThat(request.path("instances")).hasSize(1);
        assertThat(request.path("instances").get(0)).isEqualTo(instance);
        String job = browser.driver.findElement(By.cssSelector("article.card[data-method='integrated-gradients']"))
                .getDomAttribute("data-job");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/jobs/" + job)).build(),
                HttpResponse.BodyHandlers.ofString());
        double[] fromJob = attributions(JSON.readTree(r.body()).path("result"));

        // the same arrays posted to :explain directly (x as numbers): the same attributions, bit for bit
        ArrayNode xs = JSON.createArrayNode();
        for (float v : x) {
            xs.add(v);
        }
        double[] direct = attributions(explainDirectly(xs));
        assertThat(fromJob).containsExactly(direct);
        // the masked feature gets no attribution: the mask was fed, not ones
        assertThat(direct[2]).isEqualTo(0.0);
        assertThat(direct[0]).isNotEqualTo(0.0);
        // and the page drew those values, one bar per feature
        assertThat(drawnBars()).containsExactly(direct);
        browser.screenshot("multi-input");
    }

    @Test
    void numbersTypedForEveryInputGiveTheSameExplanation() throws Exception {
        open();
        float[] x = row0();
        StringBuilder text = new StringBuilder();
        for (float v : x) {
            text.append(v).append(' ');
        }
        browser.driver.findElement(By.id("mi-x-text")).sendKeys(text.toString());
        browser.driver.findElement(By.id("mi-mask-text")).sendKeys("1 1 0 1 1 1");
        browser.driver.findElement(By.id("mi-use")).click();
        waiting().until(d -> !d.findElements(By.cssSelector("#prediction .classes button")).isEmpty());
        runIntegratedGradients();
        JsonNode sent = JSON.valueToTree(js().executeScript(
                "return window.explain4j.state.cards.find((c) => c.method === 'integrated-gradients').request.instances[0]"));
        assertThat(sent.path("inputs").path("x")).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat((float) sent.path("inputs").path("x").get(i).asDouble()).isEqualTo(x[i]);
        }
        ArrayNode xs = JSON.createArrayNode();
        for (float v : x) {
            xs.add(v);
        }
        assertThat(drawnBars()).containsExactly(attributions(explainDirectly(xs)));
    }
}
