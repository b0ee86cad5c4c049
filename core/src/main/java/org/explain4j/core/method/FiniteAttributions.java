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
import org.explain4j.core.model.ModelOutputs;

/**
 * A method whose every result is checked before anyone can write it: attributions holding a NaN
 * or infinite value are refused with one line. When the model's own output on the input is not
 * finite, the line names the model output (the cause, argument {@code model output}); otherwise
 * it names the method's values (argument {@code attribution}): for a gradient method a gradient
 * that overflowed or a division by zero inside the model's backward pass, for a perturbation
 * method outputs on perturbed inputs whose combination overflows.
 */
public final class FiniteAttributions implements AttributionMethod {
    private final AttributionMethod method;
    private final Model model;
    private final boolean gradients;

    private FiniteAttributions(AttributionMethod method, Model model, boolean gradients) {
        this.method = method;
        this.model = model;
        this.gradients = gradients;
    }

    /**
     * {@code method} with its results checked; {@code gradients} says whether the method uses the
     * model's gradients (its error then names them) or only forward passes.
     */
    public static AttributionMethod wrap(AttributionMethod method, Model model, boolean gradients) {
        return method instanceof FiniteAttributions ? method : new FiniteAttributions(method, model, gradients);
    }

    @Override
    public String name() {
        return method.name();
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return check(method.attribute(input, target), input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return check(method.attribute(input, fed, target), input, fed, target);
    }

    private Attribution check(Attribution a, Tensor input, FedInputs fed, Target target) {
        Tensor v = a.values();
        int bad = v.firstNonFinite();
        if (bad < 0) {
            return a;
        }
        // the usual cause is the model itself: its output on the input is refused naming the output
        // (its explained columns only, as the method's own engine checks them)
        Tensor out = new EvaluationEngine(model, Math.max(1, input.batchSize()), ProgressListener.NONE,
                fed.bind(model.signature(), input.batchSize(), "input")).explaining(ModelOutputs.NONE).forward(input);
        ModelOutputs.requireFinite(model, out, 0, java.util.function.IntUnaryOperator.identity(),
                ModelOutputs.ofSeeds(target.seeds(input.batchSize(), out.dim(1))));
        String head = method.name() + "'s attribution is " + v.getDouble(bad) + " at index " + v.indexString(bad)
                + " although the model's output is finite: ";
        throw new Explain4jException(ErrorKind.NON_FINITE, "attribution", gradients
                ? head + "the model's gradient or an intermediate value is not finite on this input or on the points "
                + "between it and the baseline; check the model (e.g. Sqrt at 0, Log) and the input's range, or use "
                + "another baseline or a perturbation method"
                : head + "the method combines the model's explained outputs on perturbed inputs (masked, occluded "
                + "or sampled variants of it) into a value too large for float32 or a NaN (e.g. two huge outputs of "
                + "opposite sign); check the model's output range on the baseline value, or use another baseline");
    }
}
