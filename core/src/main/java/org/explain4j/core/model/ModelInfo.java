package org.explain4j.core.model;

/**
 * Identifies a model in an attribution's provenance.
 *
 * @param name   a human-readable name (a file name, or a description of a Java function)
 * @param sha256 the SHA-256 of the model file in hex, or {@code "none"} where there is no file
 */
public record ModelInfo(String name, String sha256) {
    public ModelInfo {
        if (name == null || sha256 == null) {
            throw new IllegalArgumentException("name and sha256 are required");
        }
    }
}
