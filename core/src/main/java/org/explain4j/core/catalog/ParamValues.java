package org.explain4j.core.catalog;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.engine.BatchSize;

/**
 * The one conversion of a method's given parameter values (command-line text, JSON values,
 * Spark params) into the catalogue's typed values, ready for {@link MethodSpec#bind}. Scalars are
 * parsed by their {@link ParamSpec}; where tensor-valued parameters (baselines, feature masks)
 * come from is the caller's {@link Source}: a file on the command line, JSON arrays in the
 * service, columns and broadcasts in Spark. A name the method does not take is kept as text, so
 * binding refuses it with the catalogue's message.
 *
 * @param <V> the form of one given value ({@code String}, a JSON node, ...)
 */
public final class ParamValues {
    private ParamValues() {
    }

    /** Where a caller's values come from: their text, and their tensor-valued parameters. */
    public interface Source<V> {
        /**
         * The text of {@code value} for parameter {@code p} ({@code null} for a name the method
         * does not take), or {@code null} when the value counts as not given.
         */
        String text(ParamSpec p, V value);

        /** A baseline ({@code distribution}: the method needs a distribution of reference rows). */
        Baseline baseline(ParamSpec p, V value, boolean distribution);

        /** A feature mask. */
        FeatureMask featureMask(ParamSpec p, V value);
    }

    /** Typed values for {@code spec} from {@code given}, in the given order. */
    public static <V> Map<String, Object> typed(MethodSpec spec, Map<String, V> given, Source<V> source) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, V> e : given.entrySet()) {
            ParamSpec p = spec.param(e.getKey()).orElse(null);
            String text = source.text(p, e.getValue());
            if (p == null) {
                out.put(e.getKey(), text); // binding refuses it by name
                continue;
            }
            if (text == null) {
                continue;
            }
            if (p.name().equals(BatchSize.OPTION)) {
                String t = text.trim();
                if (t.equalsIgnoreCase("auto")) {
                    continue; // not given: the run sizes it from the memory budget
                }
                if (!t.matches("[+-]?\\d{1,9}")) {
                    throw Explain4jException.usage(p.name(), p.name() + " '" + text
                            + "' must be a number of rows or auto");
                }
            }
            Object v = switch (p.type()) {
                case BASELINE, BASELINE_DISTRIBUTION -> source.baseline(p, e.getValue(),
                        spec.needs().contains(Need.BASELINE_DISTRIBUTION));
                case FEATURE_MASK -> source.featureMask(p, e.getValue());
                default -> p.parse(text);
            };
            out.put(p.name(), v);
        }
        return out;
    }

    /** Whether {@code text} names the all-zero baseline ({@code zeros} or {@code zero}, any case). */
    public static boolean zeros(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return t.equals("zeros") || t.equals("zero");
    }

    /**
     * The baseline {@code text} names without data: {@code zeros}, or a constant for a number;
     * {@code null} when it is neither.
     */
    public static Baseline scalarBaseline(String text) {
        if (zeros(text)) {
            return Baseline.zeros();
        }
        try {
            return Baseline.constant(Double.parseDouble(text.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
