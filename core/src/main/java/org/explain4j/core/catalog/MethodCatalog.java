package org.explain4j.core.catalog;

import static org.explain4j.core.catalog.ParamSpec.Range;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.Composite;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.method.Deconvolution;
import org.explain4j.core.method.DeepLift;
import org.explain4j.core.method.DeepLiftShap;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.FeaturePermutation;
import org.explain4j.core.method.GradCam;
import org.explain4j.core.method.GradientShap;
import org.explain4j.core.method.GuidedBackprop;
import org.explain4j.core.method.GuidedGradCam;
import org.explain4j.core.method.InputXGradient;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.method.KernelShap;
import org.explain4j.core.method.LayerActivation;
import org.explain4j.core.method.LayerConductance;
import org.explain4j.core.method.LayerGradientXActivation;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.explain4j.core.method.Lime;
import org.explain4j.core.method.Lrp;
import org.explain4j.core.method.NoiseTunnel;
import org.explain4j.core.method.Occlusion;
import org.explain4j.core.method.Quadrature;
import org.explain4j.core.method.Saliency;
import org.explain4j.core.method.ShapleyExact;
import org.explain4j.core.method.ShapleyValueSampling;
import org.explain4j.core.model.Model;

/**
 * The one list of attribution methods. Adding a method means writing its class and adding one
 * {@link MethodSpec} here; the command line, {@code explain}'s defaults, the README table and the
 * JSON listing follow from it (see docs/ADDING_A_METHOD.md).
 */
public final class MethodCatalog {
    private static final List<String> INTEGRATIONS = java.util.Arrays.stream(Quadrature.values()).map(Quadrature::label)
            .toList();
    private static final Map<String, MethodSpec> SPECS = new LinkedHashMap<>();

    static {
        gradientMethods();
        layerMethods();
        propagationMethods();
        perturbationMethods0();
    }

    private MethodCatalog() {
    }

    /** Every method, in catalogue order (gradient, layer, propagation, perturbation). */
    public static List<MethodSpec> all() {
        return List.copyOf(SPECS.values());
    }

    /** Every method name, in catalogue order. */
    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    /** The method called {@code name}, if any. */
    public static Optional<MethodSpec> find(String name) {
        return Optional.ofNullable(SPECS.get(name == null ? null : name.trim().toLowerCase(Locale.ROOT)));
    }

    /** The method called {@code name}; an unknown name is a usage error listing the methods. */
    public static MethodSpec get(String name) {
        return find(name).orElseThrow(() -> Explain4jException.usage("method", "unknown method '" + name
                + "'; choose one of " + String.join(", ", names())));
    }

    /** The names of the methods that run on any model (forward passes only). */
    public static List<String> perturbationMethods() {
        return SPECS.values().stream().filter(MethodSpec::anyModel).map(MethodSpec::name).toList();
    }

    /** Binds {@code params} for method {@code name} and makes it on {@code model}. */
    public static AttributionMethod create(String name, Model model, Map<String, ?> params, ProgressListener progress) {
        MethodSpec s = get(name);
        return s.create(model, s.bind(params), progress);
    }

    private static void add(MethodSpec.Builder b) {
        MethodSpec s = b.build();
        SPECS.put(s.name(), s);
    }

    private static DifferentiableModel d(Model m) {
        return (DifferentiableModel) m;
    }

    // ---- parameters shared by several methods ----

    /**
     * The most {@code steps} a path method takes with any rule (Gauss-Legendre takes at most
     * {@link org.explain4j.core.method.Quadrature#MAX_GAUSS_LEGENDRE}: its nodes cost O(steps^2)
     * before the first model call).
     */
    public static final int MAX_STEPS = 1_000_000;

    // ---------- budget memory: what a method holds for its whole budget, per example (MethodSpec.Memory) ----------

    /** Bytes of one queued perturbation beyond its element list (object headers, references, its value). */
    static final long QUEUED_ROW = 72;

    /** The path methods sum the gradients batch by batch: only the rule's points and weights grow with steps. */
    static long pathMemory(Params p, long elements, long features) {
        return MethodSpec.Memory.plus(MethodSpec.Memory.times(p.integer("steps"), 16), 16 * elements);
    }

