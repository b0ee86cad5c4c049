package org.explain4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.io.Npy;
import picocli.CommandLine;

/**
 * The command line's method flags, derived from the catalogue: every catalogue parameter
 * {@code name} is the flag {@code --name}; its text is parsed by the parameter's type (tensor
 * types from {@code .npy} files), and the catalogue refuses a flag that does not apply.
 */
public final class MethodOptions {
    private MethodOptions() {
    }

    /** Every parameter name of the catalogue with the first spec that declares it, in catalogue order. */
    static Map<String, ParamSpec> all() {
        Map<String, ParamSpec> out = new LinkedHashMap<>();
        for (MethodSpec s : MethodCatalog.all()) {
            for (ParamSpec p : s.params()) {
                out.putIfAbsent(p.name(), p);
            }
        }
        return out;
    }

    /** The methods that take parameter {@code name}. */
    static List<String> methodsTaking(String name) {
        return MethodCatalog.all().stream().filter(s -> s.param(name).isPresent()).map(MethodSpec::name).toList();
    }

    /** Adds one option per catalogue parameter to {@code spec} (the {@code attribute} command, plugins' commands). */
    public static void addTo(CommandLine.Model.CommandSpec spec) {
        int methods = MethodCatalog.all().size();
        for (Map.Entry<String, ParamSpec> e : all().entrySet()) {
            ParamSpec p = e.getValue();
            List<String> users = methodsTaking(p.name());
            String help = p.help() + (p.choices().isEmpty() ? "" : ": " + String.join(", ", p.choices()))
                    + p.defaultText().map(d -> " (default " + d + ")").orElse("")
                    + (users.size() == methods ? "" : "; " + String.join(", ", users));
            spec.addOption(CommandLine.Model.OptionSpec.builder("--" + p.name()).paramLabel(label(p)).type(String.class)
                    .description(help.replace("%", "%%")).build());
        }
    }

    private static String label(ParamSpec p) {
        if (p.name().equals(BatchSize.OPTION)) {
            return "N|auto";
        }
        return switch (p.type()) {
            case INT, LONG -> "N";
            case DOUBLE -> "X";
            case BOOLEAN -> "BOOL";
            case CHOICE -> "NAME";
            case INT_LIST -> "A,B,..";
            case STRING -> "NAME";
            case BASELINE -> "zeros|X|B.npy";
            case BASELINE_DISTRIBUTION -> "K.npy";
            case FEATURE_MASK -> "MASK.npy";
        };
    }

    /** The method flags given on a parsed command line, as text by parameter name. */
    public static Map<String, String> given(CommandLine.ParseResult pr) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : all().keySet()) {
            if (pr.hasMatchedOption("--" + name)) {
                out.put(name, pr.matchedOptionValue("--" + name, ""));
            }
        }
        return out;
    }

    /**
     * Typed values for {@code spec} from flag texts: scalars by their type, baselines and feature
     * masks from files (or {@code zeros} / a number). A flag the method does not take stays text:
     * binding refuses it with the catalogue's message. The conversion is core's
     * {@link ParamValues}; this is where the command line's tensors come from.
     */
    static Map<String, Object> typed(MethodSpec spec, Map<String, String> texts, Tensor input) {
        return ParamValues.typed(spec, texts, files(input));
    }

    /** The command line's source of values: flag texts; baselines and feature masks from {@code .npy} files. */
    public static ParamValues.Source<String> files(Tensor input) {
        return new ParamValues.Source<>() {
            @Override
            public String text(ParamSpec p, String value) {
                return value;
            }

            @Override
            public Baseline baseline(ParamSpec p, String value, boolean distribution) {
                return Parse.baseline(value, input, distribution);
            }

            @Override
            public FeatureMask featureMask(ParamSpec p, String value) {
                return FeatureMask.of(Npy.read(Path.of(value.trim()), "--" + p.name()));
            }
        };
    }

    /** {@code --name value} pairs for the report's reproducible command. */
    static List<String> args(Map<String, String> texts) {
        List<String> out = new ArrayList<>();
        texts.forEach((k, v) -> {
            out.add("--" + k);
            out.add(v);
        });
        return out;
    }
}
