package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.Attribution;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Writes example pictures and a report under {@code viz/target/samples/} for a person to look at
 * ({@code digits-grid.png}, {@code digits-overlay.png}, {@code heatmap-legend.png},
 * {@code features.png}, {@code features.svg}, {@code text.html}, {@code report.html}), and reads
 * each back: the files decode to what was rendered, and the colours sit where the attributions
 * put them (signed map: the largest attribution dark red, negative ones blue).
 */
class SampleOutputsTest {
    static {
        Fixtures.headless();
    }

    static final Path DIR = Path.of("target", "samples");
    private static final List<String> FEATURES = List.of("age", "income", "debt ratio", "tenure (months)",
            "open accounts", "late payments", "region", "utilisation");
    private static final double[] FEATURE_VALUES = {0.12, -0.31, 0.27, 0.04, -0.08, -0.22, 0.01, 0.18};

    private final Tensor x = Fixtures.digits();
    private final Attribution saliency = Fixtures.attribution("saliency", Fixtures.saliency());
    private final Attribution ig = Fixtures.attribution("integrated-gradients", Fixtures.signedAttribution());
    private final Attribution cam = Fixtures.attribution("grad-cam", Fixtures.layerMap());
    private final Prediction seven = new Prediction("seven", 0.98);
    private final Prediction one = new Prediction("one", 0.91);
    private final List<String> labels = List.of("#0\n" + seven.rowLabel(), "#1\n" + one.rowLabel());

    private GridPicture grid() {
        return ExplanationGrid.of(x, List.of(saliency, ig, cam), labels, GridOptions.defaults());
    }

    private GridPicture overlay() {
        return ExplanationGrid.of(x, List.of(ig, cam), labels, GridOptions.defaults()
                .withStyle(GridOptions.CellStyle.OVERLAY).withHeatmap(HeatmapOptions.defaults().withSharing(ScaleSharing.SHARED)));
    }

    private FeatureBarChart bars() {
        return FeatureBarChart.of(FEATURES, FEATURE_VALUES, BarChartOptions.defaults().withTopK(6)
                .withTitle("Kernel SHAP, applicant #17"));
    }

    private HighlightedText text() {
        return HighlightedText.of(
                List.of("[CLS]", "the", "play", "##wright", "##s", "latest", "work", "is", "un", "##watch", "##able", "[SEP]"),
                new double[] {0.0, 0.01, 0.05, 0.02, 0.01, 0.03, -0.02, 0.0, -0.4, -0.25, -0.3, 0.0},
                TextOptions.defaults().withScheme(SubwordScheme.WORDPIECE));
    }

    /** The index of the largest (sign = 1) or smallest (sign = -1) value of example n of an 8x8 map. */
    private static int extreme(Tensor map, int n, int sign) {
        int best = 0;
        for (int i = 1; i < 64; i++) {
            if (sign * map.getDouble(n * 64 + i) > sign * map.getDouble(n * 64 + best)) {
                best = i;
            }
        }
        return best;
    }

    /** The colour of the decoded grid at the centre of input pixel i (row-major 8x8) of cell (row, col). */
    private static int cellPixel(BufferedImage img, GridPicture.Layout l, int row, int col, int i) {
        int w = l.cellWidth();
        int h = l.cellHeight();
        return img.getRGB(l.cellX(col) + (i % 8) * w / 8 + w / 16, l.cellY(row) + (i / 8) * h / 8 + h / 16) & 0xffffff;
    }

    @Test
    void digitsGrid_png_decodesToTheRenderedGrid_largestAttributionRed_negativeBlue() {
        GridPicture grid = grid();
        Path file = DIR.resolve("digits-grid.png");
        grid.writePng(file);
        BufferedImage img = Pixels.readPng(file);
        GridPicture.Layout l = grid.layout();
        assertThat(img.getWidth()).as("width, expected the layout's").isEqualTo(l.width());
        assertThat(img.getHeight()).as("height, expected the layout's").isEqualTo(l.height());
        Pixels.assertSamePixels("digits-grid.png", img, grid.render());
        Tensor a = ig.values();
        for (int n = 0; n < 2; n++) {
            int max = extreme(a, n, 1);
            int min = extreme(a, n, -1);
            assertThat(a.getDouble(n * 64 + min)).as("fixture: example %d has a negative attribution", n).isNegative();
            // column 2 is integrated gradients (after the input and saliency)
            int hot = cellPixel(img, l, n, 2, max);
            assertThat(Pixels.red(hot)).as("example %d, largest attribution at %d: %s, expected red", n, max, Pixels.hex(hot))
                    .isTrue();
            assertThat(hot).as("largest attribution at full scale: the diverging map's end, dark red")
                    .isEqualTo(ColorMap.diverging().rgb(1.0));
            int cold = cellPixel(img, l, n, 2, min);
            assertThat(Pixels.bluish(cold)).as("example %d, most negative attribution at %d: %s, expected blue", n, min,
                    Pixels.hex(cold)).isTrue();
            // saliency (column 1) is non-negative: its largest value is red too
            int sal = cellPixel(img, l, n, 1, extreme(saliency.values(), n, 1));
            assertThat(Pixels.red(sal)).as("example %d, largest saliency: %s, expected red", n, Pixels.hex(sal)).isTrue();
        }
    }

