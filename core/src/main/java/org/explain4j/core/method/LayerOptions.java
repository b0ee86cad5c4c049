package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.EvaluationEngine;

/**
 * Options of the layer methods: the layer (an intermediate tensor's name), the input-space
 * baseline, the path rule and steps (for the path methods), ReLU on the map (Grad-CAM).
 */
public record LayerOptions(String layer, Baseline baseline, int steps, Quadrature integration, boolean relu,
                           int batchSize) {
    public LayerOptions {
        if (layer == null || layer.isBlank()) {
            throw Explain4jException.usage("layer", "layer methods need layer NAME, the ONNX name of an intermediate tensor");
        }
        if (baseline == null || integration == null) {
            throw new IllegalArgumentException("baseline and integration are required");
        }
        if (baseline instanceof Baseline.Distribution) {
            throw Explain4jException.usage("baseline", "layer methods take one baseline per example, shape (1, ...) or (N, ...)");
        }
        if (steps < 1) {
            throw Explain4jException.usage("steps", "steps must be at least 1 (got " + steps + ")");
        }
        BatchSize.check(batchSize);
    }

    /** Zero baseline, 50 Gauss-Legendre steps, no ReLU (Captum's defaults). */
    public static LayerOptions of(String layer) {
        return new LayerOptions(layer, Baseline.zeros(), 50, Quadrature.GAUSS_LEGENDRE, false, BatchSize.AUTO);
    }

    public LayerOptions withBaseline(Baseline b) {
        return new LayerOptions(layer, b, steps, integration, relu, batchSize);
    }

    public LayerOptions withSteps(int n) {
        return new LayerOptions(layer, baseline, n, integration, relu, batchSize);
    }

    public LayerOptions withIntegration(Quadrature q) {
        return new LayerOptions(layer, baseline, steps, q, relu, batchSize);
    }

    public LayerOptions withRelu(boolean r) {
        return new LayerOptions(layer, baseline, steps, integration, r, batchSize);
    }

    public LayerOptions withBatchSize(int n) {
        return new LayerOptions(layer, baseline, steps, integration, relu, n);
    }
}
