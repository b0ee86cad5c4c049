package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Writes example pictures and a report under {@code viz/target/samples/} for a person to look at:
 * {@code digits-grid.png}, {@code digits-overlay.png}, {@code heatmap-legend.png},
 * {@code features.png}, {@code features.svg}, {@code text.html} and {@code report.html}.
 */
class SampleOutputsTest {
    static {
        Fixtures.headless();
    }

    static final Path DIR = Path.of("target", "samples");

    @Test
    void writesSamplePicturesAndReport() throws Exception {
        Tensor x = Fixtures.digits();
        Attribution saliency = Fixtures.attribution("saliency", Fixtures.saliency());
        Attribution ig = Fixtures.attribution("integrated-gradients", Fixtures.signedAttribution());
        Attribution cam = Fixtures.attribution("grad-cam", Fixtures.layerMap());
        Attribution lime = Fixtures.limeAttribution(Fixtures.signedAttribution());
        Prediction seven = new Prediction("seven", 0.98);
        Prediction one = new Prediction("one", 0.91);
        List<String> labels = List.of("#0\n" + seven.rowLabel(), "#1\n" + one.rowLabel());

        GridPicture grid = ExplanationGrid.of(x, List.of(saliency, ig, cam), labels, GridOptions.defaults());
        grid.writePng(DIR.resolve("digits-grid.png"));
        GridPicture overlay = ExplanationGrid.of(x, List.of(ig, cam), labels, GridOptions.defaults()
                .withStyle(GridOptions.CellStyle.OVERLAY).withHeatmap(HeatmapOptions.defaults().withSharing(ScaleSharing.SHARED)));
        overlay.writePng(DIR.resolve("digits-overlay.png"));

        Plane map = Plane.ofBatchExample(ig.values(), 0, ChannelReduction.SUM);
        Scale scale = Normalization.defaults().scaleFor(map.values());
        Pictures.writePng(Heatmaps.withLegend(Heatmaps.render(map, scale, 160, 160, Interpolation.NEAREST), scale),
                DIR.resolve("heatmap-legend.png"));

        List<String> features = List.of("age", "income", "debt ratio", "tenure (months)", "open accounts",
                "late payments", "region", "utilisation");
        double[] values = {0.12, -0.31, 0.27, 0.04, -0.08, -0.22, 0.01, 0.18};
        FeatureBarChart bars = FeatureBarChart.of(features, values, BarChartOptions.defaults().withTopK(6)
                .withTitle("Kernel SHAP, applicant #17"));
        bars.writePng(DIR.resolve("features.png"));
        bars.writeSvg(DIR.resolve("features.svg"));

        HighlightedText text = HighlightedText.of(
                List.of("[CLS]", "the", "play", "##wright", "##s", "latest", "work", "is", "un", "##watch", "##able", "[SEP]"),
                new double[] {0.0, 0.01, 0.05, 0.02, 0.01, 0.03, -0.02, 0.0, -0.4, -0.25, -0.3, 0.0},
                TextOptions.defaults().withScheme(SubwordScheme.WORDPIECE));
        text.writeHtml(DIR.resolve("text.html"), "Sentiment: negative (p=0.93)");

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
                        Figure.of(text), ig, "./explain4j attribute --method integrated-gradients ..."))
                .build()
                .write(DIR.resolve("report.html"));

        for (String f : List.of("digits-grid.png", "digits-overlay.png", "heatmap-legend.png", "features.png",
                "features.svg", "text.html", "report.html")) {
            assertThat(Files.size(DIR.resolve(f))).as(f).isGreaterThan(500);
        }
        System.out.println("viz samples written to " + DIR.toAbsolutePath());
    }
}
