package org.explain4j.viz;

import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;
import java.nio.charset.StandardCharsets;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Target;

/** Writes an {@link HtmlReport} as one HTML document; every caller string goes through {@link Html#escape}. */
final class ReportHtml {
    private static final int SHA_PREFIX = 12;
    private static final int MAX_LISTED = 16;
    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:64em;\
            margin:2em auto;padding:0 1em;line-height:1.45}
            h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
            h3{font-size:1em;margin:1.2em 0 .4em}
            table{border-collapse:collapse}td,th{padding:.25em .8em .25em 0;text-align:left;vertical-align:top}
            th{font-weight:600;color:#444}.kv th{white-space:nowrap}
            .meta,.desc{color:#555}code,pre{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
            pre{background:#f6f6f6;border:1px solid #e2e2e2;padding:.6em;white-space:pre-wrap;word-break:break-all}
            figure{margin:1em 0}figure img{max-width:100%;height:auto}\
            figure.wide{overflow-x:auto}figure.wide img{max-width:none}
            figcaption{color:#555;font-size:.9em}
            .bar{display:inline-block;height:.7em;background:#b2182b;vertical-align:middle;margin-left:.4em}
            .pred{margin-right:1.2em;white-space:nowrap}
            table.eval td,table.eval th{border-bottom:1px solid #eee;padding-right:1.2em}table.eval td.num{text-align:right;\
            font-variant-numeric:tabular-nums}.pass{color:#1a7f37;font-weight:600}.fail{color:#b2182b;font-weight:600}
            dl.readings dt{font-weight:600;margin-top:.5em}dl.readings dd{margin-left:1.2em;color:#444}
            ul.skipped{color:#555;font-size:.9em}table.eval td:nth-child(2){white-space:nowrap}
            """;

    private final HtmlReport report;
    private final String version;
    private final StringBuilder out = new StringBuilder(1 << 16);

    ReportHtml(HtmlReport report, String version) {
        this.report = report;
        this.version = version;
    }

    String render() {
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(report.title())).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n<h1>").append(esc(report.title())).append("</h1>\n")
                .append("<p class=\"meta\">Attribution report by explain4j ").append(esc(version)).append("</p>\n");
        model();
        if (!report.inputSummary().isEmpty()) {
            out.append("<h2>Input</h2>\n<p>").append(esc(report.inputSummary())).append("</p>\n");
        }
        predictions();
        report.overview().ifPresent(f -> {
            out.append("<h2>Overview</h2>\n");
            figure(f, true);
        });
        report.evaluation().ifPresent(this::evaluation);
        int i = 0;
        for (MethodSection s : report.sections()) {
            section(s, ++i);
        }
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    private void model() {
        report.model().ifPresent(m -> {
            String sha = m.sha256();
            String prefix = sha.length() > SHA_PREFIX ? sha.substring(0, SHA_PREFIX) + "\u2026" : sha;
            out.append("<h2>Model</h2>\n<table class=\"kv\">\n")
                    .append("<tr><th>name</th><td>").append(esc(m.name())).append("</td></tr>\n")
                    .append("<tr><th>SHA-256</th><td><code title=\"").append(esc(sha)).append("\">")
                    .append(esc(prefix)).append("</code></td></tr>\n</table>\n");
        });
    }

    private void predictions() {
        if (report.predictions().isEmpty()) {
            return;
        }
        out.append("<h2>Predictions</h2>\n<table>\n<tr><th>example</th><th>top predictions</th></tr>\n");
        for (TopPredictions t : report.predictions()) {
            out.append("<tr><td>").append(esc(t.example())).append("</td><td>");
            for (Prediction p : t.predictions()) {
                out.append("<span class=\"pred\">").append(esc(p.label())).append(' ')
                        .append(String.format(Locale.ROOT, "%.1f%%", 100 * p.probability()))
                        .append("<span class=\"bar\" style=\"width:")
                        .append(String.format(Locale.ROOT, "%.1f", 4 * p.probability())).append("em\"></span></span>");
            }
            out.append("</td></tr>\n");
        }
        out.append("</table>\n");
    }

    private void section(MethodSection s, int index) {
        Attribution a = s.attribution();
        out.append("<section id=\"method-").append(index).append("\">\n<h2>").append(esc(s.title())).append("</h2>\n");
        if (!s.description().isEmpty()) {
            out.append("<p class=\"desc\">").append(esc(s.description())).append("</p>\n");
        }
        figure(s.figure());
        out.append("<h3>Diagnostics</h3>\n<table class=\"kv\">\n");
        row("method", a.method());
        row("target", target(a.target()));
        if (!a.options().isEmpty()) {
            row("options", options(a.options()));
        }
        diagnostics(a.diagnostics());
        row("seed", a.seed().isPresent() ? Long.toString(a.seed().getAsLong()) : "none (deterministic)");
        out.append("</table>\n<h3>Reproduce</h3>\n<pre><code>").append(esc(s.commandLine())).append("</code></pre>\n")
                .append("</section>\n");
    }

    private void evaluation(EvaluationSection e) {
        out.append("<section id=\"evaluation\">\n<h2>").append(esc(EvaluationSection.TITLE)).append("</h2>\n");
        for (String p : e.intro()) {
            out.append("<p>").append(esc(p)).append("</p>\n");
        }
        out.append("<table class=\"eval\">\n<tr>");
        for (String c : e.columns()) {
            out.append("<th>").append(esc(c)).append("</th>");
        }
        out.append("</tr>\n");
        for (EvaluationSection.Row r : e.rows()) {
            out.append("<tr data-method=\"").append(esc(r.method())).append("\">");
            for (String c : r.cells()) {
                String cls = c.equals("pass") ? "pass" : c.equals("fail") ? "fail" : looksNumeric(c) ? "num" : "";
                out.append(cls.isEmpty() ? "<td>" : "<td class=\"" + cls + "\">").append(esc(c)).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</table>\n");
        for (Figure f : e.figures()) {
            figure(f);
        }
        if (!e.readings().isEmpty()) {
            out.append("<h3>How to read the numbers</h3>\n<dl class=\"readings\">\n");
            for (EvaluationSection.Reading r : e.readings()) {
                out.append("<dt>").append(esc(r.metric())).append("</dt><dd>").append(esc(r.text())).append("</dd>\n");
            }
            out.append("</dl>\n");
        }
        if (!e.details().isEmpty()) {
            out.append("<h3>How the numbers were computed</h3>\n");
            for (String p : e.details()) {
                out.append("<p>").append(esc(p)).append("</p>\n");
            }
        }
        if (!e.notes().isEmpty()) {
            out.append("<h3>Not computed</h3>\n<ul class=\"skipped\">\n");
            for (String n : e.notes()) {
                out.append("<li>").append(esc(n)).append("</li>\n");
            }
            out.append("</ul>\n");
        }
        out.append("</section>\n");
    }

    private static boolean looksNumeric(String c) {
        return c.matches("[-+]?[0-9.]+(e[-+]?[0-9]+)?|#?[0-9]+|NaN");
    }

    private void diagnostics(Diagnostics d) {
        d.completenessGap().ifPresent(g -> row("completeness gap", "max |gap| " + num(maxAbs(g)) + "; per example "
                + list(g)));
        row("model evaluations", Long.toString(d.modelEvaluations()));
        row("time", duration(d.elapsed()));
        d.surrogateFit().ifPresent(r -> row("surrogate R\u00b2", "mean " + num(DoubleStream.of(r).average().orElse(0))
                + ", min " + num(DoubleStream.of(r).min().orElse(0)) + "; per example " + list(r)));
    }

    private void figure(Figure f) {
        figure(f, false);
    }

    /** A wide figure keeps its natural size and scrolls sideways instead of shrinking. */
    private void figure(Figure f, boolean wide) {
        out.append(wide ? "<figure class=\"wide\">\n" : "<figure>\n");
        if (f instanceof Figure.Audio a) {
            a.pictures().forEach(this::figureBody);
            for (Figure.Sound s : a.sounds()) {
                out.append("<p class=\"sound\">").append(esc(s.label())).append("<br><audio controls preload=\"none\" src=\"")
                        .append("data:audio/wav;base64,").append(Base64.getEncoder().encodeToString(s.wav())).append("\"></audio></p>\n");
            }
        } else {
            figureBody(f);
        }
        out.append("</figure>\n");
    }

    private void figureBody(Figure f) {
        if (f instanceof Figure.Raster r) {
            img(Pictures.pngDataUri(r.image()), r.alt());
        } else if (f instanceof Figure.Svg s) {
            img("data:image/svg+xml;base64," + Base64.getEncoder().encodeToString(s.document().getBytes(StandardCharsets.UTF_8)),
                    s.alt());
        } else if (f instanceof Figure.Text x) {
            HighlightedText t = x.text();
            out.append(t.toHtmlFragment()).append('\n').append(t.legendHtml()).append('\n');
        }
    }

    private void img(String dataUri, String alt) {
        out.append("<img src=\"").append(dataUri).append("\" alt=\"").append(esc(alt)).append("\">\n");
        if (!alt.isEmpty()) {
            out.append("<figcaption>").append(esc(alt)).append("</figcaption>\n");
        }
    }

    private void row(String key, String value) {
        out.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    private static String target(Target t) {
        if (t instanceof Target.ClassIndex c) {
            return "class " + c.index();
        }
        if (t instanceof Target.PerExample p) {
            return "classes " + Arrays.toString(p.indices()) + " (one per example)";
        }
        return "weighting " + list(((Target.Weighting) t).weights());
    }

    private static String options(Map<String, Object> options) {
        return options.entrySet().stream().map(e -> e.getKey() + "=" + value(e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static String value(Object v) {
        if (v instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof long[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof double[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof Object[] a) {
            return Arrays.deepToString(a);
        }
        return String.valueOf(v);
    }

    private static String list(double[] v) {
        String shown = Arrays.stream(v).limit(MAX_LISTED).mapToObj(ReportHtml::num).collect(Collectors.joining(", "));
        return "[" + shown + (v.length > MAX_LISTED ? ", \u2026 (" + v.length + " in all)" : "") + "]";
    }

    private static double maxAbs(double[] v) {
        return Arrays.stream(v).map(Math::abs).max().orElse(0.0);
    }

    private static String num(double v) {
        return Numbers.format(v, 3);
    }

    private static String duration(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}
