package org.explain4j.cli;

/**
 * A subcommand contributed by a module that depends on the command line (the service, the Spark
 * module) rather than the other way round. Implementations are found with
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/org.explain4j.cli.CommandPlugin}
 * entry), so a module on the class path adds its command to {@code explain4j} and the command-line
 * module never depends on it.
 */
public interface CommandPlugin {
    /** The subcommand's name, e.g. {@code serve}. */
    String name();

    /** A new picocli command object ({@code @Command}-annotated) for one command line. */
    Object command();
}
