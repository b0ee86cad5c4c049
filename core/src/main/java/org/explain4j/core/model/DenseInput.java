package org.explain4j.core.model;

import org.explain4j.core.Tensor;

/**
 * A model whose explained input feeds directly a dense layer with constant weights (its first
 * layer: {@code h = b + x W}), and which can run the rest of the network from that layer's
 * pre-activation {@code h}. Perturbation methods then compute {@code h} of a row that differs from
 * its example in a few features as {@code h(x) + sum over changed elements e of W[e] (v_e - x_e)}
 * (cost: width times changed elements, instead of width times all elements) and run only the rest
 * of the model (incremental dense layer; equal to whole forward passes within float32 rounding).
 * Optional: callers use ordinary forward passes when {@link #denseInput} is {@code null}.
 */
public interface DenseInput {

    /** The first dense layer and the rest of the model. */
    interface Layer {
        /** Input elements per example ({@code d}: the flattened example). */
        int inputs();

        /** Outputs of the layer per example (its width). */
        int width();

        /**
         * The weights as the layer applies them, one row per input element: {@code weights()[e]} holds
         * the {@code width} weights of element {@code e} (any scale of the layer folded in). Shared: do
         * not modify.
         */
        double[][] weights();

        /** The bias {@code [width]} as the layer adds it (zeros where it has none). Shared: do not modify. */
        double[] bias();

        /**
         * Multiply-adds per row of the rest of the model (after this layer), as far as the model knows
         * them (its dense layers), or {@code -1} when it does not say: callers weigh the work the layer
         * saves against the whole model's.
         */
        default long restMultiplyAdds() {
            return -1;
        }

        /**
         * Prepares {@link #forwardFromLayer} (an ONNX model makes the cut model's session here), called once a
         * caller has decided to take the layer: describing the layer ({@link #weights}, {@link #width},
         * {@link #restMultiplyAdds}) costs no session. {@code false} when the rest of the model cannot be run
         * on its own (then callers run whole forward passes). The default has nothing to prepare.
         */
        default boolean open() {
            return true;
        }

        /**
         * How many calls of {@link #forwardFromLayer} the caller should run at once, each on its own thread
         * with its own rows, to use the threads the model was given (the implementation keeps each call to
         * its share of them); 1 (the default) for one call at a time.
         */
        default int parallelCalls() {
            return 1;
        }

        /**
         * Runs the model from the layer's output for {@code m} rows: row {@code i}'s pre-activations are
         * {@code h[i * width .. i * width + width - 1]}, in double; the model rounds each to float32 (to
         * nearest, as a Java {@code (float)} cast does) before the rest of the network, so a caller that
         * accumulates in double hands over its sums as they are ({@code h} may be longer; it is read
         * during the call only; calls may come from several threads at once). Returns the model's explained output {@code [m, outputs]}.
         */
        Tensor forwardFromLayer(double[] h, int m);
    }

    /**
     * The model's dense first layer over the explained input, or {@code null} when the model does not
     * have one in a form this supports (then callers run whole forward passes).
     */
    Layer denseInput();
}
