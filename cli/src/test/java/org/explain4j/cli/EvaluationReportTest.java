package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's "Which explanation to trust?" section and evaluation.json, on the demo: one row
 * per method, charts that decode, a ranking that follows from the numbers shown, verdicts that
 * follow from the MPRT scores, and scores equal to {@code explain4j evaluate} run on the same
 * attributions; {@code explain} without {@code --evaluate} has no such section.
 */
class EvaluationReportTest {
    private static final Pattern SECTION = Pattern.compile("<section id=\"evaluation\">(.*?)</section>", Pattern.DOTALL);
    private static final Pattern ROW = Pattern.compile("<tr data-method=\"([^\"]+)\">(.*?)</tr>", Pattern.DOTALL);
    private static final Pattern CELL = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL);
    private static final List<String> SHOWN = List.of("deletion", "insertion", "faithfulness-correlation", "max-sensitivity",
            "mprt", "sparseness");
    private static final Path DIGITS = Path.of("..", "examples", "digits");

    @TempDir
    static Path shared;

    static Path demo;
    static String section;
    static JsonNode json;

    @BeforeAll
    static void runDemo() throws Exception {
        demo = shared.resolve("demo");
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--out", demo.toString());
        assertThat(r.exitCode()).as("demo's exit code (expected 0); stderr: %s", r.err()).isZero();
        String html = Files.readString(demo.resolve("report.html"));
        Matcher m = SECTION.matcher(html);
        assertThat(m.find()).as("the demo's report has the evaluation section").isTrue();
        section = m.group(1);
        json = Reports.json(demo.resolve("evaluation.json"));
    }

    private static Map<String, List<String>> rows() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ROW.matcher(section);
        while (m.find()) {
            List<String> cells = new ArrayList<>();
            Matcher c = CELL.matcher(m.group(2));
            while (c.find()) {
                cells.add(Reports.unescape(c.group(1)));
            }
            out.put(Reports.unescape(m.group(1)), cells);
        }
        return out;
    }

    private static JsonNode method(String name) {
        for (JsonNode m : json.get("methods")) {
            if (m.get("method").asText().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("evaluation.json has no method " + name);
    }

    private static double[] values(JsonNode scores) {
        double[] v = new double[scores.get("values").size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = scores.get("values").get(i);
            v[i] = n.isNull() ? Double.NaN : n.asDouble();
        }
        return v;
    }

    @Test
    void demo_sectionHasOneRowPerMethodAndItsChartsDecode() {
        assertThat(section).as("section heading").contains("<h2>Which explanation to trust?</h2>");
        Map<String, List<String>> rows = rows();
        assertThat(new HashSet<>(rows.keySet())).as("one row per method the demo ran")
                .isEqualTo(new HashSet<>(MethodCatalog.names()));
        assertThat(rows).hasSize(MethodCatalog.names().size());
        for (Map.Entry<String, List<String>> r : rows.entrySet()) {
            assertThat(r.getValue()).as("%s: one cell per column", r.getKey()).hasSize(Evaluation.COLUMNS.size());
            assertThat(r.getValue().get(1)).as("%s: the method cell", r.getKey()).isEqualTo(r.getKey());
        }
        Reports.Section s = new Reports.Section("evaluation", section, "");
        var pictures = s.pictures();
        assertThat(pictures).as("deletion, insertion and MPRT charts embedded").hasSize(3);
        String[] files = {"evaluation-deletion.png", "evaluation-insertion.png", "evaluation-mprt.png"};
        for (int i = 0; i < 3; i++) {
            assertThat(pictures.get(i).getKey()).as("chart %d: PNG", i).isEqualTo("png");
            BufferedImage img = Reports.png(pictures.get(i).getValue());
            Reports.assertSamePixels("embedded chart against " + files[i], img, Reports.png(demo.resolve(files[i])));
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 2) {
                for (int x = 0; x < img.getWidth(); x += 2) {
                    colours.add(img.getRGB(x, y) & 0xffffff);
                }
            }
            assertThat(colours.size()).as("%s: a drawn chart with many line colours, not a blank image", files[i])
                    .isGreaterThan(12);
        }
        assertThat(section).as("layer methods say why they were not scored")
                .contains("not computed for layer-activation").contains("not the input&#39;s");
        assertThat(section).as("perturbation methods say why they were not re-explained")
                .contains("max-sensitivity, mprt not computed for occlusion");
    }

    @Test
    void demo_rankingAndVerdictsFollowFromTheNumbersShown() {
        Map<String, List<String>> rows = rows();
        // the shown cells are evaluation.json's means, three decimals
        List<String> ranked = new ArrayList<>();
        for (Map.Entry<String, List<String>> r : rows.entrySet()) {
            JsonNode metrics = method(r.getKey()).get("metrics");
            for (int k = 0; k < SHOWN.size(); k++) {
                JsonNode m = metrics.get(SHOWN.get(k));
                String want = m == null ? "-" : Evaluation.cell(m.get("mean").asDouble());
                assertThat(r.getValue().get(2 + k)).as("%s: %s cell", r.getKey(), SHOWN.get(k)).isEqualTo(want);
            }
            if (!r.getValue().get(0).equals("-")) {
                ranked.add(r.getKey());
            }
        }
        // recompute the ranks here from the per-example scores: mean per method, average ranks per metric, mean rank
        Map<String, Double> total = new LinkedHashMap<>();
        for (String metric : List.of("deletion", "insertion", "faithfulness-correlation")) {
            boolean higher = !metric.equals("deletion");
            Map<String, Double> mean = new LinkedHashMap<>();
            for (String name : ranked) {
                double[] v = values(method(name).get("metrics").get(metric).get("scores"));
                double s = 0;
                for (double d : v) {
                    s += d;
                }
                mean.put(name, s / v.length);
            }
            for (String name : ranked) {
                int better = 0;
                int ties = 0;
                for (String other : ranked) {
                    double a = mean.get(name);
                    double b = mean.get(other);
                    if (!other.equals(name) && a == b) {
                        ties++;
                    } else if (higher ? b > a : b < a) {
                        better++;
                    }
                }
                total.merge(name, better + 1 + ties / 2.0, Double::sum);
            }
        }
        assertThat(ranked).as("methods with the three ranked metrics").hasSize(19);
        double previous = 0;
        for (String name : ranked) {
            double r = total.get(name) / 3;
            assertThat(rows.get(name).get(0)).as("%s: rank cell, expected the mean of its three ranks", name)
                    .isEqualTo(Evaluation.rankCell(r));
            assertThat(r).as("%s: rows in rank order", name).isGreaterThanOrEqualTo(previous);
            previous = r;
        }
        // sanity: the mean over digits of the last MPRT column against the stated threshold 0.5
        assertThat(section).as("the threshold is stated").contains("below 0.5");
        int passed = 0;
        int failed = 0;
        for (Map.Entry<String, List<String>> r : rows.entrySet()) {
            JsonNode mprt = method(r.getKey()).get("metrics").get("mprt");
            String verdict = r.getValue().get(r.getValue().size() - 1);
            if (mprt == null) {
                assertThat(verdict).as("%s: no MPRT, no verdict", r.getKey()).isEqualTo("-");
                continue;
            }
            int cols = mprt.get("scores").get("shape").get(1).asInt();
            double[] v = values(mprt.get("scores"));
            double s = 0;
            int defined = 0;
            for (int e = 0; e < v.length / cols; e++) {
                if (!Double.isNaN(v[e * cols + cols - 1])) {
                    s += v[e * cols + cols - 1];
                    defined++;
                }
            }
            boolean pass = s / defined < 0.5;
            assertThat(defined).as("%s: digits with a defined similarity", r.getKey()).isPositive();
            assertThat(verdict).as("%s: verdict from mean last-column similarity %s", r.getKey(), s / defined)
                    .isEqualTo(pass ? "pass" : "fail");
            passed += pass ? 1 : 0;
            failed += pass ? 0 : 1;
            assertThat(cols).as("%s: MPRT columns, the original and the digits CNN's 3 layers", r.getKey()).isEqualTo(4);
        }
        // Adebayo et al.: saliency depends on the weights; input x gradient stays close to the input
        assertThat(method("saliency").get("sanity").asText()).as("saliency's verdict").isEqualTo("pass");
        assertThat(method("input-x-gradient").get("sanity").asText()).as("input-x-gradient's verdict").isEqualTo("fail");
        assertThat(passed + failed).as("methods with a verdict: the deterministic backward-pass ones").isEqualTo(10);
    }

    @Test
    void demo_jsonScoresEqualADirectEvaluateRunOfTheSameMetric() {
        assertThat(json.get("format").asInt()).as("evaluation.json format").isEqualTo(1);
        String[][] cases = {{"integrated-gradients", "deletion"}, {"integrated-gradients", "insertion"},
            {"occlusion", "faithfulness-correlation"}, {"lrp", "sparseness"}, {"saliency", "max-sensitivity"},
            {"guided-backprop", "mprt"}};
        for (String[] c : cases) {
            JsonNode m = method(c[0]).get("metrics").get(c[1]);
            assertThat(m).as("%s: %s in evaluation.json", c[0], c[1]).isNotNull();
            List<String> words = Reports.shellWords(m.get("command").asText());
            assertThat(words.subList(0, 2)).as("%s %s: command", c[0], c[1]).containsExactly("explain4j", "evaluate");
            int o = words.indexOf("--output");
            Path output = shared.resolve(c[1] + "." + c[0] + ".direct.npy");
            words.set(o + 1, output.toString());
            List<String> args = new ArrayList<>(words.subList(1, words.size()));
            args.add("--quiet");
            CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as("%s %s: evaluate's exit code; stderr: %s", c[0], c[1], r.err()).isZero();
            Tensor direct = Npy.read(output);
            double[] want = direct.toDoubleArray();
            double[] got = values(m.get("scores"));
            assertThat(got).as("%s %s: evaluation.json scores, expected evaluate's", c[0], c[1]).containsExactly(want);
            JsonNode shape = m.get("scores").get("shape");
            for (int i = 0; i < shape.size(); i++) {
                assertThat(shape.get(i).asInt()).as("%s %s: shape[%d]", c[0], c[1], i).isEqualTo(direct.dim(i));
            }
        }
        JsonNode ig = method("integrated-gradients").get("metrics").get("deletion");
        assertThat(ig.get("curves").get("shape").get(1).asInt()).as("deletion curve points: 64 pixels, one per step, and the start")
                .isEqualTo(65);
        assertThat(method("layer-activation").get("not_computed").get("deletion").asText())
                .as("layer-activation: why deletion was not computed").contains("not the input's");
    }

    @Test
    void explain_withoutEvaluate_hasNoEvaluationSectionAndWithItOneRowPerMethod(@TempDir Path tmp) throws Exception {
        Path plain = tmp.resolve("plain");
        CliRunner.Run r = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                DIGITS.resolve("digits_x.npy").toString(), "--methods", "saliency,occlusion", "--quiet", "--out",
                plain.toString());
        assertThat(r.exitCode()).as("explain's exit code; stderr: %s", r.err()).isZero();
        String html = Files.readString(plain.resolve("report.html"));
        assertThat(html).as("report without --evaluate").doesNotContain("Which explanation to trust?")
                .doesNotContain("id=\"evaluation\"");
        assertThat(plain.resolve("evaluation.json")).as("no evaluation.json without --evaluate").doesNotExist();

        Path eval = tmp.resolve("eval");
        r = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                DIGITS.resolve("digits_x.npy").toString(), "--methods", "saliency,occlusion", "--quiet", "--evaluate",
                "--out", eval.toString());
        assertThat(r.exitCode()).as("explain --evaluate's exit code; stderr: %s", r.err()).isZero();
        Matcher m = SECTION.matcher(Files.readString(eval.resolve("report.html")));
        assertThat(m.find()).as("report with --evaluate has the section").isTrue();
        Matcher row = ROW.matcher(m.group(1));
        List<String> methods = new ArrayList<>();
        while (row.find()) {
            methods.add(row.group(1));
        }
        assertThat(methods).as("rows: occlusion ranks first on the digits (it measures the output directly)")
                .containsExactly("occlusion", "saliency");
        JsonNode j = Reports.json(eval.resolve("evaluation.json"));
        assertThat(j.get("methods")).as("evaluation.json: one entry per method").hasSize(2);
        // the same attributions and metric give the same numbers as in the demo, whatever else ran
        JsonNode alone = j.get("methods").get(0).get("metrics").get("deletion").get("scores");
        assertThat(values(alone)).as("saliency deletion scores, expected the demo's")
                .containsExactly(values(method("saliency").get("metrics").get("deletion").get("scores")));
    }
}
