package org.explain4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.CatalogJson;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code explain4j methods}: the method catalogue as a table, as JSON (for forms) or as the README's Markdown table. */
@Command(name = "methods", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists the attribution methods, their parameters (flags), defaults and ranges.",
        footer = {"", "Examples:", "  explain4j methods", "  explain4j methods lrp kernel-shap",
                "  explain4j methods --format json > methods.json"})
public final class MethodsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--format", paramLabel = "FMT", description = "table (default), json or markdown.")
    String format = "table";

    @Parameters(paramLabel = "METHOD", arity = "0..*", description = "Methods to list (default: all).")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        List<MethodSpec> specs = names.isEmpty() ? MethodCatalog.all() : names.stream().map(MethodCatalog::get).toList();
        PrintWriter out = spec.commandLine().getOut();
        switch (format.toLowerCase(Locale.ROOT)) {
            case "json" -> out.print(CatalogJson.write(specs));
            case "markdown" -> out.print(markdown(specs));
            case "table" -> out.print(table(specs));
            default -> throw Explain4jException.usage("--format", "--format '" + format + "' must be table, json or markdown");
        }
        out.flush();
        return 0;
    }

    /** The README's method table: one row per method. */
    static String markdown(List<MethodSpec> specs) {
        StringBuilder b = new StringBuilder();
        b.append("| method | family | question it answers | models | deterministic | model calls per example |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (MethodSpec s : specs) {
            b.append("| `").append(s.name()).append("` | ").append(s.family().label()).append(" | ")
                    .append(s.summary().replace("|", "\\|")).append(" | ").append(models(s)).append(" | ")
                    .append(s.seeded() ? "with `--seed`" : "yes").append(" | ").append(s.cost()).append(" |\n");
        }
        return b.toString();
    }

    private static String models(MethodSpec s) {
        String m = s.anyModel() ? "any" : "ONNX";
        return s.needs().contains(org.explain4j.core.catalog.Need.BATCH_OF_TWO) ? m + ", batch >= 2" : m;
    }

    /** A terminal listing: each method, its summary, then its flags with type, default and range. */
    static String table(List<MethodSpec> specs) {
        StringBuilder b = new StringBuilder();
        for (MethodSpec s : specs) {
            b.append(s.name()).append("  (").append(s.family().label()).append("; ").append(models(s)).append(" models; ")
                    .append(s.seeded() ? "seeded" : "deterministic").append("; ").append(s.cost().replace("`", ""))
                    .append(" model calls per example)\n");
            b.append("    ").append(s.summary()).append('\n');
            for (ParamSpec p : s.params()) {
                StringBuilder line = new StringBuilder("    --").append(p.name()).append(' ')
                        .append(p.type() == org.explain4j.core.catalog.ParamType.CHOICE ? String.join("|", p.choices())
                                : p.type().label());
                if (p.required()) {
                    line.append(" (required)");
                } else {
                    p.defaultText().ifPresent(d -> line.append(" = ").append(d));
                }
                String range = p.range().describe();
                if (!range.isEmpty() && p.type() != org.explain4j.core.catalog.ParamType.CHOICE) {
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
