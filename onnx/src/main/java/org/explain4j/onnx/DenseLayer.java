package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.DenseInput;
import org.explain4j.onnx.grad.Attr;

/**
 * The dense first layer of an ONNX model over its explained input, and the rest of the model as
 * a graph of its own (the "cut" model: the layer's output is its input). Recognised forms, on the
 * explained input {@code [N, d]} (or {@code [N, ...]} through a {@code Flatten} with axis 1):
 * {@code Gemm} (transA 0, constant B and C; alpha and beta folded into the weights and bias), or
 * {@code MatMul} with a constant {@code [d, width]} matrix, optionally followed by an {@code Add} of a
 * constant {@code [width]} bias. The input and every tensor removed with the layer must be read by
 * nothing else; the explained output must be float32. Anything else: {@link #analyse} returns
 * {@code null} and callers run whole forward passes. See docs/NOTES.md, "Incremental dense layers".
 */
final class DenseLayer implements DenseInput.Layer, AutoCloseable {
    /** Layers with more weights than this are not used (their double copy would take over 128 MiB). */
    static final long MAX_WEIGHTS = 1L << 24;

    private final int inputs;
    private final int width;
    private final double[][] weights;
    private final double[] bias;
    private final byte[] restModel;
    private final String restInput;
    private final String outputName;
    private final OrtEnvironment env;
    private final OnnxModel.Options options;
    private final long restMultiplyAdds;
    private OrtSession session;
    private boolean closed;
    private boolean refused;
    /** Rows run through the cut model (tests and benchmarks). */
    final AtomicLong rows = new AtomicLong();

    private DenseLayer(int inputs, int width, double[][] weights, double[] bias, byte[] restModel, String restInput,
                       String outputName, OrtEnvironment env, OnnxModel.Options options, long restMultiplyAdds) {
        this.inputs = inputs;
        this.width = width;
        this.weights = weights;
        this.bias = bias;
        this.restModel = restModel;
        this.restInput = restInput;
        this.outputName = outputName;
        this.env = env;
        this.options = options;
        this.restMultiplyAdds = restMultiplyAdds;
    }

    @Override
    public long restMultiplyAdds() {
        return restMultiplyAdds;
    }

