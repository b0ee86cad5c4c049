package org.explain4j.onnx.cache;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.MemoryBudget;

/**
 * Where the cache of derived artefacts lives and whether it is used, read at each use from system
 * properties (set by the command line's {@code --no-cache} / {@code --cache-dir}) and then
 * environment variables:
 *
 * <ul>
 *   <li>{@value #ENABLED} / {@code EXPLAIN4J_CACHE}: {@code off} (or {@code false}, {@code 0})
 *       disables the cache;
 *   <li>{@value #DIR} / {@code EXPLAIN4J_CACHE_DIR}: the folder (default
 *       {@code $XDG_CACHE_HOME/explain4j}, else {@code ~/.cache/explain4j});
 *   <li>{@value #MAX} / {@code EXPLAIN4J_CACHE_MAX}: the size bound, e.g. {@code 2g} (default
 *       {@value #DEFAULT_MAX_TEXT});
 *   <li>{@value #OPTIMISED} / {@code EXPLAIN4J_CACHE_OPTIMISED}: {@code on} also caches ONNX
 *       Runtime's optimised form of backward sessions ({@link OptimizedSessionCache}); off by
 *       default, since on ResNet-18 a session from it cost more than optimising the backward
 *       graph again with the shared weights (docs/NOTES.md, "Cold start, second round").
 * </ul>
 */
public final class CacheSettings {
    public static final String ENABLED = "explain4j.cache";
    public static final String DIR = "explain4j.cacheDir";
    public static final String MAX = "explain4j.cacheMax";
    /** Whether ONNX Runtime's optimised form of backward sessions is cached too (off by default). */
    public static final String OPTIMISED = "explain4j.cacheOptimised";
    static final String DEFAULT_MAX_TEXT = "2g";
    /** Backward graphs and ONNX Runtime's optimised models go into this sub-folder. */
    static final String DERIVED = "derived";

    private CacheSettings() {
    }

    /** The cache of derived models, or empty when disabled. */
    public static Optional<DiskCache> derived() {
        if (!enabled()) {
            return Optional.empty();
        }
        long max = MemoryBudget.parse(setting(MAX, "EXPLAIN4J_CACHE_MAX").orElse(DEFAULT_MAX_TEXT),
                "EXPLAIN4J_CACHE_MAX (or -D" + MAX + ")");
        return Optional.of(new DiskCache(root().resolve(DERIVED), max));
    }

    public static boolean enabled() {
        String v = setting(ENABLED, "EXPLAIN4J_CACHE").orElse("on").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "on", "true", "1", "yes" -> true;
            case "off", "false", "0", "no" -> false;
            default -> throw Explain4jException.usage("--no-cache", "EXPLAIN4J_CACHE / -D" + ENABLED + " is '" + v
                    + "'; use on or off");
        };
    }

    /** Whether the optimised form of backward sessions is cached ({@code EXPLAIN4J_CACHE_OPTIMISED}, default off) while the cache is on. */
    public static boolean optimised() {
        String v = setting(OPTIMISED, "EXPLAIN4J_CACHE_OPTIMISED").orElse("off").trim().toLowerCase(Locale.ROOT);
        boolean on = switch (v) {
            case "on", "true", "1", "yes" -> true;
            case "off", "false", "0", "no" -> false;
            default -> throw Explain4jException.usage("EXPLAIN4J_CACHE_OPTIMISED", "EXPLAIN4J_CACHE_OPTIMISED / -D"
                    + OPTIMISED + " is '" + v + "'; use on or off");
        };
        return on && enabled();
    }

    /** The cache's root folder. */
    public static Path root() {
        Optional<String> dir = setting(DIR, "EXPLAIN4J_CACHE_DIR");
        if (dir.isPresent()) {
            return Path.of(dir.get());
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "explain4j");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "explain4j");
    }

    private static Optional<String> setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }
}
