package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.DType;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.MemoryBudget;
import org.explain4j.core.engine.RowMemory.Call;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The automatic batch size of ONNX models: a one-row probe's tensors, times a factor for backward passes. */
class AutoBatchSizeOnnxTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "models");
    /** mlp_opset17, float32: input 5, Gemm 4, Relu 4, Gemm (output) 3. */
    private static final long MLP_ROW = 4L * (5 + 4 + 4 + 3);
    /**
     * residual_cnn, float32: input 3x12x12; ten 8x12x12 tensors (Conv, BatchNormalization, Relu,
     * then the block's Conv, BN, Relu, Conv, BN, Add, Relu); AveragePool 8x6x6;
     * GlobalAveragePool 8; Flatten 8; Gemm (output) 5.
     */
    private static final long CNN_ROW = 4L * (3 * 12 * 12 + 10 * 8 * 12 * 12 + 8 * 6 * 6 + 8 + 8 + 5);

    @AfterEach
    void clearBudget() {
        System.clearProperty(MemoryBudget.PROPERTY);
    }

    private static OnnxDifferentiableModel open(String name) {
        return new OnnxDifferentiableModel(OnnxModel.load(FIXTURES.resolve(name + ".onnx")));
    }

    @Test
    void probeOfOneRow_countsEveryTensorOfTheRunAndTwiceForBackward() {
        try (OnnxDifferentiableModel mlp = open("mlp_opset17"); OnnxDifferentiableModel cnn = open("residual_cnn")) {
            assertThat(mlp.bytesPerRow(Tensor.zeros(DType.FLOAT32, 1, 5), Map.of(), Call.FORWARD)).hasValue(MLP_ROW);
            assertThat(mlp.bytesPerRow(Tensor.zeros(DType.FLOAT32, 1, 5), Map.of(), Call.BACKWARD))
                    .hasValue((long) (OnnxDifferentiableModel.BACKWARD_FACTOR * MLP_ROW));
            assertThat(cnn.bytesPerRow(Tensor.zeros(DType.FLOAT32, 1, 3, 12, 12), Map.of(), Call.FORWARD)).hasValue(CNN_ROW);
            // an input the model refuses (its image size is fixed): no estimate, the engine falls back
            assertThat(cnn.bytesPerRow(Tensor.zeros(DType.FLOAT32, 1, 3, 24, 24), Map.of(), Call.FORWARD)).isEmpty();
            mlp.model().close();
            cnn.model().close();
        }
    }

    @Test
    void largeActivations_getSmallerAutoBatchByTheFormula() {
        System.setProperty(MemoryBudget.PROPERTY, "1m");
        try (OnnxDifferentiableModel mlp = open("mlp_opset17"); OnnxDifferentiableModel cnn = open("residual_cnn")) {
            Tensor xc = Npy.read(FIXTURES.resolve("residual_cnn_x.npy"), "x");
            Tensor xm = Npy.read(FIXTURES.resolve("mlp_opset17_x.npy"), "x");
            IntegratedGradients.Options o = IntegratedGradients.Options.defaults().withSteps(10);
            Attribution cnnAuto = new IntegratedGradients(cnn, o).attribute(xc, Target.classIndex(2));
            Attribution mlpAuto = new IntegratedGradients(mlp, o).attribute(xm, Target.classIndex(1));
            long cnnBackward = (long) Math.ceil(OnnxDifferentiableModel.BACKWARD_FACTOR * CNN_ROW);
            assertThat(cnnAuto.options().get("batch_size")).isEqualTo((int) ((1L << 20) / cnnBackward)); // 10
            // the MLP's rows are small (128 bytes backward): the budget, not the 256-row cap, sizes it
            long mlpBackward = (long) (OnnxDifferentiableModel.BACKWARD_FACTOR * MLP_ROW);
            assertThat(mlpAuto.options().get("batch_size")).isEqualTo((int) ((1L << 20) / mlpBackward)).isEqualTo(8192);
            assertThat(8192).isGreaterThan(MemoryBudget.MAX_ROWS);
            // the values do not depend on the batch size
            Attribution cnnTwo = new IntegratedGradients(cnn, o.withBatchSize(2)).attribute(xc, Target.classIndex(2));
            assertThat(cnnTwo.options().get("batch_size")).isEqualTo(2);
            float[] a = cnnAuto.values().toFloatArray();
            float[] b = cnnTwo.values().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(b[i]).as("element %d", i).isCloseTo(a[i], within(1e-5f * (1 + Math.abs(a[i]))));
            }
            mlp.model().close();
            cnn.model().close();
        }
    }

    @Test
    void explicitBatch_isRecordedAsGivenOnOnnxModels() {
        System.setProperty(MemoryBudget.PROPERTY, "1");
        try (OnnxDifferentiableModel cnn = open("residual_cnn")) {
            Tensor xc = Npy.read(FIXTURES.resolve("residual_cnn_x.npy"), "x");
            Attribution a = new IntegratedGradients(cnn, IntegratedGradients.Options.defaults().withSteps(4).withBatchSize(5))
                    .attribute(xc, Target.classIndex(0));
            assertThat(a.options().get("batch_size")).isEqualTo(5);
            Attribution auto = new IntegratedGradients(cnn, IntegratedGradients.Options.defaults().withSteps(4)
                    .withBatchSize(BatchSize.AUTO)).attribute(xc, Target.classIndex(0));
            assertThat(auto.options().get("batch_size")).as("a row over the budget: one row per call").isEqualTo(1);
            cnn.model().close();
        }
    }
}
