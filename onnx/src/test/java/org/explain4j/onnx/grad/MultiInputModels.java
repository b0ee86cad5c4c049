package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Tiny models with several inputs, built here (seeded) so that tests need no Python:
 * <ul>
 * <li>{@link #maskedMlp}: {@code x} float (N, 4), {@code mask} int64 (N, 4), {@code state}
 * float (2, N, 3) (batch on axis 1, as Silero's state), {@code scale} a float scalar;
 * {@code y = relu((x * mask) W1 + b1) W2 + b2 + sum_0 state + scale}, (N, 3).</li>
 * <li>{@link #tokens}: {@code ids} int64 (N, 5), {@code attention_mask} int64 (N, 5); an
 * embedding (Gather), masked mean over tokens, a dense layer; (N, 2).</li>
 * </ul>
 */
final class MultiInputModels {
    private MultiInputModels() {
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    /** The masked MLP; {@code batch} is the declared batch dimension (-1: open, named N). */
    static ModelProto maskedMlp(long batch) {
        Random rnd = new Random(13);
        return TestModels.opset(17)
                .input("x", TestModels.FLOAT, batch, 4)
                .input("mask", TestModels.INT64, batch, 4)
                .input("state", TestModels.FLOAT, 2, batch, 3)
                .input("scale", TestModels.FLOAT)
                .random("W1", TestModels.FLOAT, rnd, -1, 1, 4, 6)
                .random("b1", TestModels.FLOAT, rnd, -0.2, 0.5, 6)
                .random("W2", TestModels.FLOAT, rnd, -1, 1, 6, 3)
                .random("b2", TestModels.FLOAT, rnd, -0.5, 0.5, 3)
                .longs("axis0", new long[] {1}, 0)
                .init("eye", TestModels.FLOAT, new long[] {4, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)
                .longs("shape4", new long[] {2}, -1, 4)
                .longs("axis1", new long[] {1}, 1)
                .longs("axis2", new long[] {1}, 2)
                // x * mask as a product with diag(mask), so that DeepLIFT and LRP see a linear layer
                .node("Cast", List.of("mask"), List.of("maskf"), intAttr("to", TestModels.FLOAT))
                .node("Unsqueeze", List.of("maskf", "axis2"), List.of("mask3"))
                .node("Mul", List.of("mask3", "eye"), List.of("diag"))
                .node("Unsqueeze", List.of("x", "axis1"), List.of("x3"))
                .node("MatMul", List.of("x3", "diag"), List.of("xm3"))
                .node("Reshape", List.of("xm3", "shape4"), List.of("xm"))
                .node("MatMul", List.of("xm", "W1"), List.of("h"))
                .node("Add", List.of("h", "b1"), List.of("h1"))
                .node("Relu", List.of("h1"), List.of("a"))
                .node("MatMul", List.of("a", "W2"), List.of("o"))
                .node("Add", List.of("o", "b2"), List.of("o1"))
                .node("ReduceSum", List.of("state", "axis0"), List.of("s"), intAttr("keepdims", 0))
                .node("Add", List.of("o1", "s"), List.of("o2"))
                .node("Add", List.of("o2", "scale"), List.of("y"))
                .output("y", TestModels.FLOAT)
                .build();
    }

    /** The token model: embedding, masked mean over the 5 tokens, dense layer. */
    static ModelProto tokens() {
        Random rnd = new Random(17);
        return TestModels.opset(17)
                .input("ids", TestModels.INT64, -1, 5)
                .input("attention_mask", TestModels.INT64, -1, 5)
                .random("E", TestModels.FLOAT, rnd, -1, 1, 10, 4)
                .random("W", TestModels.FLOAT, rnd, -1, 1, 4, 2)
                .random("b", TestModels.FLOAT, rnd, -0.1, 0.1, 2)
                .longs("axis1", new long[] {1}, 1)
                .longs("shape4", new long[] {2}, -1, 4)
                .node("Gather", List.of("E", "ids"), List.of("emb"))
                .node("Unsqueeze", List.of("attention_mask", "axis1"), List.of("m3"))
                .node("Cast", List.of("m3"), List.of("m3f"), intAttr("to", TestModels.FLOAT))
                // the masked sum over tokens as a product (N, 1, 5) x (N, 5, 4), linear for DeepLIFT
                .node("MatMul", List.of("m3f", "emb"), List.of("pooled3"))
                .node("Reshape", List.of("pooled3", "shape4"), List.of("pooled"))
                .node("MatMul", List.of("pooled", "W"), List.of("z"))
                .node("Add", List.of("z", "b"), List.of("y"))
                .output("y", TestModels.FLOAT)
                .build();
    }

    /**
     * A single-input MLP {@code x (batch, 4) -> (batch, 3)} whose weights are stored as external
     * data in {@code weights.bin} beside {@code model.onnx} in {@code dir}; returns the model file.
     */
    static Path withExternalData(Path dir, long batch) throws IOException {
        Random rnd = new Random(23);
        float[] w = new float[4 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        ByteBuffer bytes = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : w) {
            bytes.putFloat(v);
        }
        Files.createDirectories(dir);
        Files.write(dir.resolve("weights.bin"), bytes.array());
        TensorProto external = TensorProto.newBuilder().setName("W").setDataType(TestModels.FLOAT)
                .addDims(4).addDims(3).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length")
                        .setValue(String.valueOf(4 * w.length)))
                .build();
        ModelProto m = TestModels.opset(17)
                .input("x", TestModels.FLOAT, batch, 4)
                .node("MatMul", List.of("x", "W"), List.of("h"))
                .node("Tanh", "h", "y")
                .output("y", TestModels.FLOAT)
                .build();
        m = m.toBuilder().setGraph(m.getGraph().toBuilder().addInitializer(external)).build();
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        return file;
    }

    /** The external-data model's weights, as written. */
    static float[][] externalWeights() {
        Random rnd = new Random(23);
        float[][] w = new float[4][3];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                w[i][j] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }
        return w;
    }

    static Path write(ModelProto m, Path file) throws IOException {
        Files.write(file, m.toByteArray());
        return file;
    }
}
