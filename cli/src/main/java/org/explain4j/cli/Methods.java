package org.explain4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.FeaturePermutation;
import org.explain4j.core.method.KernelShap;
import org.explain4j.core.method.Lime;
import org.explain4j.core.method.Occlusion;
import org.explain4j.core.method.ShapleyValueSampling;
import org.explain4j.core.model.Model;

/**
 * The catalogue of methods the command line offers: each name, the flags it accepts and how the
 * parsed flags become the method's options.
 */
public final class Methods {
    /** How to make one method from a model and flags. */
    interface Factory {
        AttributionMethod create(Model model, Flags flags, ProgressListener progress);
    }

    /** A catalogue entry. */
    record Entry(String name, String summary, Set<String> flags, Factory factory) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add("occlusion", "sliding-window occlusion (perturbation; any model)",
                List.of("--baseline", "--window", "--stride"), (m, f, p) -> {
                    int[] window = f.window().orElseThrow(() -> Explain4jException.usage("--window",
                            "occlusion needs --window, one size per example dimension, e.g. --window 1,3,3"));
                    Occlusion.Options o = Occlusion.Options.window(window).withBatchSize(f.batchSize());
                    if (f.stride().isPresent()) {
                        o = o.withStride(f.stride().get());
                    }
                    return new Occlusion(m, o.withBaseline(f.baseline().orElse(Baseline.zeros())), p);
                });
        add("feature-ablation", "replace each feature or group by the baseline (perturbation; any model)",
                List.of("--baseline", "--feature-mask"), (m, f, p) -> new FeatureAblation(m,
                        FeatureAblation.Options.defaults().withBaseline(f.baseline().orElse(Baseline.zeros()))
                                .withFeatureMask(f.featureMask()).withBatchSize(f.batchSize()), p));
        add("shapley-value-sampling", "Shapley values by permutation sampling, exact when cheaper (perturbation; any model)",
                List.of("--baseline", "--feature-mask", "--samples", "--seed", "--exact"), (m, f, p) -> {
                    ShapleyValueSampling.Options o = ShapleyValueSampling.Options.defaults()
                            .withBaseline(f.baseline().orElse(Baseline.zeros())).withFeatureMask(f.featureMask())
                            .withBatchSize(f.batchSize());
                    if (f.samples().isPresent()) {
                        o = o.withSamples(f.samples().getAsInt());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    if (f.exact().isPresent()) {
                        o = o.withExact(parseEnum(ShapleyValueSampling.Exact.class, "--exact", f.exact().get()));
                    }
                    return new ShapleyValueSampling(m, o, p);
                });
        add("shapley-exact", "exact Shapley values over all 2^M coalitions (perturbation; any model; M <= 24)",
                List.of("--baseline", "--feature-mask"), (m, f, p) -> new ShapleyValueSampling(m,
                        ShapleyValueSampling.Options.defaults().withBaseline(f.baseline().orElse(Baseline.zeros()))
                                .withFeatureMask(f.featureMask()).withExact(ShapleyValueSampling.Exact.ALWAYS)
                                .withBatchSize(f.batchSize()), p));
        add("kernel-shap", "KernelSHAP: Shapley-kernel weighted regression with efficiency (perturbation; any model)",
                List.of("--baseline", "--feature-mask", "--samples", "--seed"), (m, f, p) -> {
                    KernelShap.Options o = KernelShap.Options.defaults().withBaseline(f.baseline().orElse(Baseline.zeros()))
                            .withFeatureMask(f.featureMask()).withBatchSize(f.batchSize());
                    if (f.samples().isPresent()) {
                        o = o.withSamples(f.samples().getAsInt());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    return new KernelShap(m, o, p);
                });
        add("lime", "LIME: weighted ridge or lasso surrogate on random coalitions (perturbation; any model)",
                List.of("--baseline", "--feature-mask", "--samples", "--seed", "--kernel-width", "--surrogate", "--alpha"),
                (m, f, p) -> {
                    Lime.Options o = Lime.Options.defaults().withBaseline(f.baseline().orElse(Baseline.zeros()))
                            .withFeatureMask(f.featureMask()).withBatchSize(f.batchSize());
                    if (f.surrogate().isPresent()) {
                        o = o.withSurrogate(parseEnum(Lime.Surrogate.class, "--surrogate", f.surrogate().get()));
                    }
                    if (f.alpha().isPresent()) {
                        o = o.withAlpha(f.alpha().getAsDouble());
                    }
                    if (f.samples().isPresent()) {
                        o = o.withSamples(f.samples().getAsInt());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    if (f.kernelWidth().isPresent()) {
                        o = o.withKernelWidth(f.kernelWidth().getAsDouble());
                    }
                    return new Lime(m, o, p);
                });
        add("feature-permutation", "shuffle each feature across the batch (perturbation; any model; batch >= 2)",
                List.of("--feature-mask", "--samples", "--seed"), (m, f, p) -> {
                    FeaturePermutation.Options o = FeaturePermutation.Options.defaults().withFeatureMask(f.featureMask())
                            .withBatchSize(f.batchSize());
                    if (f.samples().isPresent()) {
                        o = o.withRepeats(f.samples().getAsInt());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    return new FeaturePermutation(m, o, p);
                });
    }

    private Methods() {
    }

    static void add(String name, String summary, List<String> flags, Factory factory) {
        ENTRIES.put(name, new Entry(name, summary, Set.copyOf(flags), factory));
    }

    /** Every method name, in catalogue order. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** One-line summaries by method name. */
    public static Map<String, String> summaries() {
        Map<String, String> out = new LinkedHashMap<>();
        ENTRIES.forEach((k, v) -> out.put(k, v.summary()));
        return out;
    }

    /** Flags every method accepts. */
    static final Set<String> COMMON = Set.of("--model", "--input", "--method", "--output", "--target", "--batch-size",
            "--format", "--threads", "--quiet", "--verbose", "--input-name", "--output-name");

    /** Makes a method, refusing unknown names and flags that do not apply to it. */
    public static AttributionMethod create(String name, Model model, Flags flags, ProgressListener progress) {
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw Explain4jException.usage("--method", "unknown method '" + name + "'; choose one of " + String.join(", ", names()));
        }
        Set<String> stray = new TreeSet<>(flags.given());
        stray.removeAll(COMMON);
        stray.removeAll(e.flags());
        if (!stray.isEmpty()) {
            throw Explain4jException.usage(stray.iterator().next(), String.join(", ", stray) + " does not apply to "
                    + name + "; it accepts " + (e.flags().isEmpty() ? "no method flags" : String.join(", ", new TreeSet<>(e.flags()))));
        }
        return e.factory().create(model, flags, progress);
    }

    static <E extends Enum<E>> E parseEnum(Class<E> type, String flag, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException ex) {
            StringBuilder b = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                b.append(b.length() == 0 ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw Explain4jException.usage(flag, flag + " '" + value + "' is not one of " + b);
        }
    }
}
