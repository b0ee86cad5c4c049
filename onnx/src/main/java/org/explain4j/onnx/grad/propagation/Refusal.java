package org.explain4j.onnx.grad.propagation;

import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;

/**
 * The error of an op that a strict rule set does not model. Thrown while the backward graph is
 * built; {@link Canonizers#build} names the rule set in front of the message.
 */
final class Refusal extends Explain4jException {
    private static final long serialVersionUID = 1L;

    Refusal(String message) {
        super(ErrorKind.UNSUPPORTED, "--method", message);
    }

    /** The same error with the rule set's name in front: {@code "<rule set>: <message>"}. */
    Explain4jException in(String ruleSet) {
        return new Explain4jException(ErrorKind.UNSUPPORTED, argument(), ruleSet + ": " + getMessage(), this);
    }
}
