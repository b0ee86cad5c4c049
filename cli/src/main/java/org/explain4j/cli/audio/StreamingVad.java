package org.explain4j.cli.audio;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.InputSpec;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.OnnxModel;

/**
 * A streaming voice-activity model in the layout of Silero VAD v5: inputs {@code input} (N,
 * samples) float, {@code state} (2, N, H) float and {@code sr} an int64 scalar; outputs a
 * speech probability (N, 1) and the next state (2, N, H). The model is called chunk by chunk, as
 * Silero's own wrapper does: 512 new samples at 16 kHz (256 at 8 kHz), preceded by the last 64
 * (32) samples of the previous chunk as context (zeros before the first), the state carried from
 * call to call, the last chunk padded with zeros.
 *
 * <p>A clip of T samples is K = ceil(T / chunk) calls. Two views of it are explained:
 * <ul>
 * <li>{@link #clipModel()}: a model from the whole clip (1, T) to the K chunk probabilities (1, K),
 * running the chunks in order with the state carried; perturbation methods use it, so hiding a
 * window also changes what the state remembers afterwards.</li>
 * <li>{@link #rows(float[])}: the K model calls as K rows of {@code context + chunk} samples, each
 * with the state the model had reached on the unchanged clip fed as given; gradient and
 * propagation methods differentiate each row's probability, and {@link #stitch} adds the rows'
 * attributions back onto the clip's time axis (the context samples to the previous chunk's
 * positions). The state is fed, and fed inputs are not differentiated: influence that reaches a
 * later chunk only through the recurrent state is not in these attributions.</li>
 * </ul>
 * The user's model file is never changed; this class opens its own ONNX Runtime session on the
 * model's bytes to read both outputs per call.
 */
public final class StreamingVad implements AutoCloseable {
    /** The model inputs of a streaming VAD. */
    public record Names(String audio, String state, String rate) {
    }

    private final OnnxModel model;
    private final Names names;
    private final OrtSession session;
    private final String probOut;
    private final String stateOut;
    private final int rate;
    private final int chunk;
    private final int context;
    private final int hidden;
    private final Tensor initialState;

