package org.explain4j.viz;

/** Whether each image gets its own colour scale or a set of images shares one. */
public enum ScaleSharing {
    /** Each image is scaled to its own clipped maximum: best contrast, not comparable across images. */
    PER_IMAGE("per-image"),
    /** One scale over the whole set: colours mean the same value in every image of the set. */
    SHARED("shared");

    private final String label;

    ScaleSharing(String label) {
        this.label = label;
    }

    /** The name used in captions, e.g. {@code per-image}. */
    public String label() {
        return label;
    }
}
