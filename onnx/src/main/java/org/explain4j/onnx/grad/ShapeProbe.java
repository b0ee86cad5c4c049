package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.OrtTensors;

/**
 * Runs the original model once on a zero input of the concrete shape, with every intermediate
 * tensor made a graph output, to learn the type and shape of every tensor (and the values of
 * small integer and boolean tensors, for axes and shapes computed inside the graph).
 */
final class ShapeProbe {
    /** Integer tensors up to this many elements have their values recorded. */
    private static final long MAX_VALUES = 4096;

    record Result(Map<String, TensorMeta> metas, Map<String, long[]> longs) {
        /** Bytes of every tensor the run held: the fed inputs, each intermediate and the outputs (not the weights). */
        long bytes() {
            long b = 0;
            for (TensorMeta m : metas.values()) {
                b += m.size() * elemBytes(m.elemType());
            }
            return b;
        }
    }

    /** Bytes per element of an ONNX element type (1 for bool and 8-bit types, 8 for unknown ones). */
    static int elemBytes(int elemType) {
        return switch (elemType) {
            case DataType.FLOAT_VALUE, DataType.INT32_VALUE, DataType.UINT32_VALUE -> 4;
            case DataType.DOUBLE_VALUE, DataType.INT64_VALUE, DataType.UINT64_VALUE -> 8;
            case DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE, DataType.INT16_VALUE, DataType.UINT16_VALUE -> 2;
            case DataType.BOOL_VALUE, DataType.INT8_VALUE, DataType.UINT8_VALUE -> 1;
            default -> 8;
        };
    }

    private ShapeProbe() {
    }

    static Result run(OrtEnvironment env, ModelProto model, String inputName, int inputType, int[] shape) {
        return run(env, OrtAccess.PLAIN, model, inputName, inputType, shape, Map.of());
    }

    /**
     * As above, with the model's other inputs fed as given ({@code fed}, by name), the probe's
     * session made through {@code access}.
     */
    static Result run(OrtEnvironment env, OrtAccess access, ModelProto model, String inputName, int inputType,
                      int[] shape, Map<String, Tensor> fed) {
        GraphProto g = model.getGraph();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        GraphProto.Builder pg = g.toBuilder();
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && outputs.add(o)) {
                    pg.addOutput(ValueInfoProto.newBuilder().setName(o));
                }
            }
        }
        ModelProto probe = model.toBuilder().setGraph(pg).build();
        Map<String, TensorMeta> metas = new HashMap<>();
        Map<String, long[]> longs = new HashMap<>();
        List<OnnxTensor> created = new ArrayList<>();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            // one run only: no pre-packed copies of the weights (on ViT-B/16 these were 0.6 GB of
            // the peak resident memory and half a second of session creation), no memory planning
            so.addConfigEntry("session.disable_prepacking", "1");
            so.setMemoryPatternOptimization(false);
            so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            Map<String, OnnxTensor> feeds = new HashMap<>();
            created.add(OrtTensors.toOrt(env, Tensor.zeros(dtypeOf(inputType, inputName), shape)));
            feeds.put(inputName, created.get(0));
            for (Map.Entry<String, Tensor> f : fed.entrySet()) {
                created.add(OrtTensors.toOrt(env, f.getValue()));
                feeds.put(f.getKey(), created.get(created.size() - 1));
            }
            try (OrtSession session = access.createSession(env, probe, so);
                 OrtSession.Result r = session.run(feeds)) {
                // the fed values' own shapes and types (a graph input is no node output)
                for (Map.Entry<String, OnnxTensor> e : feeds.entrySet()) {
                    TensorInfo info = e.getValue().getInfo();
                    metas.put(e.getKey(), new TensorMeta(elemType(info.onnxType), info.getShape()));
                }
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (e.getValue() instanceof OnnxTensor t) {
                        TensorInfo info = t.getInfo();
                        TensorMeta m = new TensorMeta(elemType(info.onnxType), info.getShape());
                        metas.put(e.getKey(), m);
                        if (m.size() <= MAX_VALUES) {
                            long[] v = readLongs(t, m.elemType());
                            if (v != null) {
                                longs.put(e.getKey(), v);
                            }
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime could not run the model on a zero input of shape "
                    + Tensor.shapeString(shape) + " to learn its tensor shapes: " + firstLine(e.getMessage())
                    + "; check that the input shape fits the model", e);
        } finally {
            OnnxValue.close(created);
        }
        return new Result(metas, longs);
    }

    /** The ONNX element type number of an ONNX Runtime tensor type (whose own numbering differs). */
    static int elemType(TensorInfo.OnnxTensorType t) {
        String name = t.name().substring("ONNX_TENSOR_ELEMENT_DATA_TYPE_".length());
        try {
            return DataType.valueOf(name).getNumber();
        } catch (IllegalArgumentException e) {
            return DataType.UNDEFINED_VALUE;
        }
    }

    private static long[] readLongs(OnnxTensor t, int elemType) {
        if (elemType == DataType.INT64_VALUE) {
            LongBuffer b = t.getLongBuffer();
            long[] v = new long[b.remaining()];
            b.get(v);
            return v;
        }
        if (elemType == DataType.BOOL_VALUE) {
            java.nio.ByteBuffer b = t.getByteBuffer();
            long[] v = new long[b.remaining()];
            for (int i = 0; i < v.length; i++) {
                v[i] = b.get(i);
            }
            return v;
        }
        if (elemType == DataType.INT32_VALUE) {
            IntBuffer b = t.getIntBuffer();
            long[] v = new long[b.remaining()];
            for (int i = 0; i < v.length; i++) {
                v[i] = b.get(i);
            }
            return v;
        }
        return null;
    }

    static DType dtypeOf(int elemType, String name) {
        return switch (elemType) {
            case DataType.FLOAT_VALUE -> DType.FLOAT32;
            case DataType.DOUBLE_VALUE -> DType.FLOAT64;
            case DataType.INT64_VALUE -> DType.INT64;
            case DataType.INT32_VALUE -> DType.INT32;
            default -> throw Explain4jException.unsupported("--model", "the model input '" + name + "' is "
                    + TensorMeta.typeName(elemType) + "; explain4j supports float32, float64 and int64 inputs");
        };
    }

    static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