    private StreamingVad(OnnxModel model, Names names, int rate, Tensor initialState) {
        this.model = model;
        this.names = names;
        this.rate = rate;
        this.chunk = rate == 8000 ? 256 : 512;
        this.context = rate == 8000 ? 32 : 64;
        OrtEnvironment env = OnnxModel.environment();
        try {
            // the loaded model's settings (threads, optimisation, log level) as its own sessions have them
            this.session = OnnxModel.createSession(env, model.modelBytes(), model.options());
            String prob = null;
            String st = null;
            long[] stateIn = ((TensorInfo) session.getInputInfo().get(names.state()).getInfo()).getShape();
            int h = initialState != null && initialState.rank() == 3 ? initialState.dim(2) : (int) stateIn[2];
            for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
                long[] shape = ((TensorInfo) e.getValue().getInfo()).getShape();
                if (shape.length == 3) {
                    st = e.getKey();
                } else if (prob == null) {
                    prob = e.getKey();
                }
            }
            if (prob == null || st == null || h <= 0) {
                closeQuietly(session);
                throw Explain4jException.unsupported("--model", "--model " + model.info().name() + " takes a state input "
                        + "but has no speech-probability and state outputs (N, 1) and (2, N, H); streaming audio is "
                        + "explained for Silero VAD's layout only");
            }
            this.probOut = prob;
            this.stateOut = st;
            this.hidden = h;
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime cannot open " + model.info().name() + ": "
                    + e.getMessage(), e);
        }
        if (initialState == null) {
            this.initialState = Tensor.zeros(DType.FLOAT32, 2, 1, hidden);
        } else {
            if (initialState.rank() != 3 || initialState.dim(0) != 2 || initialState.dim(1) != 1
                    || initialState.dim(2) != hidden) {
                closeQuietly(session);
                throw Explain4jException.shape("--input", "--input " + names.state() + " has shape "
                        + Tensor.shapeString(initialState.shape()) + "; the initial state of one clip is (2, 1, " + hidden + ")");
            }
            this.initialState = initialState.to(DType.FLOAT32);
        }
    }

    /**
     * The streaming layout's input names when {@code sig} has it: three inputs, a float (N, T)
     * waveform, a float rank-3 state and an integer sample rate of rank 0 or 1.
     */
    public static Optional<Names> detect(ModelSignature sig) {
        List<InputSpec> in = sig.inputs();
        if (in.size() != 3) {
            return Optional.empty();
        }
        String audio = null;
        String state = null;
        String sr = null;
        for (InputSpec s : in) {
            if (s.type().isFloating() && s.rank() == 2) {
                audio = s.name();
            } else if (s.type().isFloating() && s.rank() == 3) {
                state = s.name();
            } else if (!s.type().isFloating() && s.rank() <= 1) {
                sr = s.name();
            }
        }
        return audio != null && state != null && sr != null ? Optional.of(new Names(audio, state, sr)) : Optional.empty();
    }

    /**
     * Opens the streaming view of {@code model} (which explains {@code names.audio()}) at
     * {@code rate} Hz (16000 or 8000), starting from {@code initialState} (2, 1, H), or zeros when
     * null.
     */
    public static StreamingVad open(OnnxModel model, Names names, int rate, Tensor initialState) {
        if (rate != 16000 && rate != 8000) {
            throw Explain4jException.usage("--sample-rate", "--sample-rate " + rate + ": a streaming VAD runs at 16000 or "
                    + "8000 Hz");
        }
        return new StreamingVad(model, names, rate, initialState);
    }

    public Names names() {
        return names;
    }

    public int rate() {
        return rate;
    }

    /** New samples per call. */
    public int chunk() {
        return chunk;
    }

    /** Samples of the previous chunk repeated before each chunk. */
    public int context() {
        return context;
    }

    /** Model calls for a clip of {@code samples}. */
    public int chunks(int samples) {
        return Math.max(1, (samples + chunk - 1) / chunk);
    }

    /** The result of running the model over clips chunk by chunk. */
    public record Pass(double[][] probabilities, float[][] statesBefore) {
    }

    /**
     * Runs {@code clips} (each T samples) chunk by chunk with the state carried: the probability of
     * each chunk (clips x K) and, where {@code keepStates}, the state fed before each chunk of
     * clip 0 (K arrays of 2 x H, [layer][h] flattened).
     */
    public Pass run(float[][] clips, boolean keepStates) {
        int b = clips.length;
        int t = clips[0].length;
        int k = chunks(t);
        int w = context + chunk;
        double[][] probs = new double[b][k];
        float[][] states = keepStates ? new float[k][] : null;
        float[] state = new float[2 * b * hidden];
        float[] init = initialState.toFloatArray();
        for (int layer = 0; layer < 2; layer++) {
            for (int n = 0; n < b; n++) {
                System.arraycopy(init, layer * hidden, state, (layer * b + n) * hidden, hidden);
            }
        }
        OrtEnvironment env = OnnxModel.environment();
        float[] rows = new float[b * w];
        for (int c = 0; c < k; c++) {
            for (int n = 0; n < b; n++) {
                row(clips[n], c, rows, n * w);
            }
            if (keepStates) {
                float[] s = new float[2 * hidden];
                System.arraycopy(state, 0, s, 0, hidden);
                System.arraycopy(state, b * hidden, s, hidden, hidden);
                states[c] = s;
            }
            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows), new long[] {b, w});
                 OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(state), new long[] {2, b, hidden});
                 OnnxTensor sr = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {rate}), new long[] {})) {
                Map<String, OnnxTensor> feeds = new HashMap<>();
                feeds.put(names.audio(), x);
                feeds.put(names.state(), st);
                feeds.put(names.rate(), sr);
                try (OrtSession.Result r = session.run(feeds)) {
                    FloatBuffer pb = ((OnnxTensor) r.get(probOut).orElseThrow()).getFloatBuffer();
                    float[] p = new float[pb.remaining()];
                    pb.get(p);
                    for (int n = 0; n < b; n++) {
                        probs[n][c] = p[n];
                    }
                    FloatBuffer next = ((OnnxTensor) r.get(stateOut).orElseThrow()).getFloatBuffer();
                    state = new float[next.remaining()];
                    next.get(state);
                }
            } catch (OrtException e) {
                throw Explain4jException.model("--model", "ONNX Runtime failed on " + model.info().name() + " at chunk " + c
                        + ": " + e.getMessage(), e);
            }
        }
        return new Pass(probs, states);
    }

    /** Writes the model input of chunk {@code c} of {@code clip} (context then chunk, zeros outside the clip) at {@code at}. */
    private void row(float[] clip, int c, float[] out, int at) {
        int start = c * chunk - context;
        for (int j = 0; j < context + chunk; j++) {
            int s = start + j;
            out[at + j] = s >= 0 && s < clip.length ? clip[s] : 0f;
        }
    }

    /** The model from a clip (N, T) to its chunks' speech probabilities (N, K), state carried. */
    public Model clipModel(int samples) {
        int k = chunks(samples);
        ModelSignature sig = ModelSignature.of(DType.FLOAT32, new int[] {samples}, k);
        return new Model() {
            @Override
            public Tensor forward(Tensor input) {
                int n = input.dim(0);
                float[] all = input.toFloatArray();
                float[][] clips = new float[n][samples];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(all, i * samples, clips[i], 0, samples);
                }
                double[][] p = run(clips, false).probabilities();
                double[] flat = new double[n * k];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(p[i], 0, flat, i * k, k);
                }
                return Tensor.ofDoublesAsFloats(flat, n, k);
            }

            @Override
            public ModelSignature signature() {
                return sig;
            }

            @Override
            public ModelInfo info() {
                return model.info();
            }
        };
    }

    /** The chunks {@code chunks} of {@code clip} as model rows (|chunks|, context + chunk) and their states fed as given. */
    public record Rows(Tensor input, FedInputs fed) {
    }

    /** The model calls of chunks {@code which} of {@code clip}, with the states of {@code pass} (from {@link #run} with states). */
    public Rows rows(float[] clip, int[] which, Pass pass) {
        int w = context + chunk;
        float[] x = new float[which.length * w];
        float[] st = new float[2 * which.length * hidden];
        for (int i = 0; i < which.length; i++) {
            row(clip, which[i], x, i * w);
            float[] s = pass.statesBefore()[which[i]];
            System.arraycopy(s, 0, st, i * hidden, hidden);
            System.arraycopy(s, hidden, st, (which.length + i) * hidden, hidden);
        }
        Map<String, Tensor> fed = new java.util.LinkedHashMap<>();
        fed.put(names.state(), Tensor.ofFloats(st, 2, which.length, hidden));
        fed.put(names.rate(), Tensor.ofLongs(new long[] {rate}));
        FedInputs f = FedInputs.of(fed).withBatchAxis(names.state(), 1).withBatchAxis(names.rate(), FedInputs.AS_IS);
        return new Rows(Tensor.ofFloats(x, which.length, w), f);
    }

    /**
     * Adds row attributions {@code values} (|which|, context + chunk) of chunks {@code which},
     * each times {@code weight[i]}, onto a clip of {@code samples}: the sum over the chunks of each
     * sample's attributions (a sample in chunk c's context also counts for chunk c).
     */
    public double[] stitch(Tensor values, int[] which, double[] weight, int samples) {
        int w = context + chunk;
        double[] out = new double[samples];
        for (int i = 0; i < which.length; i++) {
            int start = which[i] * chunk - context;
            for (int j = 0; j < w; j++) {
                int s = start + j;
                if (s >= 0 && s < samples) {
                    out[s] += weight[i] * values.getDouble(i * w + j);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            // closing a session only releases memory; nothing to report
        }
    }
}