    /** GradientSHAP and SmoothGrad draw one noise tensor of the input's size per sample before the batches. */
    static long noiseMemory(Params p, long elements, long features) {
        return MethodSpec.Memory.plus(MethodSpec.Memory.times(p.integer("samples"), 8 * elements + 24), 16 * elements);
    }

    /**
     * KernelSHAP and LIME keep, per sample, a coalition (M booleans), a design row (M doubles), a queued
     * perturbation (about 2F bytes) and its output, weight and value, and fit on all of them at once.
     */
    static long coalitionMemory(Params p, long elements, long features) {
        return MethodSpec.Memory.times(p.integer("samples"), 9 * features + 2 * elements + QUEUED_ROW + 48);
    }

    /** Shapley value sampling queues M + 1 perturbations (about 2F bytes each) per permutation sample. */
    static long samplingMemory(Params p, long elements, long features) {
        return MethodSpec.Memory.times(MethodSpec.Memory.times(p.integer("samples"), features + 1), 2 * elements + QUEUED_ROW);
    }

    /** Feature permutation queues M perturbations (about 2F bytes each) per repeat. */
    static long permutationMemory(Params p, long elements, long features) {
        return MethodSpec.Memory.times(MethodSpec.Memory.times(p.integer("samples"), features), 2 * elements + QUEUED_ROW);
    }

    private static ParamSpec steps() {
        return ParamSpec.integer("steps", IntegratedGradients.Options.defaults().steps(), Range.between(1, MAX_STEPS),
                "number of points on the path from the baseline to the input").budget();
    }

    private static ParamSpec integration() {
        return ParamSpec.choice("integration", Quadrature.GAUSS_LEGENDRE.label(), INTEGRATIONS, "quadrature rule along the path");
    }

    private static ParamSpec layer() {
        return ParamSpec.requiredString("layer", "ONNX name of an intermediate tensor, e.g. /relu2/Relu_output_0");
    }

    private static ParamSpec inputBaseline() {
        return ParamSpec.baseline("reference input: zeros, a number, or a tensor of shape (1, ...) or (N, ...)");
    }

    private static ParamSpec samples(int defaultValue, int min, String help) {
        return ParamSpec.integer("samples", defaultValue, Range.atLeast(min), help).budget();
    }

    private static LayerOptions layerOptions(Params p) {
        LayerOptions o = LayerOptions.of(p.string("layer")).withBatchSize(p.batchSize());
        if (p.values().containsKey("baseline")) {
            o = o.withBaseline(p.baseline());
        }
        if (p.values().containsKey("steps")) {
            o = o.withSteps(p.integer("steps")).withIntegration(Quadrature.parse(p.string("integration")));
        }
        if (p.values().containsKey("relu")) {
            o = o.withRelu(p.bool("relu"));
        }
        return o;
    }

    private static AttributionMethod integratedGradients(Model m, Params p, ProgressListener progress) {
        return new IntegratedGradients(d(m), new IntegratedGradients.Options(p.baseline(), p.integer("steps"),
                Quadrature.parse(p.string("integration")), p.batchSize()), progress);
    }

    // ---- the catalogue ----

