package org.explain4j.viz;

/**
 * Which part of an attribution a picture shows, and with which colour map.
 *
 * <ul>
 *   <li>{@link #SIGNED}: the value itself, on the diverging map (negative blue, zero neutral,
 *       positive red);</li>
 *   <li>{@link #ABSOLUTE}: {@code |v|}, on the sequential red map;</li>
 *   <li>{@link #POSITIVE}: {@code max(v, 0)}, on the sequential red map;</li>
 *   <li>{@link #NEGATIVE}: {@code max(-v, 0)}, on the sequential blue map (blue stays "negative").</li>
 * </ul>
 */
public enum SignMode {
    SIGNED("signed"),
    ABSOLUTE("absolute"),
    POSITIVE("positive"),
    NEGATIVE("negative");

    private final String label;

    SignMode(String label) {
        this.label = label;
    }

    /** The lower-case name used in captions, e.g. {@code signed}. */
    public String label() {
        return label;
    }

    /** The part of {@code v} this mode shows: {@code v}, {@code |v|}, {@code max(v,0)} or {@code max(-v,0)}. */
    public double apply(double v) {
        return switch (this) {
            case SIGNED -> v;
            case ABSOLUTE -> Math.abs(v);
            case POSITIVE -> Math.max(v, 0.0);
            case NEGATIVE -> Math.max(-v, 0.0);
        };
    }

    /** Whether the mode shows two signs (and so uses a diverging map centred on zero). */
    public boolean isDiverging() {
        return this == SIGNED;
    }

    /** The colour map this mode is drawn with. */
    public ColorMap colorMap() {
        return switch (this) {
            case SIGNED -> ColorMap.diverging();
            case ABSOLUTE, POSITIVE -> ColorMap.sequentialRed();
            case NEGATIVE -> ColorMap.sequentialBlue();
        };
    }
}
