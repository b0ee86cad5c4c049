package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.explain4j.core.Explain4jException;

/** Making and reading small constant {@link TensorProto}s. */
final class TensorProtos {
    private TensorProtos() {
    }

    /** An int64 tensor with the given dims (a 1-D tensor when {@code dims} is null). */
    static TensorProto longs(String name, long[] dims, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        if (dims == null) {
            t.addDims(values.length);
        } else {
            for (long d : dims) {
                t.addDims(d);
            }
        }
        return t.build();
    }

    /** A float32 or float64 tensor of the given dims holding {@code values}. */
    static TensorProto floats(String name, int elemType, long[] dims, double... values) {
        ByteBuffer b;
        if (elemType == DataType.FLOAT_VALUE) {
            b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                b.putFloat((float) v);
            }
        } else if (elemType == DataType.DOUBLE_VALUE) {
            b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                b.putDouble(v);
            }
        } else {
            throw Explain4jException.unsupported("model", "the backward graph needs a constant of element type "
                    + TensorMeta.typeName(elemType) + "; explain4j differentiates float32 and float64 tensors only");
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** The values of an integer or boolean tensor, or null for other element types. */
    static long[] toLongs(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        int count = Math.toIntExact(n);
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        long[] out = new long[count];
        switch (t.getDataType()) {
            case DataType.INT64_VALUE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = hasRaw ? raw.getLong(8 * i) : t.getInt64Data(i);
                }
            }
            case DataType.INT32_VALUE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = hasRaw ? raw.getInt(4 * i) : t.getInt32Data(i);
                }
            }
            case DataType.BOOL_VALUE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = hasRaw ? raw.get(i) : t.getInt32Data(i);
                }
            }
            default -> {
                return null;
            }
        }
        return out;
    }

    /** The values of a float32 or float64 tensor, or null for other element types. */
    static double[] toDoubles(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        int count = Math.toIntExact(n);
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        double[] out = new double[count];
        switch (t.getDataType()) {
            case DataType.FLOAT_VALUE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = hasRaw ? raw.getFloat(4 * i) : t.getFloatData(i);
                }
            }
            case DataType.DOUBLE_VALUE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = hasRaw ? raw.getDouble(8 * i) : t.getDoubleData(i);
                }
            }
            default -> {
                return null;
            }
        }
        return out;
    }
}