    private static void gradientMethods() {
        add(MethodSpec.builder("saliency", Family.GRADIENT)
                .summary("where is the output most sensitive? the absolute gradient (abs false: signed)")
                .description("Absolute gradient of the target output with respect to each input element: how sensitive "
                        + "the output is to a small change there. Fast and noisy; says nothing about direction.")
                .params(ParamSpec.bool("abs", true, "absolute value of the gradient (Captum's default)"))
                .cost("1 backward").suggestFor(InputKind.IMAGE)
                .factory((m, p, pr) -> new Saliency(d(m), new Saliency.Options(p.bool("abs"), p.batchSize()), pr)));
        add(MethodSpec.builder("input-x-gradient", Family.GRADIENT)
                .summary("first-order contribution of each element: input times gradient")
                .description("Input times gradient: a first-order estimate of each element's contribution relative to a "
                        + "zero input. Red raises the target output, blue lowers it.")
                .cost("1 backward")
                .factory((m, p, pr) -> new InputXGradient(d(m), new InputXGradient.Options(p.batchSize()), pr)));
        add(MethodSpec.builder("integrated-gradients", Family.GRADIENT)
                .summary("contribution relative to a baseline, summing to f(x) - f(baseline)")
                .description("Gradients averaged along the straight path from the baseline to the input, times the "
                        + "difference to the baseline (Sundararajan et al., 2017). Attributions sum to f(x) - f(baseline); "
                        + "the completeness gap below measures how well the path integral was approximated.")
                .needs(Need.BASELINE).params(inputBaseline(), steps(), integration())
                .cost("`steps` backward").suggestFor(InputKind.IMAGE, InputKind.TABULAR).suggest("steps", "50")
                .memory("steps", MethodCatalog::pathMemory)
                .factory(MethodCatalog::integratedGradients));
        add(MethodSpec.builder("smoothgrad", Family.GRADIENT)
                .summary("a less noisy gradient map: a noise tunnel (smoothgrad, smoothgrad_sq, vargrad) over saliency, "
                        + "input-x-gradient or integrated-gradients")
                .description("A gradient method averaged over noisy copies of the input (Smilkov et al., 2017), which "
                        + "removes much of the gradient's high-frequency noise. Stochastic: the seed fixes the noise.")
                .params(ParamSpec.choice("inner", "saliency", List.of("saliency", "input-x-gradient", "integrated-gradients"),
                                "the gradient method to smooth"),
                        ParamSpec.choice("noise-type", "smoothgrad", List.of("smoothgrad", "smoothgrad_sq", "vargrad"),
                                "how noisy attributions are combined: mean, mean of squares, variance"),
                        samples(NoiseTunnel.Options.defaults().samples(), 1, "number of noisy copies"),
                        ParamSpec.real("noise-std", NoiseTunnel.Options.defaults().noiseStdDev(), Range.atLeast(0),
                                "standard deviation of the Gaussian noise, in input units"),
                        ParamSpec.seed(),
                        ParamSpec.bool("abs", true, "absolute value of the inner saliency").when("inner", "saliency"),
                        inputBaseline().when("inner", "integrated-gradients"),
                        steps().when("inner", "integrated-gradients"),
                        integration().when("inner", "integrated-gradients"))
                .cost("`samples` x inner").suggestFor(InputKind.IMAGE).suggest("samples", "25").suggest("noise-std", "15%")
                .suggest("seed", "7")
                .memory("samples", MethodCatalog::noiseMemory)
                .factory((m, p, pr) -> {
                    AttributionMethod inner = switch (p.string("inner")) {
                        case "input-x-gradient" -> new InputXGradient(d(m), new InputXGradient.Options(p.batchSize()), pr);
                        case "integrated-gradients" -> integratedGradients(m, p, pr);
                        default -> new Saliency(d(m), new Saliency.Options(p.bool("abs"), p.batchSize()), pr);
                    };
                    return new NoiseTunnel(inner, new NoiseTunnel.Options(NoiseTunnel.NoiseType.parse(p.string("noise-type")),
                            p.integer("samples"), p.real("noise-std"), p.seed()));
                }));
        add(MethodSpec.builder("gradient-shap", Family.GRADIENT)
                .summary("SHAP values by expected gradients over a baseline distribution")
                .description("Expected gradients times (input - baseline) over random baselines and path points "
                        + "(a SHAP approximation). Stochastic: the seed fixes the draws.")
                .needs(Need.BASELINE_DISTRIBUTION)
                .params(ParamSpec.baseline("reference rows: zeros, a number, or a tensor of K rows (a distribution)"),
                        samples(GradientShap.Options.defaults().samples(), 1, "random (baseline, path point) draws per example"),
                        ParamSpec.real("noise-std", GradientShap.Options.defaults().noiseStdDev(), Range.atLeast(0),
                                "standard deviation of Gaussian noise added to the input"),
                        ParamSpec.seed())
                .cost("`samples` backward").suggest("samples", "25").suggest("noise-std", "5%").suggest("seed", "7")
                .memory("samples", MethodCatalog::noiseMemory)
                .factory((m, p, pr) -> new GradientShap(d(m), new GradientShap.Options(p.baseline(), p.integer("samples"),
                        p.real("noise-std"), p.seed(), p.batchSize()), pr)));
    }

