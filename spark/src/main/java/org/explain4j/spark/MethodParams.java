package org.explain4j.spark;

import java.util.Map;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.catalog.Params;

/**
 * A method's parameters given as text by catalogue name (as on the command line) turned into the
 * catalogue's typed values and bound by it, so errors are the catalogue's one-line messages.
 * Tensor-valued parameters come from the data: a baseline is {@code zeros} or a number here, per
 * row from {@code baselineCol}, or a distribution from the background DataFrame; a feature mask is
 * a comma-separated list of group ids, one per input element.
 */
final class MethodParams {
    private MethodParams() {
    }

    /**
     * Binds {@code texts} for {@code spec}; {@code baseline}, when not null, is the baseline from
     * the data; {@code exampleShape}, when not null, shapes a feature mask like one example.
     */
    static Params bind(MethodSpec spec, Map<String, String> texts, Baseline baseline, int[] exampleShape) {
        Map<String, Object> out = ParamValues.typed(spec, texts, source(spec, exampleShape));
        if (baseline != null) {
            if (spec.param("baseline").isEmpty()) {
                throw Explain4jException.usage("baselineCol", "a baseline (baselineCol or background) does not apply to "
                        + spec.name() + "; it takes " + String.join(", ", spec.paramNames()));
            }
            if (texts.containsKey("baseline")) {
                throw Explain4jException.usage("baseline", "baseline is given twice (as a parameter and by baselineCol or "
                        + "background); keep one");
            }
            out.put("baseline", baseline);
        }
        return spec.bind(out);
    }

    /**
     * Spark's source of values: texts (trimmed); a baseline given as a parameter is {@code zeros} or
     * a number (data baselines come from {@code baselineCol} or the background); a feature mask is
     * a list of group ids.
     */
    static ParamValues.Source<String> source(MethodSpec spec, int[] exampleShape) {
        return new ParamValues.Source<>() {
            @Override
            public String text(ParamSpec p, String value) {
                return p == null ? value : value.trim();
            }

            @Override
            public Baseline baseline(ParamSpec p, String value, boolean distribution) {
                return MethodParams.baseline(value.trim(), spec);
            }

            @Override
            public FeatureMask featureMask(ParamSpec p, String value) {
                return mask(p, value.trim(), exampleShape);
            }
        };
    }

    private static Baseline baseline(String t, MethodSpec spec) {
        if (spec.needs().contains(Need.BASELINE_DISTRIBUTION)) {
            throw Explain4jException.usage("baseline", spec.name() + " needs a distribution of reference rows; give it "
                    + "with setBackground (a DataFrame of reference rows) instead of baseline '" + t + "'");
        }
        Baseline b = ParamValues.scalarBaseline(t);
        if (b == null) {
            throw Explain4jException.usage("baseline", "baseline '" + t + "' must be zeros or a number; give one baseline "
                    + "per row with baselineCol, or a distribution of reference rows with setBackground");
        }
        return b;
    }

    private static FeatureMask mask(ParamSpec p, String t, int[] exampleShape) {
        int[] ids = parseInts(p.name(), t);
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        if (exampleShape != null) {
            if (Tensor.sizeOf(exampleShape) != ids.length) {
                throw Explain4jException.shape(p.name(), p.name() + " has " + ids.length + " ids but an example has "
                        + Tensor.sizeOf(exampleShape) + " elements; give one group id per element");
            }
            return FeatureMask.of(Tensor.ofLongs(l, exampleShape));
        }
        return FeatureMask.of(Tensor.ofLongs(l, l.length));
    }

    private static int[] parseInts(String name, String t) {
        String[] parts = t.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw Explain4jException.usage(name, name + " '" + t + "' must be a comma-separated list of group ids, "
                        + "one per input element, e.g. 0,0,1,1,2");
            }
        }
        return out;
    }
}