    @Test
    void digitsOverlay_png_decodesToTheRenderedGrid_strokeRedOverTheInput() {
        GridPicture overlay = overlay();
        Path file = DIR.resolve("digits-overlay.png");
        overlay.writePng(file);
        BufferedImage img = Pixels.readPng(file);
        Pixels.assertSamePixels("digits-overlay.png", img, overlay.render());
        GridPicture.Layout l = overlay.layout();
        for (int n = 0; n < 2; n++) {
            int max = extreme(ig.values(), n, 1);
            int hot = cellPixel(img, l, n, 1, max);
            assertThat(Pixels.red(hot)).as("overlay, example %d, largest attribution: %s, expected red", n, Pixels.hex(hot))
                    .isTrue();
            // a zero attribution leaves the faded grey input visible: r = g = b
            int zero = -1;
            for (int i = 0; i < 64 && zero < 0; i++) {
                zero = ig.values().getDouble(n * 64 + i) == 0.0 ? i : -1;
            }
            assertThat(zero).as("fixture: example %d has a zero attribution", n).isNotNegative();
            int grey = cellPixel(img, l, n, 1, zero);
            assertThat(Pixels.r(grey)).as("overlay at a zero attribution: %s, expected grey", Pixels.hex(grey))
                    .isEqualTo(Pixels.g(grey)).isEqualTo(Pixels.b(grey));
        }
    }

    @Test
    void heatmapWithLegend_png_hasTheHeatmapThenABlueToRedColourBar() {
        Plane map = Plane.ofBatchExample(ig.values(), 0, ChannelReduction.SUM);
        Scale scale = Normalization.defaults().scaleFor(map.values());
        BufferedImage picture = Heatmaps.withLegend(Heatmaps.render(map, scale, 160, 160, Interpolation.NEAREST), scale);
        Path file = DIR.resolve("heatmap-legend.png");
        Pictures.writePng(picture, file);
        BufferedImage img = Pixels.readPng(file);
        Pixels.assertSamePixels("heatmap-legend.png", img, picture);
        int left = (img.getWidth() - 160) / 2;
        int max = extreme(ig.values(), 0, 1);
        int hot = img.getRGB(left + (max % 8) * 20 + 10, 8 + (max / 8) * 20 + 10) & 0xffffff;
        assertThat(hot).as("heatmap pixel of the largest attribution, expected the map's dark red")
                .isEqualTo(ColorMap.diverging().rgb(1.0));
        // below the heatmap: the colour bar, blue on the left (negative), red on the right (positive)
        int lastBlue = -1;
        int firstRed = Integer.MAX_VALUE;
        for (int y = 8 + 160; y < img.getHeight(); y++) {
            for (int xx = 0; xx < img.getWidth(); xx++) {
                int c = img.getRGB(xx, y);
                if (Pixels.blue(c)) {
                    lastBlue = Math.max(lastBlue, xx);
                }
                if (Pixels.red(c)) {
                    firstRed = Math.min(firstRed, xx);
                }
            }
        }
        assertThat(lastBlue).as("the colour bar has blue").isNotNegative();
        assertThat(firstRed).as("the colour bar has red").isLessThan(Integer.MAX_VALUE);
        assertThat(lastBlue).as("blue (negative) left of red (positive) in the colour bar").isLessThan(firstRed);
    }

    @Test
    void featureChart_pngAndSvg_showTheTopSixFeaturesInRedAndBlue() throws Exception {
        FeatureBarChart bars = bars();
        bars.writePng(DIR.resolve("features.png"));
        bars.writeSvg(DIR.resolve("features.svg"));
        assertThat(bars.bars()).extracting(FeatureBar::name).as("top 6 by |value|, largest first")
                .containsExactly("income", "debt ratio", "late payments", "utilisation", "age", "open accounts");
        String svg = Files.readString(DIR.resolve("features.svg"));
        assertThat(svg).as("features.svg").startsWith("<").contains("<svg")
                .contains("income", "debt ratio", "late payments", "utilisation", "age", "open accounts")
                .doesNotContain("tenure (months)").doesNotContain(">region<");
        BufferedImage png = Pixels.readPng(DIR.resolve("features.png"));
        assertThat(png.getHeight()).as("features.png height, expected the chart's").isEqualTo(bars.height());
        int red = 0;
        int blue = 0;
        for (int y = 0; y < png.getHeight(); y++) {
            for (int xx = 0; xx < png.getWidth(); xx++) {
                red += Pixels.red(png.getRGB(xx, y)) ? 1 : 0;
                blue += Pixels.blue(png.getRGB(xx, y)) ? 1 : 0;
            }
        }
        // three positive and three negative bars of comparable length
        assertThat(red).as("red (positive) bar pixels").isGreaterThan(200);
        assertThat(blue).as("blue (negative) bar pixels").isGreaterThan(200);
    }