    private static void layerMethods() {
        add(MethodSpec.builder("layer-activation", Family.LAYER)
                .summary("a layer's activation")
                .description("The layer's activation itself, summed over channels for display.")
                .needs(Need.LAYER).params(layer()).output(Output.LAYER).cost("1 backward")
                .factory((m, p, pr) -> new LayerActivation(d(m), layerOptions(p), pr)));
        add(MethodSpec.builder("layer-gradient-x-activation", Family.LAYER)
                .summary("a layer's first-order contribution: activation times gradient")
                .description("The layer's activation times the target's gradient there.")
                .needs(Need.LAYER).params(layer()).output(Output.LAYER).cost("1 backward")
                .factory((m, p, pr) -> new LayerGradientXActivation(d(m), layerOptions(p), pr)));
        add(MethodSpec.builder("grad-cam", Family.LAYER)
                .summary("which region of a conv layer supports the class; (N, 1, h, w)")
                .description("Grad-CAM (Selvaraju et al., 2017): the layer's channels weighted by their mean gradient; "
                        + "a coarse map at the layer's resolution, shown upsampled to the input.")
                .needs(Need.LAYER)
                .params(layer(), ParamSpec.bool("relu", false, "ReLU on the map (Captum's default is false)"))
                .output(Output.LAYER_MAP).cost("1 backward").suggestFor(InputKind.IMAGE).suggest("relu", "true")
                .factory((m, p, pr) -> new GradCam(d(m), layerOptions(p), pr)));
        add(MethodSpec.builder("layer-integrated-gradients", Family.LAYER)
                .summary("integrated gradients at a layer (e.g. an embedding's output for token ids)")
                .description("Integrated gradients at the layer, from the layer's value on the baseline input to its "
                        + "value on the input.")
                .needs(Need.LAYER, Need.BASELINE)
                .params(layer(), ParamSpec.baseline("input-space reference (e.g. pad-token ids) whose layer value is the "
                        + "layer baseline"), steps(), integration())
                .output(Output.LAYER).cost("`steps` backward").suggestFor(InputKind.TOKENS).suggest("steps", "50")
                .memory("steps", MethodCatalog::pathMemory)
                .factory((m, p, pr) -> new LayerIntegratedGradients(d(m), layerOptions(p), pr)));
        add(MethodSpec.builder("layer-conductance", Family.LAYER)
                .summary("how much of the path integral flows through each layer unit")
                .description("Conductance of each layer unit (Dhamdhere et al., 2018): how much of the path integral "
                        + "flows through it.")
                .needs(Need.LAYER, Need.BASELINE).params(layer(), inputBaseline(), steps(), integration())
                .output(Output.LAYER).cost("`steps + 1` backward").suggest("steps", "50")
                .memory("steps", MethodCatalog::pathMemory)
                .factory((m, p, pr) -> new LayerConductance(d(m), layerOptions(p), pr)));
    }

