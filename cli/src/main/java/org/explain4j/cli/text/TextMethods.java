package org.explain4j.cli.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Family;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;

/**
 * What a text explanation adds around a method, shared by {@code explain --text} and the service:
 * which methods apply, the references (every non-special token replaced by the pad id for the
 * gradient methods; by [MASK], the pad id or deleted for the perturbation methods), the feature
 * groups (words or tokens, special tokens and padding kept as one extra group), the parameter
 * values a text run uses where none are given, and the per-token values of a result.
 */
public final class TextMethods {
    /** The seed of seeded methods when none is given. */
    public static final String SEED = "7";

    private TextMethods() {
    }

    /** Whether {@code spec} explains token ids: layer methods at the embedding, DeepLIFT, LRP, perturbation. */
    public static boolean supported(MethodSpec spec) {
        return switch (spec.name()) {
            case "layer-integrated-gradients", "layer-gradient-x-activation", "layer-activation", "layer-conductance",
                 "deeplift", "lrp", "kernel-shap", "lime", "feature-ablation", "shapley-value-sampling",
                 "shapley-exact" -> true;
            default -> false;
        };
    }

    /** The names of the methods {@link #supported} accepts, in catalogue order. */
    public static List<String> supportedNames() {
        return MethodCatalog.all().stream().filter(TextMethods::supported).map(MethodSpec::name).toList();
    }

    /** The pad id: [PAD], else {@code <pad>}, else 0. */
    public static long padId(TextTokenizer tok) {
        return tok.id("[PAD]").orElse(tok.id("<pad>").orElse(0));
    }

    /** The mask id: [MASK], else {@code <mask>}, else none. */
    public static OptionalLong maskId(TextTokenizer tok) {
        return tok.id("[MASK]").isPresent() ? tok.id("[MASK]") : tok.id("<mask>");
    }

    /** The replacement id of a removed token for reference kind {@code mask}, {@code pad} or {@code delete}. */
    public static long perturbationId(String kind, long pad, OptionalLong maskId) {
        return switch (kind) {
            case "mask" -> maskId.getAsLong();
            case "delete" -> DeletionModel.DELETED;
            default -> pad;
        };
    }

    /**
     * The parameter values (as command-line text) a text run gives {@code spec} besides its
     * references: {@code layer} (the tensor attributed to), {@code steps} and {@code samples} (the
     * catalogue's suggestion, else 50 and 256), LRP's {@code epsilon} composite, and the seed.
     */
    public static Map<String, String> defaults(MethodSpec spec, String layer) {
        Map<String, String> p = new LinkedHashMap<>();
        if (spec.param("layer").isPresent()) {
            p.put("layer", layer);
        }
        if (spec.param("steps").isPresent()) {
            p.put("steps", Optional.ofNullable(spec.suggested().get("steps")).orElse("50"));
        }
        if (spec.name().equals("lrp")) {
            p.put("composite", "epsilon");
        }
        if (spec.param("samples").isPresent()) {
            String sug = spec.suggested().get("samples");
            p.put("samples", sug != null ? sug : "256");
        }
        if (spec.param("seed").isPresent()) {
            p.put("seed", SEED);
        }
        return p;
    }

    /** The ids with {@code value} at every non-special token of each text; special tokens and padding kept. */
    public static Tensor replaced(Tensor ids, List<TokenizedText> texts, long value) {
        long[] v = ids.toLongArray();
        int t = ids.dim(1);
        for (int n = 0; n < texts.size(); n++) {
            List<TokenizedText.Token> tk = texts.get(n).tokens();
            for (int j = 0; j < tk.size(); j++) {
                if (!tk.get(j).special()) {
                    v[n * t + j] = value;
                }
            }
        }
        return Tensor.ofLongs(v, ids.shape());
    }

    /**
     * Feature groups per example: one per word (or token, {@code features} "tokens") numbered from 0
     * in text order; special tokens and padding share the last group, whose baseline is the input
     * itself (kept).
     */
    public static Tensor featureMask(Tensor ids, List<TokenizedText> texts, String features) {
        int t = ids.dim(1);
        long[] g = new long[texts.size() * t];
        for (int n = 0; n < texts.size(); n++) {
            TokenizedText tt = texts.get(n);
            int[] wordOf = tt.wordOfToken();
            int count = 0;
            int[] group = new int[tt.size()];
            for (int j = 0; j < tt.size(); j++) {
                group[j] = tt.tokens().get(j).special() ? -1 : features.equals("words") ? wordOf[j] : count++;
            }
            int m = features.equals("words") ? tt.words().size() : count;
            for (int j = 0; j < t; j++) {
                g[n * t + j] = j < tt.size() && group[j] >= 0 ? group[j] : m;
            }
        }
        return Tensor.ofLongs(g, ids.shape());
    }

    /**
     * Per-token values of each example: layer results summed over the hidden size; results over
     * feature groups ({@code groups} the feature mask of a perturbation method, else null) divided
     * evenly among the group's tokens, so that a word's tokens sum to its value.
     */
    public static List<double[]> perToken(Attribution a, List<TokenizedText> texts, Tensor groupMask) {
        Tensor v = a.values();
        int[] sh = v.shape();
        int longest = texts.stream().mapToInt(TokenizedText::size).max().orElse(0);
        if (sh.length < 2 || sh[1] != longest) {
            throw org.explain4j.core.Explain4jException.shape("layer", "per-token values need one row per token, "
                    + "(N, " + longest + ", ...), but " + a.method() + " gave " + org.explain4j.core.Tensor.shapeString(sh)
                    + "; choose a layer with a token axis (an embedding or a hidden state), not a pooled one");
        }
        int t = sh[1];
        int d = sh.length >= 3 ? v.exampleSize() / t : 1;
        double[] all = v.toDoubleArray();
        List<double[]> out = new ArrayList<>();
        long[] groups = groupMask == null ? null : groupMask.toLongArray();
        for (int n = 0; n < texts.size(); n++) {
            int len = texts.get(n).size();
            double[] r = new double[len];
            for (int j = 0; j < len; j++) {
                double sum = 0;
                for (int k = 0; k < d; k++) {
                    sum += all[(n * t + j) * d + k];
                }
                r[j] = sum;
            }
            if (groups != null) {
                for (int j = 0; j < len; j++) {
                    long gj = groups[n * t + j];
                    int size = 0;
                    for (int k = 0; k < t; k++) {
                        size += groups[n * t + k] == gj ? 1 : 0;
                    }
                    r[j] /= size;
                }
            }
            out.add(r);
        }
        return out;
    }

    /** Whether {@code spec} perturbs feature groups (its values are per group, its reference a removal). */
    public static boolean perturbation(MethodSpec spec) {
        return spec.family() == Family.PERTURBATION;
    }
}
