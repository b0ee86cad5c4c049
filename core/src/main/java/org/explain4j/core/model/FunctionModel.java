package org.explain4j.core.model;

import java.util.Objects;
import java.util.function.Function;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * A model made from a plain Java function, for the perturbation methods (which need nothing
 * but forward passes).
 */
public final class FunctionModel implements Model {
    /** A function of one example's flattened values to its outputs. */
    @FunctionalInterface
    public interface ExampleFunction {
        double[] apply(double[] example);
    }

    private final ModelSignature signature;
    private final Function<Tensor, Tensor> batched;
    private final String name;

    private FunctionModel(ModelSignature signature, Function<Tensor, Tensor> batched, String name) {
        this.signature = Objects.requireNonNull(signature, "signature");
        this.batched = Objects.requireNonNull(batched, "function");
        this.name = Objects.requireNonNull(name, "name");
    }

    /** A model from a batched function {@code [N, ...] -> [N, C]}. */
    public static FunctionModel batched(String name, ModelSignature signature, Function<Tensor, Tensor> fn) {
        return new FunctionModel(signature, fn, name);
    }

    /** A model from a function of one flattened example to its outputs. */
    public static FunctionModel perExample(String name, ModelSignature signature, ExampleFunction fn) {
        Objects.requireNonNull(fn, "function");
        return new FunctionModel(signature, input -> {
            int n = input.batchSize();
            int d = input.exampleSize();
            double[] all = input.toDoubleArray();
            double[][] rows = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] x = new double[d];
                System.arraycopy(all, i * d, x, 0, d);
                rows[i] = fn.apply(x);
            }
            int c = n == 0 ? 0 : rows[0].length;
            double[] out = new double[n * c];
            for (int i = 0; i < n; i++) {
                if (rows[i].length != c) {
                    throw Explain4jException.shape("model", "the function returned " + rows[i].length
                            + " outputs for example " + i + " but " + c + " for example 0");
                }
                System.arraycopy(rows[i], 0, out, i * c, c);
            }
            return Tensor.ofDoubles(out, n, c);
        }, name);
    }

    /** A linear model {@code y = W x + b} over flattened examples; handy for tests and examples. */
    public static FunctionModel linear(double[][] weights, double[] bias, int... exampleShape) {
        int outputs = weights.length;
        return perExample("linear", ModelSignature.of(DType.FLOAT64, exampleShape, outputs), x -> {
            double[] y = new double[outputs];
            for (int c = 0; c < outputs; c++) {
                double s = bias[c];
                for (int j = 0; j < x.length; j++) {
                    s += weights[c][j] * x[j];
                }
                y[c] = s;
            }
            return y;
        });
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor out = batched.apply(input);
        if (out.rank() == 1) {
            out = out.reshape(out.dim(0), 1);
        }
        if (out.rank() != 2 || out.dim(0) != input.batchSize()) {
            throw Explain4jException.shape("model", "the function returned " + out.describe() + " for a batch of "
                    + input.batchSize() + "; it must return (N, C)");
        }
        return out;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo(name, "none");
    }
}