    private static void propagationMethods() {
        add(MethodSpec.builder("deeplift", Family.PROPAGATION)
                .summary("contribution relative to a reference with DeepLIFT's rescale rule (Captum's DeepLift)")
                .description("DeepLIFT's rescale rule (Shrikumar et al., 2017): contributions of the difference between "
                        + "the input and a reference, propagated with finite-difference multipliers. Sums to f(x) - "
                        + "f(reference).")
                .needs(Need.BASELINE).params(inputBaseline(), ParamSpec.batchSize(2)
                        .withHelp("most rows per model call, at least 2: each input is evaluated with its reference; "
                                + "default: auto, the most that fit the memory budget"),
                        optionalLayer("DeepLIFT at this tensor (Captum's LayerDeepLift), e.g. an embedding's output for "
                                + "token ids; default: at the input"))
                .cost("2 (input and reference)").suggestFor(InputKind.IMAGE, InputKind.TABULAR)
                .factory((m, p, pr) -> new DeepLift(d(m), deepLiftOptions(p), pr)));
        add(MethodSpec.builder("deeplift-shap", Family.PROPAGATION)
                .summary("DeepLIFT averaged over K reference rows")
                .description("DeepLIFT averaged over a distribution of references (DeepSHAP).")
                .needs(Need.BASELINE_DISTRIBUTION)
                .params(ParamSpec.baselineDistribution("K reference rows, shape (K, ...)"), ParamSpec.batchSize(2)
                        .withHelp("most rows per model call, at least 2: each input is evaluated with its reference; "
                                + "default: auto, the most that fit the memory budget"),
                        optionalLayer("DeepLIFT-SHAP at this tensor, e.g. an embedding's output; default: at the input"))
                .cost("2K")
                .factory((m, p, pr) -> new DeepLiftShap(d(m), deepLiftOptions(p), pr)));
        add(MethodSpec.builder("guided-backprop", Family.PROPAGATION)
                .summary("sharp input-space patterns: positive gradients through positive ReLUs")
                .description("Gradient in which ReLUs pass only positive gradients where their input was positive "
                        + "(Springenberg et al., 2015). Sharp, but largely independent of the target class.")
                .cost("1 backward").suggestFor(InputKind.IMAGE)
                .factory((m, p, pr) -> new GuidedBackprop(d(m), new GuidedBackprop.Options(p.batchSize()), pr)));
        add(MethodSpec.builder("deconvolution", Family.PROPAGATION)
                .summary("input-space patterns: positive gradients through every ReLU")
                .description("Gradient in which ReLUs pass only positive gradients (Zeiler and Fergus, 2014).")
                .cost("1 backward")
                .factory((m, p, pr) -> new Deconvolution(d(m), new Deconvolution.Options(p.batchSize()), pr)));
        add(MethodSpec.builder("guided-grad-cam", Family.PROPAGATION)
                .summary("guided backprop restricted to the Grad-CAM region of a layer")
                .description("Guided backpropagation multiplied by the Grad-CAM map: fine detail, but only where "
                        + "Grad-CAM sees the class.")
                .needs(Need.LAYER)
                .params(layer(), ParamSpec.choice("upsample", "nearest", List.of("nearest", "bilinear"),
                        "how the map is upsampled to the input (nearest as Captum)"))
                .cost("2 backward").suggestFor(InputKind.IMAGE)
                .factory((m, p, pr) -> new GuidedGradCam(d(m), layerOptions(p), p.string("upsample").equals("bilinear"), pr)));
        add(MethodSpec.builder("lrp", Family.PROPAGATION)
                .summary("relevance of each input, conserved layer by layer under a rule composite")
                .description("Layer-wise relevance propagation: the target output's value is redistributed layer by layer "
                        + "to the input under a composite of rules; relevance is approximately conserved.")
                .params(lrpParams()).params(optionalLayer("relevance at this tensor (e.g. an embedding's output for "
                        + "token ids) instead of at the input"))
                .cost("1 backward").suggestFor(InputKind.IMAGE).suggest("composite", "epsilon-plus-flat")
                .factory((m, p, pr) -> {
                    Lrp.Options o = Lrp.Options.defaults().withComposite(p.string("composite")).withBatchSize(p.batchSize());
                    if (p.isGiven("layer")) {
                        o = o.withLayer(p.string("layer"));
                    }
                    for (Composite.Parameter c : Composite.Parameter.values()) {
                        if (p.isGiven(c.option())) {
                            double v = p.real(c.option());
                            o = switch (c) {
                                case EPSILON -> o.withEpsilon(v);
                                case GAMMA -> o.withGamma(v);
                                case BETA -> o.withBeta(v);
                                case LOW -> o.withLow(v);
                                case HIGH -> o.withHigh(v);
                            };
                        }
                    }
                    return new Lrp(d(m), o, pr);
                }));
    }

    /** An optional tensor name for the propagation methods that also work at a layer. */
    private static ParamSpec optionalLayer(String help) {
        return new ParamSpec("layer", ParamType.STRING, Optional.empty(), false, Range.ANY, List.of(), help,
                ParamSpec.Role.OPTION, Map.of());
    }

    private static DeepLift.Options deepLiftOptions(Params p) {
        DeepLift.Options o = new DeepLift.Options(p.baseline(), p.batchSize());
        return p.isGiven("layer") ? o.withLayer(p.string("layer")) : o;
    }

