package org.explain4j.viz;

import org.explain4j.core.Attribution;

/**
 * One method's part of an {@link HtmlReport}: its picture, what the method does, what the run
 * measured (taken from the attribution) and how to reproduce it.
 *
 * @param title       the section heading, e.g. {@code Integrated gradients}
 * @param description a short description of the method, as the caller words it
 * @param figure      the picture
 * @param attribution the result shown: diagnostics, seed, target and options come from it
 * @param commandLine the exact command that reproduces the result
 */
public record MethodSection(String title, String description, Figure figure, Attribution attribution,
                            String commandLine) {
    public MethodSection {
        Checks.notNull(title, "title");
        Checks.notNull(description, "description");
        Checks.notNull(figure, "figure");
        Checks.notNull(attribution, "attribution");
        Checks.notNull(commandLine, "commandLine");
    }

    /** A section titled with the attribution's method name. */
    public static MethodSection of(Attribution attribution, String description, Figure figure, String commandLine) {
        return new MethodSection(Checks.notNull(attribution, "attribution").method(), description, figure,
                attribution, commandLine);
    }
}
