package org.explain4j.serve;

import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.viz.ExplanationGrid;
import org.explain4j.viz.Figure;
import org.explain4j.viz.FeatureBarChart;
import org.explain4j.viz.BarChartOptions;
import org.explain4j.viz.GridOptions;
import org.explain4j.viz.HtmlReport;
import org.explain4j.viz.MethodSection;

/** A finished job's self-contained HTML report (the viz module's report, one section per instance). */
final class Report {
    private Report() {
    }

    static String html(Jobs.Job job, Jobs.Result r) {
        HtmlReport.Builder b = HtmlReport.builder("explain4j job " + job.id);
        if (!r.results().isEmpty()) {
            b.model(r.results().get(0).provenance());
        }
        b.inputSummary(r.results().size() + " instance(s) of model " + job.model);
        for (int i = 0; i < r.results().size(); i++) {
            Attribution a = r.results().get(i);
            Tensor x = r.inputs().get(i);
            Figure f;
            if (x.rank() == 3 || x.rank() == 4) {
                f = new Figure.Raster(ExplanationGrid.of(x, List.of(a), List.of("instance " + i), GridOptions.defaults())
                        .render(), a.method() + " of instance " + i);
            } else {
                double[] v = a.values().toDoubleArray();
                List<String> names = java.util.stream.IntStream.range(0, v.length).mapToObj(k -> "x" + k).toList();
                f = new Figure.Svg(FeatureBarChart.of(names, v, BarChartOptions.defaults()).toSvg(),
                        a.method() + " of instance " + i);
            }
            String description = MethodCatalog.find(a.method()).map(s -> s.description()).orElse("");
            b.addSection(new MethodSection(a.method() + ", instance " + i, description, f, a,
                    "POST /v1/models/" + job.model + ":explain"));
        }
        return b.build().toHtml();
    }
}