    /**
     * The LRP parameters: the composite, and each composite parameter applying to the composites
     * that declare it (with their common default, if they share one).
     */
    private static ParamSpec[] lrpParams() {
        List<ParamSpec> out = new java.util.ArrayList<>();
        out.add(ParamSpec.choice("composite", Composites.EPSILON.name(), Composites.names(),
                "rule composite (Zennit's composites, Captum's epsilon, and gradient-only ones)"));
        Map<Composite.Parameter, String> help = Map.of(
                Composite.Parameter.EPSILON, "epsilon of the epsilon rule (default 1e-9 in epsilon, 1e-6 in Zennit's composites)",
                Composite.Parameter.GAMMA, "gamma of the gamma rule",
                Composite.Parameter.BETA, "alpha-beta rule with alpha = 1 + beta (not beta-smooth's sharpness)",
                Composite.Parameter.LOW, "z^B lower input bound",
                Composite.Parameter.HIGH, "z^B upper input bound");
        for (Composite.Parameter c : Composite.Parameter.values()) {
            List<Composite> users = Composites.all().stream().filter(x -> x.defaults().containsKey(c)).toList();
            java.util.Set<Double> defaults = new java.util.HashSet<>();
            users.forEach(u -> defaults.add(u.defaults().get(c)));
            Range range = c == Composite.Parameter.LOW || c == Composite.Parameter.HIGH ? Range.ANY : Range.atLeast(0);
            ParamSpec p = defaults.size() == 1
                    ? ParamSpec.real(c.option(), defaults.iterator().next(), range, help.get(c))
                    : ParamSpec.optionalReal(c.option(), range, help.get(c));
            out.add(p.when("composite", users.stream().map(Composite::name).toArray(String[]::new)));
        }
        return out.toArray(ParamSpec[]::new);
    }

    /** Incremental inference for local perturbations (occlusion, feature ablation, Shapley values). */
    private static ParamSpec incremental() {
        return ParamSpec.bool("incremental", true, "recompute only what each perturbation changes, where the model "
                + "allows (ONNX CNN layers: the region each box reaches; a dense first layer: its pre-activation "
                + "updated by the changed features); same result within float32 rounding; false runs whole forward passes");
    }

