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
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.method.DeepLift;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.GuidedGradCam;
import org.explain4j.core.method.Lrp;
import org.explain4j.core.method.GradientShap;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.method.LayerAttribution;
import org.explain4j.core.method.LayerConductance;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.explain4j.core.method.NoiseTunnel;
import org.explain4j.core.method.Quadrature;
import org.explain4j.core.method.Saliency;
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

    static {
        add("saliency", "absolute gradient of the target (gradient; ONNX models)", List.of("--abs"),
                (m, f, p) -> new Saliency(differentiable(m, "saliency"), Saliency.Options.saliency()
                        .withAbs(f.abs().orElse(true)).withBatchSize(f.batchSize()), p));
        add("input-x-gradient", "input times gradient (gradient; ONNX models)", List.of(),
                (m, f, p) -> new Saliency(differentiable(m, "input-x-gradient"), Saliency.Options.inputXGradient()
                        .withBatchSize(f.batchSize()), p));
        add("integrated-gradients", "path integral of gradients from the baseline (gradient; ONNX models)",
                List.of("--baseline", "--steps", "--integration"), (m, f, p) -> integratedGradients(m, f, p));
        add("smoothgrad", "noise tunnel over a gradient method: smoothgrad, smoothgrad_sq, vargrad (gradient; ONNX models)",
                List.of("--inner", "--noise-type", "--samples", "--noise-std", "--seed", "--abs", "--baseline", "--steps",
                        "--integration"), (m, f, p) -> {
                    String innerName = f.inner().orElse("saliency");
                    if (!List.of("saliency", "input-x-gradient", "integrated-gradients").contains(innerName)) {
                        throw Explain4jException.usage("--inner", "--inner '" + innerName
                                + "' must be saliency, input-x-gradient or integrated-gradients");
                    }
                    Flags innerFlags = f;
                    AttributionMethod inner = switch (innerName) {
                        case "input-x-gradient" -> new Saliency(differentiable(m, "smoothgrad"),
                                Saliency.Options.inputXGradient().withBatchSize(f.batchSize()), p);
                        case "integrated-gradients" -> integratedGradients(m, innerFlags, p);
                        default -> new Saliency(differentiable(m, "smoothgrad"), Saliency.Options.saliency()
                                .withAbs(f.abs().orElse(true)).withBatchSize(f.batchSize()), p);
                    };
                    NoiseTunnel.Options o = NoiseTunnel.Options.defaults();
                    if (f.noiseType().isPresent()) {
                        o = o.withType(NoiseTunnel.NoiseType.parse(f.noiseType().get()));
                    }
                    if (f.samples().isPresent()) {
                        o = o.withSamples(f.samples().getAsInt());
                    }
                    if (f.noiseStd().isPresent()) {
                        o = o.withNoiseStdDev(f.noiseStd().getAsDouble());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    return new NoiseTunnel(inner, o);
                });
        add("gradient-shap", "expected gradients x (input - baseline) over a baseline distribution (gradient; ONNX models)",
                List.of("--baseline", "--samples", "--noise-std", "--seed"), (m, f, p) -> {
                    GradientShap.Options o = GradientShap.Options.defaults().withBatchSize(f.batchSize())
                            .withBaseline(f.baseline().orElse(Baseline.zeros()));
                    if (f.samples().isPresent()) {
                        o = o.withSamples(f.samples().getAsInt());
                    }
                    if (f.noiseStd().isPresent()) {
                        o = o.withNoiseStdDev(f.noiseStd().getAsDouble());
                    }
                    if (f.seed().isPresent()) {
                        o = o.withSeed(f.seed().getAsLong());
                    }
                    return new GradientShap(differentiable(m, "gradient-shap"), o, p);
                });
        add("layer-activation", "the activation of --layer (layer; ONNX models)", List.of("--layer"),
                (m, f, p) -> new LayerAttribution(differentiable(m, "layer-activation"), LayerAttribution.Kind.ACTIVATION,
                        layerOptions(f), p));
        add("layer-gradient-x-activation", "activation times gradient at --layer (layer; ONNX models)", List.of("--layer"),
                (m, f, p) -> new LayerAttribution(differentiable(m, "layer-gradient-x-activation"),
                        LayerAttribution.Kind.GRADIENT_X_ACTIVATION, layerOptions(f), p));
        add("grad-cam", "Grad-CAM map at --layer, (N, 1, h, w) (layer; ONNX models)", List.of("--layer", "--relu"),
                (m, f, p) -> new LayerAttribution(differentiable(m, "grad-cam"), LayerAttribution.Kind.GRAD_CAM,
                        layerOptions(f), p));
        add("layer-integrated-gradients", "integrated gradients at --layer from the layer value of an input-space baseline (layer; ONNX models)",
                List.of("--layer", "--baseline", "--steps", "--integration"),
                (m, f, p) -> new LayerIntegratedGradients(differentiable(m, "layer-integrated-gradients"), layerOptions(f), p));
        add("layer-conductance", "conductance of each unit of --layer along the input path (layer; ONNX models)",
                List.of("--layer", "--baseline", "--steps", "--integration"),
                (m, f, p) -> new LayerConductance(differentiable(m, "layer-conductance"), layerOptions(f), p));
    }

    static {
        add("deeplift", "DeepLIFT rescale rule against a reference, as Captum (propagation; ONNX models)",
                List.of("--baseline"), (m, f, p) -> new DeepLift(differentiable(m, "deeplift"), DeepLift.Options.defaults()
                        .withBaseline(f.baseline().orElse(Baseline.zeros())).withBatchSize(Math.max(2, f.batchSize())), p));
        add("deeplift-shap", "DeepLIFT averaged over a baseline distribution of K rows (propagation; ONNX models)",
                List.of("--baseline"), (m, f, p) -> new DeepLift(differentiable(m, "deeplift-shap"), DeepLift.Options.defaults()
                        .withBaseline(f.baseline().orElseThrow(() -> Explain4jException.usage("--baseline",
                                "deeplift-shap needs --baseline FILE.npy with K reference rows")))
                        .withBatchSize(Math.max(2, f.batchSize())), p));
        add("guided-backprop", "guided backpropagation: positive gradients through positive ReLUs (propagation; ONNX models)",
                List.of(), (m, f, p) -> new Saliency(differentiable(m, "guided-backprop"),
                        Saliency.Options.backward("guided-backprop", PropagationRules.guidedBackprop()).withBatchSize(f.batchSize()), p));
        add("deconvolution", "deconvolution: positive gradients through ReLUs (propagation; ONNX models)",
                List.of(), (m, f, p) -> new Saliency(differentiable(m, "deconvolution"),
                        Saliency.Options.backward("deconvolution", PropagationRules.deconvolution()).withBatchSize(f.batchSize()), p));
        add("guided-grad-cam", "guided backprop times the ReLU'd Grad-CAM map of --layer, upsampled (propagation; ONNX CNNs)",
                List.of("--layer", "--upsample"), (m, f, p) -> {
                    String up = f.upsample().orElse("nearest");
                    if (!up.equals("nearest") && !up.equals("bilinear")) {
                        throw Explain4jException.usage("--upsample", "--upsample '" + up + "' must be nearest or bilinear");
                    }
                    return new GuidedGradCam(differentiable(m, "guided-grad-cam"), layerOptions(f), up.equals("bilinear"), p);
                });
        add("lrp", "layer-wise relevance propagation with a rule --composite (propagation; ONNX models)",
                List.of("--composite", "--epsilon", "--low", "--high"), (m, f, p) -> {
                    Lrp.Options o = Lrp.Options.defaults().withBatchSize(f.batchSize());
                    if (f.composite().isPresent()) {
                        o = o.withComposite(f.composite().get());
                    }
                    if (f.epsilon().isPresent()) {
                        o = o.withEpsilon(f.epsilon().getAsDouble());
                    }
                    if (f.low().isPresent() && f.high().isPresent()) {
                        o = o.withBounds(f.low().getAsDouble(), f.high().getAsDouble());
                    } else if (f.low().isPresent()) {
                        o = o.withLow(f.low().getAsDouble());
                    } else if (f.high().isPresent()) {
                        o = o.withHigh(f.high().getAsDouble());
                    }
                    return new Lrp(differentiable(m, "lrp"), o, p);
                });
    }

    private Methods() {
    }

    private static AttributionMethod integratedGradients(Model m, Flags f, ProgressListener p) {
        IntegratedGradients.Options o = IntegratedGradients.Options.defaults().withBatchSize(f.batchSize())
                .withBaseline(f.baseline().orElse(Baseline.zeros()));
        if (f.steps().isPresent()) {
            o = o.withSteps(f.steps().getAsInt());
        }
        if (f.integration().isPresent()) {
            o = o.withIntegration(Quadrature.parse(f.integration().get()));
        }
        return new IntegratedGradients(differentiable(m, "integrated-gradients"), o, p);
    }

    private static LayerOptions layerOptions(Flags f) {
        LayerOptions o = LayerOptions.of(f.layer().orElseThrow(() -> Explain4jException.usage("--layer",
                "this method needs --layer NAME, the ONNX name of an intermediate tensor (e.g. /relu2/Relu_output_0)")))
                .withBatchSize(f.batchSize()).withBaseline(f.baseline().orElse(Baseline.zeros()));
        if (f.steps().isPresent()) {
            o = o.withSteps(f.steps().getAsInt());
        }
        if (f.integration().isPresent()) {
            o = o.withIntegration(Quadrature.parse(f.integration().get()));
        }
        if (f.relu().isPresent()) {
            o = o.withRelu(f.relu().get());
        }
        return o;
    }

    private static DifferentiableModel differentiable(Model m, String method) {
        if (m instanceof DifferentiableModel d) {
            return d;
        }
        throw Explain4jException.unsupported("--method", method + " needs gradients, which this model cannot provide; "
                + "use a perturbation method (occlusion, feature-ablation, shapley-value-sampling, kernel-shap, lime)");
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