    @Test
    void highlightedText_html_mergesWordPiecesAndColoursNegativeWordsBlue() throws Exception {
        text().writeHtml(DIR.resolve("text.html"), "Sentiment: negative (p=0.93)");
        String html = Files.readString(DIR.resolve("text.html"));
        assertThat(html).as("text.html").contains("<h1>Sentiment: negative (p=0.93)</h1>");
        int unwatchable = background(html, "unwatchable");
        int playwrights = background(html, "playwrights");
        assertThat(Pixels.blue(unwatchable)).as("unwatchable (-0.95, the most negative word): %s, expected blue",
                Pixels.hex(unwatchable)).isTrue();
        assertThat(unwatchable).as("the most negative word at full scale, expected the map's dark blue")
                .isEqualTo(ColorMap.diverging().rgb(0.0));
        assertThat(Pixels.r(playwrights)).as("playwrights (+0.08): %s, expected on the red side", Pixels.hex(playwrights))
                .isGreaterThan(Pixels.b(playwrights));
        assertThat(html).as("word pieces shown as words").doesNotContain("##");
    }

    /** The background colour of the span holding exactly {@code word}. */
    private static int background(String html, String word) {
        Matcher m = Pattern.compile("background-color:#([0-9a-f]{6})[^>]*>" + Pattern.quote(word) + "</span>").matcher(html);
        assertThat(m.find()).as("a span holding '%s'", word).isTrue();
        return Integer.parseInt(m.group(1), 16);
    }

    @Test
    void report_html_hasEverySectionAndEmbeddedPicturesThatDecodeToTheFigures() throws Exception {
        GridPicture grid = grid();
        GridPicture overlay = overlay();
        FeatureBarChart bars = bars();
        Attribution lime = Fixtures.limeAttribution(Fixtures.signedAttribution());
        HtmlReport.builder("Digits CNN: why seven and one?")
                .model(ig.provenance())
                .inputSummary("2 grayscale images, shape (2, 1, 8, 8), values in [0, 16] (scikit-learn digits).")
                .addPredictions(new TopPredictions("#0", List.of(seven, new Prediction("one", 0.01))))
                .addPredictions(new TopPredictions("#1", List.of(one, new Prediction("seven", 0.06))))
                .overview(Figure.of(grid, "Saliency, integrated gradients and Grad-CAM, each on its own scale"))
                .addSection(MethodSection.of(ig, "Integrated gradients (Sundararajan et al., 2017): the path integral "
                        + "of gradients from a zero baseline to the input, times the input difference.",
                        Figure.of(overlay, "Integrated gradients over the input"),
                        "./explain4j attribute --model digits.onnx --input x.npy --method integrated-gradients --target 7,1"))
                .addSection(MethodSection.of(lime, "LIME (Ribeiro et al., 2016): a weighted ridge surrogate on random coalitions.",
                        Figure.of(bars, "Top features"),
                        "./explain4j attribute --model digits.onnx --input x.npy --method lime --samples 500 --seed 7"))
                .addSection(new MethodSection("Token attributions", "Word pieces grouped into words; values summed.",
                        Figure.of(text()), ig, "./explain4j attribute --method integrated-gradients ..."))
                .build()
                .write(DIR.resolve("report.html"));
        String html = Files.readString(DIR.resolve("report.html"));
        assertThat(html).as("report.html: three method sections").contains("<section id=\"method-1\">",
                "<section id=\"method-2\">", "<section id=\"method-3\">").doesNotContain("<section id=\"method-4\">");
        assertThat(html).as("report.html: each section's command").contains(
                "--method integrated-gradients --target 7,1", "--method lime --samples 500 --seed 7");
        assertThat(html).as("report.html: the model's SHA-256 prefix").contains(Fixtures.SHA.substring(0, 12));
        assertThat(html).as("report.html: the highlighted words").contains(">unwatchable</span>");
        assertThat(html).as("report.html: self-contained").doesNotContain("http://", "https://");
        List<Pixels.Embedded> images = Pixels.embedded(html);
        assertThat(images).extracting(Pixels.Embedded::type).as("embedded images: overview, overlay, bar chart")
                .containsExactly("png", "png", "svg+xml");
        Pixels.assertSamePixels("report overview", images.get(0).png(), grid.render());
        Pixels.assertSamePixels("report integrated-gradients figure", images.get(1).png(), overlay.render());
        assertThat(images.get(2).text()).as("embedded bar chart SVG").contains("<svg").contains("income");
        System.out.println("viz samples written to " + DIR.toAbsolutePath());
    }
}