    @Override
    public int inputs() {
        return inputs;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public double[][] weights() {
        return weights;
    }

    @Override
    public double[] bias() {
        return bias;
    }

    /**
     * Calls to run at once: the model's intra-op threads (all processors where it leaves the count to ONNX
     * Runtime) on the CPU, each call on one thread of the cut model's session ({@link #session}); one on
     * another device.
     */
    @Override
    public int parallelCalls() {
        if (!oneThreadCalls()) {
            return 1;
        }
        return options.intraOpThreads() > 0 ? options.intraOpThreads() : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Whether the cut model runs as one-thread calls, several at once: on the CPU, unless
     * {@code -Dexplain4j.parallelCalls=off} ({@link OnnxModel#PARALLEL_CALLS}: then one call at a time with
     * the model's intra-op threads, as before the calls ran at once).
     */
    private boolean oneThreadCalls() {
        return !options.device().cuda() && !"off".equals(System.getProperty(OnnxModel.PARALLEL_CALLS));
    }

    /**
     * Makes the cut model's session now (a caller has taken the layer); {@code false} (and the layer
     * closed, {@link #refused}) when ONNX Runtime refuses the cut model: the caller then runs whole
     * forward passes.
     */
    @Override
    public synchronized boolean open() {
        if (refused) {
            return false;
        }
        try {
            session();
            return true;
        } catch (RuntimeException e) {
            refused = true;
            close();
            return false;
        }
    }

    /** Whether ONNX Runtime refused the cut model ({@link #open}). */
    synchronized boolean refused() {
        return refused;
    }

    /** Whether the cut model's session has been made (tests). */
    synchronized boolean sessionMade() {
        return session != null;
    }

    private synchronized OrtSession session() {
        if (closed) {
            throw Explain4jException.usage("model", "the model is closed");
        }
        if (session == null) {
            try {
                // one intra-op thread a call on the CPU: the caller runs parallelCalls() calls at once
                session = OnnxModel.createSession(env, restModel, oneThreadCalls() ? options.withThreads(1) : options);
            } catch (OrtException e) {
                throw Explain4jException.model("--model", "ONNX Runtime could not load the model after its first "
                        + "dense layer: " + OnnxModel.firstLine(e.getMessage()) + "; run with incremental=false", e);
            }
        }
        return session;
    }

    /**
     * Direct input buffers not in use, owned by the layer (ONNX Runtime reads a direct buffer in
     * place): a call takes one (or makes one) and gives it back; {@link #close} drops them all, so
     * nothing outlives the layer (a thread-local buffer would stay with every thread that used it).
     */
    private final java.util.ArrayDeque<DoubleBuffer> free = new java.util.ArrayDeque<>();

    /** A free buffer of at least {@code n} doubles, or a new one. */
    private synchronized DoubleBuffer take(int n) {
        DoubleBuffer best = null;
        for (DoubleBuffer b : free) {
            if (b.capacity() >= n && (best == null || b.capacity() < best.capacity())) {
                best = b;
            }
        }
        if (best != null) {
            free.remove(best);
            return best;
        }
        return ByteBuffer.allocateDirect(Math.multiplyExact(n, Double.BYTES)).order(ByteOrder.nativeOrder())
                .asDoubleBuffer();
    }

    /** Gives {@code b} back to the pool, unless the layer is closed (then it is dropped). */
    private synchronized void give(DoubleBuffer b) {
        if (!closed) {
            free.push(b);
        }
    }

    /** Buffers held by the pool (tests). */
    synchronized int pooledBuffers() {
        return free.size();
    }

    @Override
    public Tensor forwardFromLayer(double[] h, int m) {
        OrtSession s = session();
        int n = Math.multiplyExact(m, width);
        DoubleBuffer buf = take(n);
        try {
            return run(s, buf, h, m, n);
        } finally {
            give(buf);
        }
    }

    private Tensor run(OrtSession s, DoubleBuffer buf, double[] h, int m, int n) {
        buf.clear();
        buf.put(h, 0, n);
        buf.flip();
        try (OnnxTensor in = OnnxTensor.createTensor(env, buf, new long[] {m, width});
             OrtSession.Result r = s.run(Map.of(restInput, in), Set.of(outputName))) {
            Tensor o = OrtTensors.fromOrt((OnnxTensor) r.get(0));
            rows.addAndGet(m);
            if (o.rank() == 1) {
                return o.reshape(o.dim(0), 1);
            }
            return o.rank() > 2 ? o.reshape(o.dim(0), o.exampleSize()) : o;
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on the model after its first dense layer "
                    + "with " + m + " rows: " + OnnxModel.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        free.clear();
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                // nothing more can be done with a session that fails to close
            }
            session = null;
        }
    }

    /**
     * The model's dense first layer over {@code inputName} and the cut model computing
     * {@code outputName} from it, or {@code null} when the model does not have that form.
     */
    static DenseLayer analyse(ModelProto model, String inputName, String outputName, OrtEnvironment env,
                              OnnxModel.Options options) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> constants = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            constants.put(t.getName(), t);
        }
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1 && n.getDomain().isEmpty()) {
                Attr.find(n, "value").filter(a -> a.hasT()).ifPresent(a -> constants.put(n.getOutput(0), a.getT()));
            }
        }
        ValueInfoProto input = null;
        for (ValueInfoProto v : g.getInputList()) {
            if (v.getName().equals(inputName)) {
                input = v;
            }
        }
        if (input == null || constants.containsKey(inputName) || !input.getType().hasTensorType()
                || input.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE) {
            return null;
        }
        TensorShapeProto shape = input.getType().getTensorType().getShape();
        if (shape.getDimCount() < 2) {
            return null;
        }
        long d = 1;
        for (int i = 1; i < shape.getDimCount(); i++) {
            if (!shape.getDim(i).hasDimValue() || shape.getDim(i).getDimValue() <= 0) {
                return null;
            }
            d *= shape.getDim(i).getDimValue();
        }
        if (d > Integer.MAX_VALUE) {
            return null;
        }
        Set<NodeProto> removed = new HashSet<>();
        Set<String> removedTensors = new HashSet<>();
        removedTensors.add(inputName);
        String x = inputName;
        NodeProto first = onlyReader(g, x);
        if (first == null) {
            return null;
        }
        if (shape.getDimCount() > 2) {
            // [N, ...] flattened to [N, d] row-major: element e of the example is row e of the weights
            if (!first.getOpType().equals("Flatten") || !first.getDomain().isEmpty()
                    || Attr.getInt(first, "axis", 1) != 1) {
                return null;
            }
            removed.add(first);
            x = first.getOutput(0);
            removedTensors.add(x);
            first = onlyReader(g, x);
            if (first == null) {
                return null;
            }
        }
        if (!first.getDomain().isEmpty() || first.getInputCount() < 2 || !first.getInput(0).equals(x)
                || first.getInput(1).equals(x)) {
            return null;
        }
        int din = (int) d;
        boolean gemm = first.getOpType().equals("Gemm");
        if (!gemm && !(first.getOpType().equals("MatMul") && first.getInputCount() == 2)
                || gemm && Attr.getInt(first, "transA", 0) != 0) {
            return null;
        }
        // shape and size from the proto before the values are copied (a large first layer is refused uncopied)
        TensorProto bt = constants.get(first.getInput(1));
        if (bt == null || bt.getDimsCount() != 2) {
            return null;
        }
        // MatMul: B is [d, width]; Gemm: the same, or [width, d] with transB
        boolean transB = gemm && Attr.getInt(first, "transB", 0) != 0;
        long rowsB = bt.getDims(0);
        long colsB = bt.getDims(1);
        if ((transB ? colsB : rowsB) != din || rowsB * colsB > MAX_WEIGHTS) {
            return null;
        }
        float[] bw = floats(bt, 2);
        if (bw == null) {
            return null;
        }
        int width = (int) (transB ? rowsB : colsB);
        double alpha = gemm ? Attr.getFloat(first, "alpha", 1f) : 1;
        double[][] w = new double[din][width];
        for (int e = 0; e < din; e++) {
            for (int j = 0; j < width; j++) {
                w[e][j] = alpha * bw[transB ? j * din + e : e * width + j];
            }
        }
        double[] b = new double[width];
        removed.add(first);
        String out = first.getOutput(0);
        if (gemm) {
            if (first.getInputCount() > 2 && !first.getInput(2).isEmpty()) {
                float[] c = biasValues(constants.get(first.getInput(2)), width);
                if (c == null || first.getInput(2).equals(x)) {
                    return null;
                }
                double beta = Attr.getFloat(first, "beta", 1f);
                for (int j = 0; j < width; j++) {
                    b[j] = beta * c[c.length == 1 ? 0 : j];
                }
            }
        } else {
            // a MatMul's bias, if any, is the Add that alone reads its output
            NodeProto add = onlyReader(g, out);
            if (add != null && add.getOpType().equals("Add") && add.getDomain().isEmpty() && add.getInputCount() == 2
                    && !isGraphOutput(g, out)) {
                String other = add.getInput(0).equals(out) ? add.getInput(1) : add.getInput(0);
                float[] c = other.equals(out) ? null : biasValues(constants.get(other), width);
                if (c != null) {
                    for (int j = 0; j < width; j++) {
                        b[j] = c[c.length == 1 ? 0 : j];
                    }
                    removed.add(add);
                    removedTensors.add(out);
                    out = add.getOutput(0);
                }
            }
        }
        if (first.getOutputCount() != 1) {
            return null;
        }
        // nothing left may read what was removed (the cut tensor itself excepted)
        for (NodeProto n : g.getNodeList()) {
            if (removed.contains(n)) {
                continue;
            }
            for (String r : RegionGraph.reads(n)) {
                if (removedTensors.contains(r)) {
                    return null;
                }
            }
        }
        for (String t : removedTensors) {
            if (isGraphOutput(g, t)) {
                return null;
            }
        }
        String restInput = (out.equals(outputName) ? out + "/explain4j_dense" : out) + "/explain4j_f64";
        byte[] rest = restModel(model, removed, inputName, out, restInput, outputName, width);
        return new DenseLayer(din, width, w, b, rest, restInput, outputName, env, options,
                multiplyAdds(g, removed, constants));
    }

    /**
     * The cut model: {@code cutInput} ({@code [batch, width]} float64) is its input, cast to float32 as the
     * tensor {@code cut} the rest of the graph reads; {@code outputName} is its only output.
     */
    private static byte[] restModel(ModelProto model, Set<NodeProto> removed, String inputName, String cut,
                                    String cutInput, String outputName, int width) {
        GraphProto g = model.getGraph();
        GraphProto.Builder b = g.toBuilder().clearNode().clearInput().clearOutput().clearInitializer();
        List<NodeProto> nodes = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            if (!removed.contains(n)) {
                nodes.add(n);
            }
        }
        // the pre-activations come in double (summed in double by the caller) and are rounded to
        // float32 here, by ONNX Runtime's vectorised Cast, instead of one element at a time in Java
        String f32 = cut.equals(outputName) ? cut + "/explain4j_dense" : cut;
        nodes.add(0, NodeProto.newBuilder().setOpType("Cast").addInput(cutInput).addOutput(f32)
                .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("to")
                        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT)
                        .setI(TensorProto.DataType.FLOAT_VALUE))
                .setName(cutInput + "/explain4j_cast").build());
        if (!f32.equals(cut)) {
            // the layer is the whole model: the cut model passes its input through
            nodes.add(NodeProto.newBuilder().setOpType("Identity").addInput(f32).addOutput(outputName)
                    .setName(outputName + "/explain4j_identity").build());
        }
        Set<String> read = new HashSet<>();
        for (NodeProto n : nodes) {
            read.addAll(RegionGraph.reads(n));
        }
        for (TensorProto t : g.getInitializerList()) {
            if (read.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        for (ValueInfoProto v : g.getInputList()) {
            if (!v.getName().equals(inputName) && read.contains(v.getName())) {
                b.addInput(v); // initializers listed as inputs (older exporters)
            }
        }
        b.addInput(ValueInfoProto.newBuilder().setName(cutInput).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.DOUBLE_VALUE).setShape(
                        TensorShapeProto.newBuilder()
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))))));
        for (ValueInfoProto v : g.getOutputList()) {
            if (v.getName().equals(outputName)) {
                b.addOutput(v);
            }
        }
        // shapes recorded for removed tensors or the cut would only mislead
        List<ValueInfoProto> infos = new ArrayList<>();
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (!v.getName().equals(cut)) {
                infos.add(v);
            }
        }
        b.clearValueInfo().addAllValueInfo(infos);
        b.addAllNode(nodes);
        return model.toBuilder().setGraph(b).build().toByteArray();
    }

    /** The only node reading {@code t} (also inside subgraphs), or null when none or several do. */
    private static NodeProto onlyReader(GraphProto g, String t) {
        NodeProto found = null;
        for (NodeProto n : g.getNodeList()) {
            if (RegionGraph.reads(n).contains(t)) {
                if (found != null) {
                    return null;
                }
                found = n;
            }
        }
        return found;
    }

    private static boolean isGraphOutput(GraphProto g, String t) {
        for (ValueInfoProto v : g.getOutputList()) {
            if (v.getName().equals(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Multiply-adds per row of the nodes not in {@code removed}: {@code K x N} for each {@code Gemm} or
     * {@code MatMul} whose second input is a constant matrix {@code [K, N]} (the dense layers of an MLP,
     * whose activations are {@code [batch, K]}); other nodes count nothing, so this is a lower bound.
     */
    static long multiplyAdds(GraphProto g, Set<NodeProto> removed, Map<String, TensorProto> constants) {
        long sum = 0;
        for (NodeProto n : g.getNodeList()) {
            if (removed.contains(n) || !n.getDomain().isEmpty() || n.getInputCount() < 2
                    || !(n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul"))) {
                continue;
            }
            TensorProto b = constants.get(n.getInput(1));
            if (b != null && b.getDimsCount() == 2) {
                sum += b.getDims(0) * b.getDims(1);
            }
        }
        return sum;
    }

    /** A float32 constant of the given rank, or null. */
    private static float[] floats(TensorProto t, int rank) {
        if (t == null || t.getDimsCount() != rank || t.hasDataLocation()
                && t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        float[] v = RegionGraph.floats(t);
        long n = 1;
        for (long dim : t.getDimsList()) {
            n *= dim;
        }
        return v != null && v.length == n ? v : null;
    }

    /** A bias broadcast over the rows: a float32 constant of shape {@code []}, {@code [1]}, {@code [width]} or {@code [1, width]}. */
    private static float[] biasValues(TensorProto t, int width) {
        if (t == null || t.getDimsCount() > 2 || t.getDimsCount() == 2 && t.getDims(0) != 1) {
            return null;
        }
        float[] v = floats(t, t.getDimsCount());
        if (v == null || (v.length != 1 && v.length != width)) {
            return null;
        }
        if (t.getDimsCount() > 0 && t.getDims(t.getDimsCount() - 1) != v.length) {
            return null;
        }
        return v;
    }
}
