package org.explain4j.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The catalogue's budget memory ({@link MethodSpec.Memory}): every method with a budget parameter
 * says what it holds for that budget, the estimate grows linearly with it and saturates instead of
 * overflowing, and the formulas give the bytes of the engines' data structures.
 */
class MethodMemoryTest {
    private static Params bind(MethodSpec m, String param, long budget) {
        Map<String, Object> given = new HashMap<>();
        given.put(param, (int) budget);
        if (m.param("layer").map(ParamSpec::required).orElse(false)) {
            given.put("layer", "/relu/Relu_output_0");
        }
        return m.bind(given);
    }

    @Test
    void everyMethodWithABudgetParameterDeclaresItsMemoryAndNoOtherDoes() {
        int withMemory = 0;
        for (MethodSpec m : MethodCatalog.all()) {
            List<String> budgets = m.params().stream().filter(p -> p.role() == ParamSpec.Role.BUDGET)
                    .map(ParamSpec::name).toList();
            if (budgets.isEmpty()) {
                assertThat(m.budgetMemory()).as(m.name()).isEmpty();
            } else {
                assertThat(m.budgetMemory()).as(m.name() + " has budget parameters " + budgets).isPresent();
                assertThat(budgets).as(m.name()).contains(m.budgetMemory().get().parameter());
                withMemory++;
            }
        }
        assertThat(withMemory).isEqualTo(9);
    }

    @Test
    void estimatesGrowLinearlyWithTheBudgetAndSaturate() {
        for (MethodSpec m : MethodCatalog.all()) {
            if (m.budgetMemory().isEmpty()) {
                continue;
            }
            MethodSpec.Memory mem = m.budgetMemory().get();
            long f = 3 * 32 * 32;
            long features = 64;
            long one = mem.estimator().bytes(bind(m, mem.parameter(), 1000), f, features);
            long two = mem.estimator().bytes(bind(m, mem.parameter(), 2000), f, features);
            long three = mem.estimator().bytes(bind(m, mem.parameter(), 3000), f, features);
            assertThat(two).as(m.name()).isGreaterThan(one);
            assertThat(three - two).as(m.name() + ": linear in " + mem.parameter()).isEqualTo(two - one);
            // the largest budget the catalogue accepts on a large input: saturated, never negative
            Double bound = m.param(mem.parameter()).get().range().max();
            long max = bound == null ? Integer.MAX_VALUE : bound.longValue();
            long huge = mem.estimator().bytes(bind(m, mem.parameter(), Math.min(max, Integer.MAX_VALUE)), 1L << 40,
                    1L << 40);
            assertThat(huge).as(m.name()).isGreaterThan(1L << 40);
        }
    }

    @Test
    void theFormulasCountTheEnginesDataStructures() {
        // KernelSHAP, 50 million coalitions of 64 features of a 64-element input: per sample a coalition
        // (64 booleans), a design row (64 doubles), a queued perturbation (2 x 64 bytes + 72) and 48 bytes
        MethodSpec ks = MethodCatalog.get("kernel-shap");
        assertThat(ks.budgetMemory().get().estimator().bytes(bind(ks, "samples", 50_000_000), 64, 64))
                .isEqualTo(50_000_000L * (9 * 64 + 2 * 64 + 72 + 48));
        // Shapley value sampling: M + 1 queued perturbations per permutation
        MethodSpec svs = MethodCatalog.get("shapley-value-sampling");
        assertThat(svs.budgetMemory().get().estimator().bytes(bind(svs, "samples", 10), 64, 16))
                .isEqualTo(10L * 17 * (2 * 64 + 72));
        // integrated gradients: the rule's points and weights only, plus an input and its gradient
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        assertThat(ig.budgetMemory().get().estimator().bytes(bind(ig, "steps", 1000), 64, 64))
                .isEqualTo(1000L * 16 + 16 * 64);
        // saturating arithmetic
        assertThat(MethodSpec.Memory.times(Long.MAX_VALUE / 2, 3)).isEqualTo(Long.MAX_VALUE);
        assertThat(MethodSpec.Memory.plus(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(MethodSpec.Memory.times(6, 7)).isEqualTo(42);
    }
}
