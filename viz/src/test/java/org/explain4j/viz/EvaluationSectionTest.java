package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;

class EvaluationSectionTest {
    static {
        Fixtures.headless();
    }

    private static final String EVIL = "<script>alert('x')</script>";

    private static LineChart chart() {
        return LineChart.of("Deletion", "mean", "share removed", "probability",
                List.of(new LineChart.Series("saliency", new double[] {0, 0.5, 1}, new double[] {1, 0.4, 0.1}),
                        new LineChart.Series(EVIL, new double[] {0, 0.5, 1}, new double[] {1, 0.9, 0.1})),
                List.of());
    }

    @Test
    void report_withEvaluation_rendersTheSectionAfterTheOverviewWithEscapedCellsAndVerdictClasses() {
        EvaluationSection e = new EvaluationSection(List.of("intro " + EVIL), List.of("rank", "method", "deletion", "check"),
                List.of(new EvaluationSection.Row("saliency", List.of("1", "saliency", "0.361", "pass")),
                        new EvaluationSection.Row(EVIL, List.of("-", EVIL, "-", "fail"))),
                List.of(Figure.of(chart().render(), "curves")), List.of(new EvaluationSection.Reading("deletion", "lower")),
                List.of("budgets"), List.of("mprt not computed for " + EVIL));
        String html = HtmlReport.builder("r").overview(Figure.of(chart().render(), "overview")).evaluation(e).build().toHtml();
        assertThat(html).doesNotContain(EVIL).contains("<h2>Which explanation to trust?</h2>");
        assertThat(html.indexOf("<section id=\"evaluation\">")).as("section after the overview")
                .isGreaterThan(html.indexOf("<h2>Overview</h2>"));
        assertThat(html).contains("<tr data-method=\"saliency\"><td class=\"num\">1</td><td>saliency</td>"
                + "<td class=\"num\">0.361</td><td class=\"pass\">pass</td></tr>");
        assertThat(html).contains("<td class=\"fail\">fail</td>").contains("<h3>How the numbers were computed</h3>\n<p>budgets</p>")
                .contains("<li>mprt not computed for &lt;script&gt;");
        assertThat(HtmlReport.builder("r").build().toHtml()).as("no evaluation, no section").doesNotContain("id=\"evaluation\"");
    }

    @Test
    void rowWithTheWrongNumberOfCells_isAShapeError() {
        assertThatThrownBy(() -> new EvaluationSection(List.of(), List.of("a", "b"),
                List.of(new EvaluationSection.Row("m", List.of("1"))), List.of(), List.of(), List.of(), List.of()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("row 'm' has 1 cells for 2 columns");
    }

    @Test
    void lineChart_drawsEachSeriesInItsOwnColour() {
        BufferedImage img = chart().render();
        assertThat(img.getWidth()).isEqualTo(900);
        boolean blue = false;
        boolean orange = false;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                blue |= rgb == 0x1f77b4;
                orange |= rgb == 0xff7f0e;
            }
        }
        assertThat(blue).as("first series in the palette's first colour").isTrue();
        assertThat(orange).as("second series in the palette's second colour").isTrue();
        assertThatThrownBy(() -> new LineChart.Series("s", new double[] {0, 1}, new double[] {1}))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("2 x values but 1 y values");
    }
}
