package org.explain4j.onnx.cache;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A text form of a cache key's parts that is the same in every process: records by their
 * components, maps sorted by key (the iteration order of {@code Map.of} changes from one JVM run to
 * the next), arrays by their elements. Anything else by {@code toString}, which must be stable
 * (strings, numbers, enums).
 */
public final class Canonical {
    private Canonical() {
    }

    public static String text(Object o) {
        StringBuilder sb = new StringBuilder();
        append(sb, o);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object o) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof CharSequence s) {
            sb.append('"').append(s.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else if (o instanceof Map<?, ?> m) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            m.forEach((k, v) -> sorted.put(text(k), v));
            sb.append('{');
            sorted.forEach((k, v) -> {
                sb.append(k).append('=');
                append(sb, v);
                sb.append(',');
            });
            sb.append('}');
        } else if (o instanceof Collection<?> c) {
            sb.append('[');
            c.forEach(e -> {
                append(sb, e);
                sb.append(',');
            });
            sb.append(']');
        } else if (o instanceof Record r) {
            sb.append(r.getClass().getSimpleName()).append('(');
            for (RecordComponent rc : r.getClass().getRecordComponents()) {
                sb.append(rc.getName()).append('=');
                try {
                    rc.getAccessor().setAccessible(true);
                    append(sb, rc.getAccessor().invoke(r));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot read " + rc.getName() + " of " + r.getClass(), e);
                }
                sb.append(',');
            }
            sb.append(')');
        } else if (o instanceof int[] a) {
            sb.append(Arrays.toString(a));
        } else if (o instanceof long[] a) {
            sb.append(Arrays.toString(a));
        } else if (o instanceof double[] a) {
            sb.append(Arrays.toString(a));
        } else if (o instanceof float[] a) {
            sb.append(Arrays.toString(a));
        } else if (o instanceof Object[] a) {
            append(sb, Arrays.asList(a));
        } else if (o instanceof Enum<?> e) {
            sb.append(e.getDeclaringClass().getSimpleName()).append('.').append(e.name());
        } else {
            sb.append(o);
        }
    }
}
