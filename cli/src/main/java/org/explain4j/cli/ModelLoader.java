package org.explain4j.cli;

import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.RowMemory;
import org.explain4j.core.grad.ActivationCapture;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.metrics.InputShiftable;
import org.explain4j.core.metrics.Randomisable;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.RandomisableOnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * Opens the model a command names: an ONNX model that can also run backward passes. Public for the
 * modules that run methods on models themselves (the service).
 */
public final class ModelLoader {
    private ModelLoader() {
    }

    /**
     * An ONNX model and its backward-pass wrapper, closed together; its weights can be randomised
     * and its first layer shifted in memory copies (the randomisation and input-invariance metrics).
     */
    public static final class Loaded implements DifferentiableModel, ActivationCapture, Randomisable, InputShiftable, RowMemory,
            org.explain4j.core.model.LocalEvaluation, org.explain4j.core.model.DenseInput,
            org.explain4j.core.model.ParallelForward {
        private final OnnxModel onnx;
        private final OnnxDifferentiableModel differentiable;
        private final boolean view;

        Loaded(OnnxModel onnx) {
            this(onnx, false);
        }

        private Loaded(OnnxModel onnx, boolean view) {
            this.onnx = onnx;
            this.differentiable = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard());
            this.view = view;
        }

        /**
         * The same model explaining its input {@code name}; closing the view closes only its own
         * backward sessions (this model itself when {@code name} is already explained: close
         * that only once, so the view is a no-op wrapper then).
         */
        public Loaded explaining(String name) {
            return new Loaded(onnx.explaining(name), true);
        }

        public OnnxModel onnx() {
            return onnx;
        }

        /** The ONNX model's estimate (a probe run of one row), which sizes {@code --batch-size auto}. */
        @Override
        public java.util.OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call) {
            return differentiable.bytesPerRow(row, fedRow, call);
        }

        private RandomisableOnnxModel editable;

        private synchronized RandomisableOnnxModel editable() {
            if (editable == null) {
                editable = new RandomisableOnnxModel(onnx, this, differentiable);
            }
            return editable;
        }

        @Override
        public java.util.List<String> layers() {
            return editable().layers();
        }

        @Override
        public Model randomised(java.util.List<String> layers, long seed) {
            return editable().randomised(layers, seed);
        }

        @Override
        public void prepareLike(Model next, Model previous) throws InterruptedException {
            editable().prepareLike(next, previous);
        }

        @Override
        public Series series(long seed) {
            return editable().series(seed);
        }

        @Override
        public Model shiftedFirstLayer(double inputShift, int[] exampleShape) {
            return editable().shiftedFirstLayer(inputShift, exampleShape);
        }

        @Override
        public Tensor forward(Tensor input) {
            return onnx.forward(input);
        }

        @Override
        public Tensor forward(Tensor input, Map<String, Tensor> fed) {
            return onnx.forward(input, fed);
        }

        @Override
        public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
            return differentiable.backward(input, seed, request);
        }

        @Override
        public void prepare(BackwardRequest request, int... inputShape) {
            differentiable.prepare(request, inputShape);
        }

        @Override
        public BackwardResult capture(Tensor input, java.util.List<String> tensors, Map<String, Tensor> inputs) {
            return differentiable.capture(input, tensors, inputs);
        }

        /** The ONNX model's incremental inference for local perturbations (occlusion, local feature ablation). */
        @Override
        public Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi, int batchSize) {
            return onnx.local(base, exampleShape, lo, hi, batchSize);
        }

        /** The ONNX model's dense first layer, for the incremental dense path of the perturbation methods. */
        @Override
        public org.explain4j.core.model.DenseInput.Layer denseInput() {
            return onnx.denseInput();
        }

        /** The ONNX model's one-thread calls, run several at once by the perturbation engine. */
        @Override
        public int parallelCalls() {
            return onnx.parallelCalls();
        }

        @Override
        public Tensor forwardOnOneThread(Tensor input) {
            return onnx.forwardOnOneThread(input);
        }

        @Override
        public ModelSignature signature() {
            return onnx.signature();
        }

        @Override
        public ModelInfo info() {
            return onnx.info();
        }

        @Override
        public void close() {
            try {
                synchronized (this) {
                    if (editable != null) {
                        editable.close(); // a layer switch left open (a series not closed) goes with it
                    }
                }
                differentiable.close();
            } finally {
                if (!view) {
                    onnx.close();
                }
            }
        }
    }

    public static Loaded load(Path path, int threads, String inputName, String outputName) {
        return load(path, OnnxModel.Options.defaults().withThreads(threads), inputName, outputName);
    }

    /** With {@code device} as {@code --device} gives it ({@code cpu}, {@code cuda}, {@code cuda:N}). */
    public static Loaded load(Path path, int threads, String device, String inputName, String outputName) {
        return load(path, OnnxModel.Options.defaults().withThreads(threads)
                .withDevice(org.explain4j.onnx.Device.parse(device)), inputName, outputName);
    }

    public static Loaded load(Path path, OnnxModel.Options options, String inputName, String outputName) {
        OnnxModel.Options o = options;
        if (inputName != null) {
            o = o.withInputName(inputName);
        }
        if (outputName != null) {
            o = o.withOutputName(outputName);
        }
        return new Loaded(OnnxModel.load(path, o));
    }
}
