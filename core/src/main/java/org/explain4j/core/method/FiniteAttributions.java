package org.explain4j.core.method;

import org.explain4j.core.Attribution;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;

/**
 * A method whose every result is checked before anyone can write it: attributions holding a NaN
 * or infinite value are refused with one line. When the model's own output on the input is not
 * finite, the line names the model output (the cause); otherwise it names the method's values
 * (a gradient that overflowed or a division by zero inside the model's backward pass).
 */
public final class FiniteAttributions implements AttributionMethod {
    private final AttributionMethod method;
    private final Model model;

    private FiniteAttributions(AttributionMethod method, Model model) {
        this.method = method;
        this.model = model;
    }

    /** {@code method} with its results checked. */
    public static AttributionMethod wrap(AttributionMethod method, Model model) {
        return method instanceof FiniteAttributions ? method : new FiniteAttributions(method, model);
    }

    @Override
    public String name() {
        return method.name();
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return check(method.attribute(input, target), input, FedInputs.none());
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return check(method.attribute(input, fed, target), input, fed);
    }

    private Attribution check(Attribution a, Tensor input, FedInputs fed) {
        Tensor v = a.values();
        int bad = v.firstNonFinite();
        if (bad < 0) {
            return a;
        }
        // the usual cause is the model itself: its output on the input is refused naming the output
        new EvaluationEngine(model, Math.max(1, input.batchSize()), ProgressListener.NONE,
                fed.bind(model.signature(), input.batchSize(), "input")).forward(input);
        throw new Explain4jException(ErrorKind.NON_FINITE, "model output", method.name() + "'s attribution is "
                + v.getDouble(bad) + " at index " + v.indexString(bad) + " although the model's output is finite: the model's "
                + "gradient or an intermediate value is not finite on this input or on the points between it and the baseline; "
                + "check the model (e.g. Sqrt at 0, Log) and the input's range, or use another baseline or a perturbation method");
    }
}