    private static void perturbationMethods0() {
        add(MethodSpec.builder("occlusion", Family.PERTURBATION)
                .summary("what happens if a sliding window is hidden?")
                .description("A window slides over the input and is replaced by the baseline; each element gets the "
                        + "average drop of the target output over the windows covering it. Model-agnostic.")
                .needs(Need.BASELINE)
                .params(ParamSpec.requiredInts("window", "window size per example dimension (batch excluded), e.g. 1,3,3"),
                        ParamSpec.optionalInts("stride", "window stride per example dimension (default 1 each)"),
                        inputBaseline(), incremental())
                .cost("1 + window positions").suggestFor(InputKind.IMAGE)
                .factory((m, p, pr) -> {
                    Occlusion.Options o = Occlusion.Options.window(p.ints("window")).withBaseline(p.baseline())
                            .withBatchSize(p.batchSize()).withIncremental(p.bool("incremental"));
                    if (p.optionalInts("stride").isPresent()) {
                        o = o.withStride(p.ints("stride"));
                    }
                    return new Occlusion(m, o, pr);
                }));
        add(MethodSpec.builder("feature-ablation", Family.PERTURBATION)
                .summary("what happens if a feature or group is set to the baseline?")
                .description("Each feature group is replaced by the baseline in turn; its value is the drop of the target "
                        + "output. Model-agnostic.")
                .needs(Need.BASELINE, Need.FEATURE_MASK).params(inputBaseline(), ParamSpec.featureMask(), incremental())
                .cost("1 + M").suggestFor(InputKind.TABULAR, InputKind.TOKENS)
                .factory((m, p, pr) -> new FeatureAblation(m, new FeatureAblation.Options(p.baseline(), p.featureMask(),
                        p.batchSize(), p.bool("incremental")), pr)));
        add(MethodSpec.builder("shapley-value-sampling", Family.PERTURBATION)
                .summary("Shapley values by permutation sampling (antithetic pairs); exact enumeration when cheaper")
                .description("Shapley values of the feature groups estimated from random permutations. Sums to f(x) - "
                        + "f(baseline). Stochastic: the seed fixes the permutations.")
                .needs(Need.BASELINE, Need.FEATURE_MASK)
                .params(inputBaseline(), ParamSpec.featureMask(),
                        samples(ShapleyValueSampling.Options.defaults().samples(), 1, "random permutations per example"),
                        ParamSpec.seed(),
                        ParamSpec.choice("exact", "auto", List.of("auto", "always", "never"),
                                "exact enumeration: when no dearer than sampling (auto), always, or never"),
                        incremental())
                .cost("`samples * (M + 1)` or `2^M`").suggest("samples", "64").suggest("seed", "7")
                .memory("samples", MethodCatalog::samplingMemory)
                .factory((m, p, pr) -> new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults()
                        .withBaseline(p.baseline()).withFeatureMask(p.featureMask()).withSamples(p.integer("samples"))
                        .withSeed(p.seed()).withExact(ShapleyValueSampling.Exact.valueOf(p.string("exact")
                                .toUpperCase(Locale.ROOT))).withBatchSize(p.batchSize())
                        .withIncremental(p.bool("incremental")), pr)));
        add(MethodSpec.builder("shapley-exact", Family.PERTURBATION)
                .summary("exact Shapley values over all 2^M coalitions (M <= 24)")
                .description("Exact Shapley values of the feature groups over all coalitions.")
                .needs(Need.BASELINE, Need.FEATURE_MASK).params(inputBaseline(), ParamSpec.featureMask(), incremental())
                .cost("`2^M`")
                .factory((m, p, pr) -> new ShapleyExact(m, new ShapleyExact.Options(p.baseline(), p.featureMask(),
                        p.batchSize(), p.bool("incremental")), pr)));
        add(MethodSpec.builder("kernel-shap", Family.PERTURBATION)
                .summary("Shapley values by the Shapley-kernel regression with efficiency; exact when 2^M - 2 <= samples")
                .description("KernelSHAP: a Shapley-kernel weighted linear fit over coalitions of feature groups, "
                        + "constrained to sum to f(x) - f(baseline).")
                .needs(Need.BASELINE, Need.FEATURE_MASK)
                .params(inputBaseline(), ParamSpec.featureMask(),
                        samples(KernelShap.Options.defaults().samples(), 2, "coalitions per example"), ParamSpec.seed())
                .cost("`samples + 1`").suggestFor(InputKind.TABULAR, InputKind.TOKENS).suggest("samples", "512")
                .suggest("seed", "7")
                .memory("samples", MethodCatalog::coalitionMemory)
                .factory((m, p, pr) -> new KernelShap(m, new KernelShap.Options(p.baseline(), p.featureMask(),
                        p.integer("samples"), p.seed(), p.batchSize()), pr)));
        add(MethodSpec.builder("lime", Family.PERTURBATION)
                .summary("a local linear surrogate (ridge or lasso) and its R^2")
                .description("LIME: a weighted linear surrogate fitted on random coalitions of feature groups near the "
                        + "input; R^2 says how well the surrogate fits.")
                .needs(Need.BASELINE, Need.FEATURE_MASK)
                .params(inputBaseline(), ParamSpec.featureMask(),
                        samples(Lime.Options.defaults().samples(), 2, "random coalitions per example"), ParamSpec.seed(),
                        ParamSpec.real("kernel-width", Lime.Options.defaults().kernelWidth(), Range.positive(),
                                "width of the exponential proximity kernel on the cosine distance"),
                        ParamSpec.choice("surrogate", "ridge", List.of("ridge", "lasso"), "the weighted linear surrogate"),
                        ParamSpec.optionalReal("alpha", Range.atLeast(0),
                                "surrogate regularisation (default 1 for ridge, 0.01 for lasso)"))
                .cost("`samples`").suggestFor(InputKind.TABULAR).suggest("samples", "500").suggest("seed", "7")
                .memory("samples", MethodCatalog::coalitionMemory)
                .factory((m, p, pr) -> {
                    Lime.Surrogate s = Lime.Surrogate.valueOf(p.string("surrogate").toUpperCase(Locale.ROOT));
                    return new Lime(m, new Lime.Options(p.baseline(), p.featureMask(), p.integer("samples"), p.seed(),
                            p.real("kernel-width"), s, p.optionalReal("alpha").orElse(Lime.Options.defaultAlpha(s)),
                            p.batchSize()), pr);
                }));
        add(MethodSpec.builder("feature-permutation", Family.PERTURBATION)
                .summary("permutation importance: shuffle each feature across the batch")
                .description("Each feature group's values are shuffled across the batch; the drop of the target output "
                        + "is the group's importance.")
                .needs(Need.FEATURE_MASK, Need.BATCH_OF_TWO)
                .params(ParamSpec.featureMask(),
                        samples(FeaturePermutation.Options.defaults().repeats(), 1, "permutations per feature (repeats)"),
                        ParamSpec.seed())
                .cost("`samples * M`").suggest("seed", "7")
                .memory("samples", MethodCatalog::permutationMemory)
                .factory((m, p, pr) -> new FeaturePermutation(m, new FeaturePermutation.Options(p.featureMask(),
                        p.integer("samples"), p.seed(), p.batchSize()), pr)));
    }
}
