package org.explain4j.core.grad;

/**
 * A rewrite of the model into an equivalent form that the propagation rules handle (Zennit's
 * canonizers), applied by the backend before a rule set's rules; the caller's model is never
 * changed. Residual sums need none: ONNX already writes them as explicit {@code Add} nodes.
 */
public enum Canonizer {
    /**
     * Inference BatchNormalization folded into the Conv or Gemm before it when that layer has no
     * other reader (Zennit's {@code SequentialMergeBatchNorm}).
     */
    MERGE_BATCH_NORM("merge-batchnorm");

    private final String label;

    Canonizer(String label) {
        this.label = label;
    }

    /** The canonizer's name in reports, e.g. {@code merge-batchnorm}. */
    public String label() {
        return label;
    }
}
