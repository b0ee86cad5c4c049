package org.explain4j.core.method;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;

/**
 * A differentiable test model in plain Java with hand-written gradients:
 * {@code y = W2 tanh(W1 x + b1) + b2}. The hidden activation is the tensor {@code hidden}; it can
 * be captured and fed.
 */
final class TanhMlp implements DifferentiableModel {
    static final String HIDDEN = "hidden";
    final double[][] w1;
    final double[] b1;
    final double[][] w2;
    final double[] b2;

    TanhMlp(Random r, int in, int hidden, int out) {
        w1 = PerturbationPropertiesTest.randomMatrix(r, hidden, in);
        b1 = PerturbationPropertiesTest.randomVector(r, hidden);
        w2 = PerturbationPropertiesTest.randomMatrix(r, out, hidden);
        b2 = PerturbationPropertiesTest.randomVector(r, out);
    }

    @Override
    public Tensor forward(Tensor input) {
        return backward(input, Tensor.zeros(DType.FLOAT64, input.batchSize(), w2.length),
                new BackwardRequest(org.explain4j.core.grad.RuleSet.gradient(), java.util.List.of(), Map.of(), false)).output();
    }

    @Override
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        int n = input.batchSize();
        int in = w1[0].length;
        int hid = w1.length;
        int out = w2.length;
        double[] x = input.toDoubleArray();
        double[] s = seed.toDoubleArray();
        Tensor fed = request.feeds().get(HIDDEN);
        double[] h = new double[n * hid];
        double[] y = new double[n * out];
        double[] gh = new double[n * hid];
        double[] gx = new double[n * in];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hid; j++) {
                double z = b1[j];
                for (int k = 0; k < in; k++) {
                    z += w1[j][k] * x[i * in + k];
                }
                h[i * hid + j] = fed != null ? fed.getDouble(i * hid + j) : Math.tanh(z);
            }
            for (int c = 0; c < out; c++) {
                double v = b2[c];
                for (int j = 0; j < hid; j++) {
                    v += w2[c][j] * h[i * hid + j];
                }
                y[i * out + c] = v;
            }
            for (int j = 0; j < hid; j++) {
                double g = 0;
                for (int c = 0; c < out; c++) {
                    g += w2[c][j] * s[i * out + c];
                }
                gh[i * hid + j] = g;
            }
            if (fed == null) {
                for (int k = 0; k < in; k++) {
                    double g = 0;
                    for (int j = 0; j < hid; j++) {
                        double hv = h[i * hid + j];
                        g += w1[j][k] * gh[i * hid + j] * (1 - hv * hv);
                    }
                    gx[i * in + k] = g;
                }
            }
        }
        Map<String, Tensor> acts = new HashMap<>();
        Map<String, Tensor> grads = new HashMap<>();
        if (request.captures().contains(HIDDEN) || fed != null) {
            acts.put(HIDDEN, Tensor.ofDoubles(h, n, hid));
            grads.put(HIDDEN, Tensor.ofDoubles(gh, n, hid));
        }
        return new BackwardResult(Tensor.ofDoubles(y, n, out),
                request.inputGradient() ? Optional.of(Tensor.ofDoubles(gx, input.shape())) : Optional.empty(), acts, grads);
    }

    @Override
    public ModelSignature signature() {
        return ModelSignature.of(DType.FLOAT64, new int[] {w1[0].length}, w2.length);
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo("tanh-mlp", "none");
    }
}
