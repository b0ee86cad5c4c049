package org.explain4j.onnx.text;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.explain4j.core.Explain4jException;

/**
 * In-memory edits of a text encoder's ONNX graph for explaining it: finding the word-embedding
 * output and the attention Softmaxes, exposing intermediate tensors as outputs, and appending a
 * pooling head (masked mean pooling, optionally the cosine with a fixed reference embedding) so
 * that an embedding model without a classification head gets a scalar output every method can
 * explain. The caller's bytes are never changed; each edit returns new bytes.
 */
public final class TextGraphs {
    /** Name of the appended pooled-embedding output, shape {@code (N, D)}. */
    public static final String EMBEDDING = "explain4j_pooled_embedding";
    /** Name of the appended cosine-similarity output, shape {@code (N, 1)}. */
    public static final String SIMILARITY = "explain4j_cosine_similarity";
    /** Name of the appended reference input of the similarity head, shape {@code (N, D)}, unit rows. */
    public static final String REFERENCE = "explain4j_reference_unit";

    private TextGraphs() {
    }

    /** Parses a model's bytes, with the command line's error for a file that is not ONNX. */
    public static ModelProto parse(byte[] bytes) {
        try {
            return ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw Explain4jException.file("--model", "--model is not an ONNX model: " + e.getMessage());
        }
    }

