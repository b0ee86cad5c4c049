package org.explain4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamType;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricJson;
import org.explain4j.core.metrics.MetricSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code explain4j metrics}: the metric catalogue as a table or as JSON (for the service and UI). */
@Command(name = "metrics", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists the attribution-quality metrics, their parameters (evaluate flags), defaults and ranges.",
        footer = {"", "Examples:", "  explain4j metrics", "  explain4j metrics pixel-flipping deletion",
                "  explain4j metrics --format json > metrics.json"})
public final class MetricsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--format", paramLabel = "FMT", description = "table (default) or json.")
    String format = "table";

    @Parameters(paramLabel = "METRIC", arity = "0..*", description = "Metrics to list (default: all).")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("json") && !fmt.equals("table")) {
            throw Explain4jException.usage("--format", "--format '" + format + "' must be table or json");
        }
        List<MetricSpec> specs = names.isEmpty() ? MetricCatalog.all() : names.stream().map(MetricCatalog::get).toList();
        PrintWriter out = spec.commandLine().getOut();
        out.print(fmt.equals("json") ? MetricJson.catalogue(specs) : table(specs));
        out.flush();
        return 0;
    }

    /** Each metric: its category, output and determinism, summary, then its flags with type, default and range. */
    static String table(List<MetricSpec> specs) {
        StringBuilder b = new StringBuilder();
        for (MetricSpec s : specs) {
            b.append(s.name()).append("  (").append(s.category().label()).append("; output ").append(s.output()).append("; ")
                    .append(s.random() ? "seeded" : "deterministic")
                    .append(s.needsMask() ? "; needs --mask" : "").append(s.reExplains() ? "; needs --method" : "")
                    .append(")\n");
            b.append("    ").append(s.summary()).append('\n');
            b.append("    reference: ").append(s.reference()).append('\n');
            for (ParamSpec p : s.params()) {
                StringBuilder line = new StringBuilder("    --").append(p.name()).append(' ')
                        .append(p.type() == ParamType.CHOICE ? String.join("|", p.choices()) : p.type().label());
                if (p.required()) {
                    line.append(" (required)");
                } else {
                    p.defaultText().ifPresent(d -> line.append(" = ").append(d));
                }
                String range = p.range().describe();
                if (!range.isEmpty() && p.type() != ParamType.CHOICE) {
                    line.append(", ").append(range);
                }
                p.appliesWhen().forEach((k, v) -> line.append(", only with --").append(k).append(' ')
                        .append(String.join("|", v)));
                b.append(String.format("%-58s %s%n", line, p.help()));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
