package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model's inputs and outputs as ONNX Runtime reports them, without the model's own session.
 * The model is parsed with its weights aliased (not copied), every initializer of at least
 * {@value #WEIGHT_BYTES} bytes becomes a graph input of its type and shape, and ONNX Runtime makes
 * a session of that graph without optimisations: it resolves the graph, infers its types and
 * shapes and finds a kernel for every node as for the model itself, but copies no weights and
 * pre-packs nothing. Its inputs, less the model's initializers, and its outputs are those of a
 * session of the model (tested on every committed model). Small initializers (shapes, axes,
 * scalars) stay constants, so shapes computed from them are inferred as in the model.
 *
 * @param inputs the model's inputs in order (initializers excluded), as {@link OrtSession#getInputInfo()}
 * @param outputs the model's outputs in order, as {@link OrtSession#getOutputInfo()}
 * @param indexUses what the model does with each input as indices ({@link IndexInputs}), read from
 *                  the same parse, so that the token-id check does not parse the model again
 */
record ModelInterface(Map<String, NodeInfo> inputs, Map<String, NodeInfo> outputs, Map<String, IndexInputs.Use> indexUses) {
    /** Initializers of this size or more (serialised) become inputs of the stand-in graph. */
    static final int WEIGHT_BYTES = 1024;

    /**
     * The interface of the model in {@code bytes}, or null where the stand-in cannot be used: the
     * bytes do not parse, some tensor keeps its data in an external file, the model runs on
     * another device than the CPU, or ONNX Runtime rejects the stand-in (the caller then makes the
     * model's own session, which gives ONNX Runtime's error for the model itself).
     */
    static ModelInterface of(OrtEnvironment env, byte[] bytes, OnnxModel.Options options) {
        if (options.device().cuda()) {
            return null;
        }
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.enableAliasing(true); // the weights' bytes stay in the caller's array
            model = ModelProto.parseFrom(in);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (external(model.getGraph())) {
            return null;
        }
        Map<String, IndexInputs.Use> indexUses = IndexInputs.of(model.getGraph());
        Set<String> initializers = new HashSet<>();
        GraphProto.Builder g = model.getGraph().toBuilder().clearInitializer();
        Set<String> inputs = new HashSet<>();
        model.getGraph().getInputList().forEach(i -> inputs.add(i.getName()));
        for (TensorProto t : model.getGraph().getInitializerList()) {
            initializers.add(t.getName());
            if (t.getSerializedSize() < WEIGHT_BYTES) {
                g.addInitializer(t);
            } else if (inputs.add(t.getName())) {
                g.addInput(asInput(t));
            }
        }
        model.getGraph().getSparseInitializerList().forEach(t -> initializers.add(t.getValues().getName()));
        byte[] standIn = model.toBuilder().setGraph(g).build().toByteArray();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            so.setIntraOpNumThreads(1);
            so.addConfigEntry("session.disable_prepacking", "1");
            try (OrtSession s = env.createSession(standIn, so)) {
                Map<String, NodeInfo> in = new LinkedHashMap<>();
                s.getInputInfo().forEach((name, info) -> {
                    if (!initializers.contains(name)) {
                        in.put(name, info);
                    }
                });
                return new ModelInterface(in, new LinkedHashMap<>(s.getOutputInfo()), indexUses);
            }
        } catch (OrtException | RuntimeException e) {
            return null;
        }
    }

    /** A graph input of the initializer's element type and dimensions. */
    private static ValueInfoProto asInput(TensorProto t) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : t.getDimsList()) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(t.getName()).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(t.getDataType()).setShape(shape))).build();
    }

    /** True when some tensor of {@code g} (or of its subgraphs) keeps its data in an external file. */
    static boolean external(GraphProto g) {
        for (TensorProto t : g.getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasT() && a.getT().getDataLocation() == TensorProto.DataLocation.EXTERNAL
                        || a.hasG() && external(a.getG())) {
                    return true;
                }
                for (GraphProto sub : a.getGraphsList()) {
                    if (external(sub)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
