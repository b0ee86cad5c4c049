package org.explain4j.core;

import java.time.Instant;
import org.explain4j.core.model.ModelInfo;

/**
 * Where a result came from: the model (name and SHA-256 of its file), the library and its
 * version, and when the result was made.
 */
public record Provenance(String modelName, String modelSha256, String library, String libraryVersion,
                         Instant created) {
    public Provenance {
        if (modelName == null || modelSha256 == null || library == null || libraryVersion == null || created == null) {
            throw new IllegalArgumentException("provenance fields must not be null");
        }
    }

    /** Provenance for a result computed now on {@code model}. */
    public static Provenance of(ModelInfo model) {
        return new Provenance(model.name(), model.sha256(), "explain4j", Version.get(), Instant.now());
    }
}
