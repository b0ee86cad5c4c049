package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.CatalogJson;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.MemoryBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code batch-size} auto: sized by the memory budget, recorded, and without effect on the values. */
class AutoBatchSizeTest {
    /** Input (6 float64 values) and output (3 float64 values) of one row of {@link #MLP}: 72 bytes. */
    private static final long ROW_BYTES = 6 * 8 + 3 * 8;
    private static final TanhMlp MLP = new TanhMlp(new Random(3), 6, 5, 3);
    private static final Tensor X = input();

    @AfterEach
    void clearBudget() {
        System.clearProperty(MemoryBudget.PROPERTY);
    }

    private static Tensor input() {
        Random r = new Random(11);
        double[] v = new double[5 * 6];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return Tensor.ofDoubles(v, 5, 6);
    }

    private static void budgetRows(long rows) {
        // a little under rows + 1 rows' bytes: the size is rounded down
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(rows * ROW_BYTES + ROW_BYTES - 1));
    }

    private static Attribution ig(int batch) {
        return new IntegratedGradients(MLP, IntegratedGradients.Options.defaults().withSteps(9).withBatchSize(batch))
                .attribute(X, Target.classIndex(1));
    }

    private static float[] values(Attribution a) {
        return a.values().toFloatArray();
    }

    @Test
    void autoOnJavaModel_recordsRowsFromInputAndOutputBytes() {
        budgetRows(4);
        assertThat(ig(BatchSize.AUTO).options().get("batch_size")).isEqualTo(4);
        budgetRows(11);
        assertThat(ig(BatchSize.AUTO).options().get("batch_size")).isEqualTo(11);
        assertThat(ig(7).options().get("batch_size")).as("an explicit size is recorded as given").isEqualTo(7);
    }

    @Test
    void deterministicMethod_autoEqualsExplicitWithinRounding() {
        budgetRows(4);
        float[] auto = values(ig(BatchSize.AUTO));
        for (int explicit : new int[] {1, 13, 64}) {
            float[] other = values(ig(explicit));
            for (int i = 0; i < auto.length; i++) {
                assertThat((double) other[i]).as("batch %d, element %d", explicit, i)
                        .isCloseTo(auto[i], org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(auto[i]))));
            }
        }
    }

    @Test
    void seededMethods_autoAndExplicitAreBitIdentical() {
        budgetRows(4);
        Attribution svsAuto = new ShapleyValueSampling(MLP, ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(7))
                .attribute(X, Target.classIndex(2));
        Attribution ksAuto = new KernelShap(MLP, KernelShap.Options.defaults().withSamples(40).withSeed(3))
                .attribute(X, Target.classIndex(0));
        assertThat(svsAuto.options().get("batch_size")).isEqualTo(4);
        assertThat(ksAuto.options().get("batch_size")).isEqualTo(4);
        for (int explicit : new int[] {3, 64}) {
            Attribution svs = new ShapleyValueSampling(MLP, ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(7)
                    .withBatchSize(explicit)).attribute(X, Target.classIndex(2));
            Attribution ks = new KernelShap(MLP, KernelShap.Options.defaults().withSamples(40).withSeed(3)
                    .withBatchSize(explicit)).attribute(X, Target.classIndex(0));
            assertThat(values(svs)).as("shapley-value-sampling, batch %d", explicit).containsExactly(values(svsAuto));
            assertThat(values(ks)).as("kernel-shap, batch %d", explicit).containsExactly(values(ksAuto));
        }
    }

    @Test
    void rowLargerThanBudget_autoIsOneRowButTwoForDeepLift() {
        System.setProperty(MemoryBudget.PROPERTY, "1");
        assertThat(ig(BatchSize.AUTO).options().get("batch_size")).isEqualTo(1);
        Baseline b = Baseline.constant(0.1);
        Attribution auto = new DeepLift(MLP, DeepLift.Options.defaults().withBaseline(b)).attribute(X, Target.classIndex(1));
        Attribution two = new DeepLift(MLP, DeepLift.Options.defaults().withBaseline(b).withBatchSize(2))
                .attribute(X, Target.classIndex(1));
        assertThat(auto.options().get("batch_size")).isEqualTo(2);
        assertThat(values(auto)).containsExactly(values(two));
    }

    @Test
    void catalogue_batchSizeIsAutoUnlessGiven() {
        for (MethodSpec m : MethodCatalog.all()) {
            ParamSpec p = m.param("batch-size").orElseThrow();
            assertThat(p.defaultValue()).as(m.name()).isEmpty();
            assertThat(p.required()).as(m.name()).isFalse();
            assertThat(p.help()).as(m.name()).contains("default: auto");
            assertThat(p.range().min()).as(m.name()).isEqualTo(m.name().startsWith("deeplift") ? 2.0 : 1.0);
        }
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        assertThat(ig.bind(Map.of()).batchSize()).isEqualTo(BatchSize.AUTO);
        assertThat(ig.bind(Map.of("batch-size", 5)).batchSize()).isEqualTo(5);
        assertThatThrownBy(() -> ig.bind(Map.of("batch-size", 0))).isInstanceOf(Explain4jException.class)
                .hasMessage("batch-size must be at least 1 (got 0)");
        assertThatThrownBy(() -> MethodCatalog.get("deeplift").bind(Map.of("batch-size", 1)))
                .hasMessage("batch-size must be at least 2 (got 1)");
        String json = CatalogJson.write(java.util.List.of(ig));
        String entry = json.substring(json.indexOf("\"batch-size\""));
        entry = entry.substring(0, entry.indexOf('}'));
        assertThat(entry).doesNotContain("\"default\"").contains("default: auto").contains("\"minimum\" : 1.0");
    }

    @Test
    void javaOptionsDefaults_areAuto() {
        assertThat(IntegratedGradients.Options.defaults().batchSize()).isEqualTo(BatchSize.AUTO);
        assertThat(KernelShap.Options.defaults().batchSize()).isEqualTo(BatchSize.AUTO);
        assertThat(DeepLift.Options.defaults().batchSize()).isEqualTo(BatchSize.AUTO);
        assertThatThrownBy(() -> IntegratedGradients.Options.defaults().withBatchSize(0))
                .hasMessage("batch-size must be at least 1 (got 0)");
    }

    @Test
    void testModel_hasFloat64Rows() {
        assertThat(MLP.signature().inputType()).as("ROW_BYTES assumes float64 rows").isEqualTo(DType.FLOAT64);
    }
}
