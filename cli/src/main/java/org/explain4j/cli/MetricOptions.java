package org.explain4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricSpec;
import picocli.CommandLine;

/**
 * The {@code evaluate} command's metric flags, derived from the metric catalogue as
 * {@link MethodOptions} derives the method flags: every metric parameter {@code name} is the flag
 * {@code --name}, parsed by its type; the catalogue refuses a flag the metric does not take.
 */
final class MetricOptions {
    /** Flags {@code evaluate} declares itself; a metric parameter of the same name binds from them. */
    static final Set<String> OWN = Set.of("seed");

    private MetricOptions() {
    }

    /** Every parameter name of the metric catalogue with the first spec that declares it. */
    static Map<String, ParamSpec> all() {
        Map<String, ParamSpec> out = new LinkedHashMap<>();
        for (MetricSpec s : MetricCatalog.all()) {
            for (ParamSpec p : s.params()) {
                if (!OWN.contains(p.name())) {
                    out.putIfAbsent(p.name(), p);
                }
            }
        }
        return out;
    }

    static List<String> metricsTaking(String name) {
        return MetricCatalog.all().stream().filter(s -> s.param(name).isPresent()).map(MetricSpec::name).toList();
    }

    /** Adds one option per metric parameter to {@code spec}, and the list of metrics to its help. */
    static void addTo(CommandLine.Model.CommandSpec spec) {
        int metrics = MetricCatalog.all().size();
        StringBuilder list = new StringBuilder("%nMetrics (explain4j metrics lists their flags):%n");
        MetricCatalog.all().forEach(m -> list.append(String.format("  %-26s %s%%n", m.name(), m.summary().replace("%", "%%"))));
        String[] footer = spec.usageMessage().footer();
        String[] withMetrics = new String[footer.length + 1];
        withMetrics[0] = list.toString();
        System.arraycopy(footer, 0, withMetrics, 1, footer.length);
        spec.usageMessage().footer(withMetrics);
        for (ParamSpec p : all().values()) {
            if (spec.findOption("--" + p.name()) != null) {
                continue;
            }
            List<String> users = metricsTaking(p.name());
            String help = p.help() + (p.choices().isEmpty() ? "" : ": " + String.join(", ", p.choices()))
                    + (users.size() == metrics ? "" : " (" + String.join(", ", users) + ")");
            spec.addOption(CommandLine.Model.OptionSpec.builder("--" + p.name()).paramLabel(label(p)).type(String.class)
                    .description(help.replace("%", "%%")).build());
        }
    }

    private static String label(ParamSpec p) {
        return switch (p.type()) {
            case INT, LONG -> "N";
            case DOUBLE -> "X";
            case BOOLEAN -> "BOOL";
            case CHOICE -> "NAME";
            case INT_LIST -> "A,B,..";
            case STRING -> "VALUE";
            default -> "FILE";
        };
    }

    /** The metric flags given on a parsed command line, as text by parameter name. */
    static Map<String, String> given(CommandLine.ParseResult pr) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : all().keySet()) {
            if (pr.hasMatchedOption("--" + name)) {
                out.put(name, pr.matchedOptionValue("--" + name, ""));
            }
        }
        return out;
    }

    /** Typed values for {@code spec}; a flag the metric does not take stays text (binding refuses it). */
    static Map<String, Object> typed(MetricSpec spec, Map<String, String> texts) {
        Map<String, Object> out = new LinkedHashMap<>();
        texts.forEach((k, v) -> out.put(k, spec.param(k).map(p -> p.parse(v)).orElse(v)));
        return out;
    }
}
