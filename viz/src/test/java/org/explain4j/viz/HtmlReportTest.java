package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.Attribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    static {
        Fixtures.headless();
    }

    private static final String EVIL = "<script>alert('x')</script>";

    private static HtmlReport report() {
        Attribution ig = Fixtures.attribution("integrated-gradients", Fixtures.signedAttribution());
        Attribution lime = Fixtures.limeAttribution(Fixtures.signedAttribution());
        GridPicture grid = ExplanationGrid.of(Fixtures.digits(), List.of(ig), List.of("pred: seven", EVIL),
                GridOptions.defaults().withCellSize(48));
        FeatureBarChart bars = FeatureBarChart.of(List.of("f0", "f1", "f2"), new double[] {0.2, -0.1, 0.05},
                BarChartOptions.defaults());
        HighlightedText text = HighlightedText.of(List.of("a", EVIL), new double[] {0.3, -0.2}, TextOptions.defaults());
        return HtmlReport.builder("Report " + EVIL)
                .model(ig.provenance())
                .inputSummary("2 images " + EVIL)
                .addPredictions(new TopPredictions("#0", List.of(new Prediction("seven", 0.98), new Prediction(EVIL, 0.01))))
                .overview(Figure.of(grid, "all methods " + EVIL))
                .addSection(MethodSection.of(ig, "Integrates gradients " + EVIL, Figure.of(grid, "IG"),
                        "explain4j attribute --method integrated-gradients --input \"x.npy\" " + EVIL))
                .addSection(MethodSection.of(lime, "LIME", Figure.of(bars, "bars"), "explain4j attribute --method lime --seed 7"))
                .addSection(new MethodSection("text", "", Figure.of(text), ig, "cmd"))
                .build();
    }

    @Test
    void html_isOneSelfContainedFile_withEveryImageInlined(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("report.html");
        report().write(file);
        try (var files = Files.list(dir)) {
            assertThat(files).as("one file, nothing beside it").containsExactly(file);
        }
        String html = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<meta charset=\"utf-8\">", "<style>");
        assertThat(html).doesNotContainIgnoringCase("http://").doesNotContainIgnoringCase("https://");
        assertThat(html).doesNotContainIgnoringCase("<link").doesNotContainIgnoringCase("<script")
                .doesNotContainIgnoringCase("href=").doesNotContainIgnoringCase("@import").doesNotContainIgnoringCase("url(");
        Matcher m = Pattern.compile("(?i)src\\s*=\\s*\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            assertThat(m.group(1)).as("every src is a data: URI").matches("data:image/(png|svg\\+xml);base64,[A-Za-z0-9+/=]+");
            images++;
        }
        assertThat(images).as("overview, IG grid and the SVG bar chart").isEqualTo(3);
        List<Pixels.Embedded> embedded = Pixels.embedded(html);
        assertThat(embedded).extracting(Pixels.Embedded::type).as("embedded image types")
                .containsExactly("png", "png", "svg+xml");
        assertThat(embedded.get(0).png().getWidth()).as("overview PNG decodes to a picture").isGreaterThan(100);
        assertThat(embedded.get(1).png().getWidth()).as("IG grid PNG decodes to a picture").isGreaterThan(100);
        assertThat(embedded.get(2).text()).as("embedded SVG").contains("<svg");
        assertThat(Pattern.compile("(?i)\\ssrc\\s*=").matcher(html).results().count()).isEqualTo(3);
    }

    @Test
    void prediction_rowLabel_statesLabelAndProbability() {
        assertThat(new Prediction("seven", 0.9812).rowLabel()).isEqualTo("pred: seven (p=0.98)");
    }

    @Test
    void callerText_isEscapedEverywhere() {
        String html = report().toHtml();
        assertThat(html).doesNotContain(EVIL);
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assertThat(html).contains("<title>Report &lt;script&gt;");
        assertThat(html).contains("--input &quot;x.npy&quot;");
    }

    @Test
    void html_statesModelPredictionsAndDiagnostics() {
        String html = report().toHtml();
        assertThat(html).contains("digits-cnn", "<code title=\"" + Fixtures.SHA + "\">3f5a9c0e1b2d\u2026</code>");
        assertThat(html).doesNotContain(">" + Fixtures.SHA + "<");
        assertThat(html).contains("seven 98.0%");
        assertThat(html).contains("<h2>integrated-gradients</h2>", "<h2>lime</h2>");
        assertThat(html).contains("completeness gap</th><td>max |gap| 2.00e-06; per example [1.50e-06, -2.00e-06]");
        assertThat(html).contains("model evaluations</th><td>120", "time</th><td>42 ms", "none (deterministic)");
        assertThat(html).contains("surrogate R\u00b2</th><td>mean 0.875, min 0.84", "seed</th><td>7", "1.30 s");
        assertThat(html).contains("classes [7, 1] (one per example)", "steps=64");
        assertThat(html).contains("<pre><code>explain4j attribute --method lime --seed 7</code></pre>");
    }
}
