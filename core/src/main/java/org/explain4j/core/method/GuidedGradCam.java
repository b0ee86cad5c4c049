package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/**
 * Guided Grad-CAM (Selvaraju et al., 2017, section 3.2): guided backpropagation multiplied,
 * element by element, by the ReLU'd Grad-CAM map of a layer upsampled to the input's spatial
 * size (nearest neighbour as Captum, or bilinear) and broadcast over the input's channels.
 */
public final class GuidedGradCam implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final boolean bilinear;
    private final ProgressListener progress;

    public GuidedGradCam(DifferentiableModel model, LayerOptions options, boolean bilinear, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.bilinear = bilinear;
        this.progress = progress;
    }

    public GuidedGradCam(DifferentiableModel model, LayerOptions options) {
        this(model, options, false, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "guided-grad-cam";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Guided backpropagation and the ReLU'd Grad-CAM map.
        Attribution guided = new GuidedBackprop(model, new GuidedBackprop.Options(options.batchSize()), progress).attribute(input, fed, target);
        Attribution cam = new GradCam(model, options.withRelu(true), progress)
                .attribute(input, fed, target);
        int[] s = input.shape();
        int[] m = cam.values().shape();
        if (s.length != m.length || s.length < 3) {
            throw Explain4jException.shape("layer", "guided-grad-cam needs an input (N, C, spatial...) and a layer with the "
                    + "same number of spatial dimensions; the input is " + Tensor.shapeString(s) + ", the map "
                    + Tensor.shapeString(m));
        }
        // 2. Upsample the map to the input's spatial size and multiply, broadcasting over channels.
        int n = s[0];
        int channels = s[1];
        int spatial = (int) (Tensor.sizeOf(s) / ((long) n * channels));
        int mapSize = cam.values().exampleSize();
        double[] out = new double[input.size()];
        for (int i = 0; i < n; i++) {
            double[] up = Upsample.resize(cam.values().toDoubleArray(), i * mapSize, java.util.Arrays.copyOfRange(m, 2, m.length),
                    java.util.Arrays.copyOfRange(s, 2, s.length), bilinear);
            for (int ch = 0; ch < channels; ch++) {
                for (int p = 0; p < spatial; p++) {
                    int idx = (i * channels + ch) * spatial + p;
                    out[idx] = guided.values().getDouble(idx) * up[p];
                }
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("layer", options.layer());
        opts.put("interpolation", bilinear ? "bilinear" : "nearest");
        opts.put("batch_size", guided.options().get("batch_size"));
        long evals = guided.diagnostics().modelEvaluations() + cam.diagnostics().modelEvaluations();
        return new Attribution(name(), Tensor.ofDoublesAsFloats(out, s), target, opts, OptionalLong.empty(),
                new org.explain4j.core.Diagnostics(evals, guided.diagnostics().elapsed().plus(cam.diagnostics().elapsed()),
                        Optional.empty(), Optional.empty()), guided.provenance(), guided.input());
    }
}