    /**
     * The output of the Gather that looks {@code idsInput} up in an initializer: the word
     * embedding (e.g. {@code /embeddings/word_embeddings/Gather_output_0}).
     */
    public static Optional<String> wordEmbedding(ModelProto model, String idsInput) {
        Set<String> inits = new HashSet<>();
        model.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (n.getOpType().equals("Gather") && n.getInputCount() == 2 && n.getInput(1).equals(idsInput)
                    && inits.contains(n.getInput(0))) {
                return Optional.of(n.getOutput(0));
            }
        }
        return Optional.empty();
    }

    /** The outputs of every Softmax, in graph order (an encoder's attention probabilities, one per layer). */
    public static List<String> softmaxOutputs(ModelProto model) {
        List<String> out = new ArrayList<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (n.getOpType().equals("Softmax")) {
                out.add(n.getOutput(0));
            }
        }
        return out;
    }

    /** The graph's output names. */
    public static List<String> outputs(ModelProto model) {
        return model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
    }

    /** A copy whose outputs are the original ones followed by {@code names} (types left to ONNX Runtime). */
    public static byte[] withOutputs(ModelProto model, List<String> names) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (String n : names) {
            g.addOutput(ValueInfoProto.newBuilder().setName(n));
        }
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    /**
     * A copy with one output, {@link #EMBEDDING} of shape {@code (N, D)}: {@code hidden} (shape
     * {@code (N, T, D)}) pooled over the tokens, by the mean over the tokens where
     * {@code maskInput} is 1 (sentence-transformers' mean pooling; {@code pooling} "mean") or the
     * first token ("cls").
     */
    public static byte[] withEmbeddingHead(ModelProto model, String hidden, String maskInput, String pooling) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String pooled = pool(model, g, hidden, maskInput, pooling);
        g.addNode(node("Identity", List.of(pooled), EMBEDDING));
        g.clearOutput().addOutput(valueInfo(EMBEDDING, -1, batchName(model)));
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    /**
     * A copy with a new float input {@link #REFERENCE} of shape {@code (N, D)} (a unit vector per
     * example, fed) and one output {@link #SIMILARITY} of shape {@code (N, 1)}: the cosine of the
     * pooled embedding (as {@link #withEmbeddingHead}) with the reference. The pooled vector is
     * divided by its norm (a divisor broadcast over D; no clamp, since a Max would
     * have no DeepLIFT rule and a real embedding is never zero), multiplied element-wise with the
     * reference and summed, so the gradient, DeepLIFT and LRP rules all apply; the reference,
     * being fed, is a constant of the explanation.
     */
    public static byte[] withSimilarityHead(ModelProto model, String hidden, String maskInput, String pooling) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String batch = batchName(model);
        String p = "explain4j_sim_";
        String pooled = pool(model, g, hidden, maskInput, pooling);
        long opset = opset(model);
        g.addNode(node("Mul", List.of(pooled, pooled), p + "sq"));
        g.addNode(reduceSum(opset, g, p + "sq", p + "sqsum", p + "axes1"));
        g.addNode(node("Sqrt", List.of(p + "sqsum"), p + "norm"));
        g.addNode(node("Div", List.of(pooled, p + "norm"), p + "unit"));
        g.addNode(node("Mul", List.of(p + "unit", REFERENCE), p + "prod"));
        g.addNode(reduceSum(opset, g, p + "prod", SIMILARITY, p + "axes1b"));
        g.addInput(valueInfo(REFERENCE, -1, batch));
        g.clearOutput().addOutput(valueInfo(SIMILARITY, 1, batch));
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    /** Appends the pooling nodes; returns the pooled tensor's name, shape (N, D). */
    private static String pool(ModelProto model, GraphProto.Builder g, String hidden, String maskInput, String pooling) {
        if (!outputs(model).contains(hidden) && model.getGraph().getNodeList().stream()
                .noneMatch(n -> n.getOutputList().contains(hidden))) {
            throw Explain4jException.usage("--model", "the model has no tensor '" + hidden + "' to pool");
        }
        String p = "explain4j_pool_";
        g.addInitializer(longs(p + "shape_nd", 0, -1));
        if (pooling.equals("cls") || maskInput == null) {
            if (!pooling.equals("cls")) {
                throw Explain4jException.usage("--pooling", "mean pooling needs the model's attention-mask input; "
                        + "use --pooling cls");
            }
            g.addInitializer(longs(p + "zero", 0));
            g.addNode(node("Gather", List.of(hidden, p + "zero"), p + "cls", attrInt("axis", 1)));
            g.addNode(node("Reshape", List.of(p + "cls", p + "shape_nd"), p + "pooled"));
            return p + "pooled";
        }
        if (!pooling.equals("mean")) {
            throw Explain4jException.usage("--pooling", "--pooling '" + pooling + "' must be mean or cls");
        }
        g.addInitializer(longs(p + "shape_nt1", 0, -1, 1));
        g.addInitializer(scalar(p + "eps", 1e-9f));
        // mask as float (N, T, 1); hidden times mask (a gate broadcast over D), summed over the tokens: (N, 1, D) -> (N, D)
        g.addNode(node("Cast", List.of(maskInput), p + "maskf", attrInt("to", TensorProto.DataType.FLOAT_VALUE)));
        g.addNode(node("Reshape", List.of(p + "maskf", p + "shape_nt1"), p + "mask3"));
        g.addNode(node("Mul", List.of(hidden, p + "mask3"), p + "masked"));
        g.addNode(reduceSum(opset(model), g, p + "masked", p + "sum3", p + "axes1t"));
        g.addNode(node("Reshape", List.of(p + "sum3", p + "shape_nd"), p + "sum"));
        g.addNode(reduceSum(opset(model), g, p + "maskf", p + "count0", p + "axes1"));
        g.addNode(node("Max", List.of(p + "count0", p + "eps"), p + "count"));
        g.addNode(node("Div", List.of(p + "sum", p + "count"), p + "pooled"));
        return p + "pooled";
    }

    private static long opset(ModelProto model) {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OperatorSetIdProto::getVersion).findFirst().orElse(13);
    }

    /** ReduceSum over axis 1 with keepdims: the axes as an attribute before opset 13, as an input from 13 on. */
    private static NodeProto reduceSum(long opset, GraphProto.Builder g, String in, String out, String axesName) {
        if (opset < 13) {
            return node("ReduceSum", List.of(in), out, AttributeProto.newBuilder().setName("axes")
                    .setType(AttributeProto.AttributeType.INTS).addInts(1).build(), attrInt("keepdims", 1));
        }
        g.addInitializer(longs(axesName, 1));
        return node("ReduceSum", List.of(in, axesName), out, attrInt("keepdims", 1));
    }

    private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(output + "_" + op).addAllInput(inputs)
                .addOutput(output);
        for (AttributeProto a : attrs) {
            b.addAttribute(a);
        }
        return b.build();
    }

    private static AttributeProto attrInt(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static TensorProto longs(String name, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static TensorProto scalar(String name, float v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static TensorProto floats(String name, float[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** The name of the first input's first dimension (the batch), or "batch". */
    private static String batchName(ModelProto model) {
        for (ValueInfoProto i : model.getGraph().getInputList()) {
            var dims = i.getType().getTensorType().getShape().getDimList();
            if (!dims.isEmpty() && !dims.get(0).getDimParam().isEmpty()) {
                return dims.get(0).getDimParam();
            }
        }
        return "batch";
    }

    /** A float output of shape (batch, width), width -1 meaning unnamed. */
    private static ValueInfoProto valueInfo(String name, int width, String batch) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        s.addDim(width > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(width)
                : TensorShapeProto.Dimension.newBuilder().setDimParam("hidden"));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }
}
