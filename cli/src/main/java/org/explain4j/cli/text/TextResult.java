package org.explain4j.cli.text;

import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;

/**
 * One method's result on a text run.
 *
 * @param method      the method's catalogue name
 * @param attribution the raw result of the first side (for the report's diagnostics)
 * @param tokens      per side tag, per example, the per-token values
 * @param words       per side tag, per example, the per-word values
 */
public record TextResult(String method, Attribution attribution, Map<String, List<double[]>> tokens,
                         Map<String, List<double[]>> words) {
}
