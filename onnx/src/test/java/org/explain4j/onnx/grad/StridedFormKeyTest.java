package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.rules.Polyphase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory backward-graph key holds the strided Conv gradient's form
 * ({@code -Dexplain4j.grad.stridedConv}): one model asked for both forms in one process gets a graph
 * of each, and the first form's graph again when it is asked for again.
 */
class StridedFormKeyTest {
    @TempDir
    Path dir;

    private static List<String> ops(BackwardGraph g) {
        return g.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @Test
    void theStridedForm_isPartOfTheInMemoryKey() throws Exception {
        ModelProto conv = TestModels.opset(13).input("x", FLOAT, -1, 16, 8, 8).random("W", FLOAT, new Random(3), -1, 1,
                        16, 16, 3, 3)
                .node("Conv", List.of("x", "W"), List.of("y"), Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1))
                .output("y", FLOAT).build();
        Path file = MultiInputModels.write(conv, dir.resolve("strided.onnx"));
        BackwardRequest request = BackwardRequest.gradientOfInput();
        int[] shape = {1, 16, 8, 8};
        String before = System.getProperty(Polyphase.PROPERTY);
        try (OnnxModel onnx = OnnxModel.load(file);
             OnnxDifferentiableModel grads = new OnnxDifferentiableModel(onnx)) {
            System.setProperty(Polyphase.PROPERTY, "polyphase");
            BackwardGraph phases = grads.graph(grads.key(request, shape, Map.of()), Map.of());
            assertThat(ops(phases)).contains("DepthToSpace").doesNotContain("ConvTranspose");
            System.setProperty(Polyphase.PROPERTY, "transpose");
            BackwardGraph transposed = grads.graph(grads.key(request, shape, Map.of()), Map.of());
            assertThat(ops(transposed)).as("the form asked for, not the graph of the other form")
                    .contains("ConvTranspose").doesNotContain("DepthToSpace");
            System.setProperty(Polyphase.PROPERTY, "polyphase");
            assertThat(grads.graph(grads.key(request, shape, Map.of()), Map.of())).isSameAs(phases);
        } finally {
            if (before == null) {
                System.clearProperty(Polyphase.PROPERTY);
            } else {
                System.setProperty(Polyphase.PROPERTY, before);
            }
        }
    }
}
