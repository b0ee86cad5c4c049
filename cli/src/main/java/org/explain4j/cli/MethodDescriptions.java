package org.explain4j.cli;

import java.util.Map;

/** One-paragraph descriptions of the methods for reports: what the picture shows and how to read it. */
final class MethodDescriptions {
    private static final Map<String, String> TEXT = Map.ofEntries(
            Map.entry("saliency", "Absolute gradient of the target output with respect to each input element: how sensitive "
                    + "the output is to a small change there. Fast and noisy; says nothing about direction."),
            Map.entry("input-x-gradient", "Input times gradient: a first-order estimate of each element's contribution "
                    + "relative to a zero input. Red raises the target output, blue lowers it."),
            Map.entry("integrated-gradients", "Gradients averaged along the straight path from the baseline to the input, "
                    + "times the difference to the baseline (Sundararajan et al., 2017). Attributions sum to f(x) - f(baseline); "
                    + "the completeness gap below measures how well the path integral was approximated."),
            Map.entry("smoothgrad", "A gradient method averaged over noisy copies of the input (Smilkov et al., 2017), which "
                    + "removes much of the gradient's high-frequency noise. Stochastic: the seed fixes the noise."),
            Map.entry("gradient-shap", "Expected gradients times (input - baseline) over random baselines and path points "
                    + "(a SHAP approximation). Stochastic: the seed fixes the draws."),
            Map.entry("deeplift", "DeepLIFT's rescale rule (Shrikumar et al., 2017): contributions of the difference between "
                    + "the input and a reference, propagated with finite-difference multipliers. Sums to f(x) - f(reference)."),
            Map.entry("deeplift-shap", "DeepLIFT averaged over a distribution of references (DeepSHAP)."),
            Map.entry("guided-backprop", "Gradient in which ReLUs pass only positive gradients where their input was "
                    + "positive (Springenberg et al., 2015). Sharp, but largely independent of the target class."),
            Map.entry("deconvolution", "Gradient in which ReLUs pass only positive gradients (Zeiler and Fergus, 2014)."),
            Map.entry("lrp", "Layer-wise relevance propagation: the target output's value is redistributed layer by layer "
                    + "to the input under a composite of rules; relevance is approximately conserved."),
            Map.entry("grad-cam", "Grad-CAM (Selvaraju et al., 2017): the layer's channels weighted by their mean gradient; "
                    + "a coarse map at the layer's resolution, shown upsampled to the input."),
            Map.entry("guided-grad-cam", "Guided backpropagation multiplied by the Grad-CAM map: fine detail, but only where "
                    + "Grad-CAM sees the class."),
            Map.entry("layer-activation", "The layer's activation itself, summed over channels for display."),
            Map.entry("layer-gradient-x-activation", "The layer's activation times the target's gradient there."),
            Map.entry("layer-integrated-gradients", "Integrated gradients at the layer, from the layer's value on the "
                    + "baseline input to its value on the input."),
            Map.entry("layer-conductance", "Conductance of each layer unit (Dhamdhere et al., 2018): how much of the "
                    + "path integral flows through it."),
            Map.entry("occlusion", "A window slides over the input and is replaced by the baseline; each element gets the "
                    + "average drop of the target output over the windows covering it. Model-agnostic."),
            Map.entry("feature-ablation", "Each feature group is replaced by the baseline in turn; its value is the drop of "
                    + "the target output. Model-agnostic."),
            Map.entry("shapley-value-sampling", "Shapley values of the feature groups estimated from random permutations. "
                    + "Sums to f(x) - f(baseline). Stochastic: the seed fixes the permutations."),
            Map.entry("shapley-exact", "Exact Shapley values of the feature groups over all coalitions."),
            Map.entry("kernel-shap", "KernelSHAP: a Shapley-kernel weighted linear fit over coalitions of feature groups, "
                    + "constrained to sum to f(x) - f(baseline)."),
            Map.entry("lime", "LIME: a weighted linear surrogate fitted on random coalitions of feature groups near the input; "
                    + "R^2 says how well the surrogate fits."),
            Map.entry("feature-permutation", "Each feature group's values are shuffled across the batch; the drop of the "
                    + "target output is the group's importance."));

    private MethodDescriptions() {
    }

    static String of(String method) {
        return TEXT.getOrDefault(method, method);
    }
}
