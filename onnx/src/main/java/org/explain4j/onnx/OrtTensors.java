package org.explain4j.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.DoubleBuffer;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/** Conversions between explain4j tensors and ONNX Runtime tensors. The caller owns what it creates. */
public final class OrtTensors {
    private OrtTensors() {
    }

    /** A new native tensor holding a copy of {@code t}; close it (try-with-resources). */
    public static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = new long[t.rank()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.dim(i);
        }
        return switch (t.dtype()) {
            case FLOAT32 -> OnnxTensor.createTensor(env, t.floatBuffer(), shape);
            case FLOAT64 -> OnnxTensor.createTensor(env, t.doubleBuffer(), shape);
            case INT64 -> OnnxTensor.createTensor(env, t.longBuffer(), shape);
            case INT32 -> {
                long[] v = t.toLongArray();
                int[] ints = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    ints[i] = (int) v[i];
                }
                yield OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
            }
        };
    }

    /** A heap copy of a native tensor's values. */
    public static Tensor fromOrt(OnnxTensor t) {
        TensorInfo info = t.getInfo();
        long[] s = info.getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = Math.toIntExact(s[i]);
        }
        OnnxJavaType type = info.type;
        switch (type) {
            case FLOAT -> {
                FloatBuffer b = t.getFloatBuffer();
                float[] d = new float[b.remaining()];
                b.get(d);
                return Tensor.ofFloats(d, shape);
            }
            case DOUBLE -> {
                DoubleBuffer b = t.getDoubleBuffer();
                double[] d = new double[b.remaining()];
                b.get(d);
                return Tensor.ofDoubles(d, shape);
            }
            case INT64 -> {
                LongBuffer b = t.getLongBuffer();
                long[] d = new long[b.remaining()];
                b.get(d);
                return Tensor.ofLongs(d, shape);
            }
            case INT32 -> {
                IntBuffer b = t.getIntBuffer();
                long[] d = new long[b.remaining()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.get(i);
                }
                return Tensor.ofInt32(d, shape);
            }
            default -> throw Explain4jException.unsupported("model", "the model returned a " + type
                    + " tensor; explain4j reads float32, float64, int32 and int64 outputs");
        }
    }
}
