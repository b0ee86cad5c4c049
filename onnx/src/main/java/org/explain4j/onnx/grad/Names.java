package org.explain4j.onnx.grad;

import java.util.Set;

/** Turning tensor names into safe, unique graph input and output names. */
final class Names {
    private Names() {
    }

    /** {@code prefix + name} with every character other than letters, digits and '_' replaced, made unique in {@code taken}. */
    static String unique(String prefix, String name, Set<String> taken) {
        String base = prefix + name.replaceAll("[^A-Za-z0-9_]", "_");
        String candidate = base;
        for (int i = 2; !taken.add(candidate); i++) {
            candidate = base + "_" + i;
        }
        return candidate;
    }
}
