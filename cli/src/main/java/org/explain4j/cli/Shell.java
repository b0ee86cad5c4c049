package org.explain4j.cli;

import java.util.List;

/** Command lines the reports print for the user to run again. */
final class Shell {
    private Shell() {
    }

    /** {@code args} joined by spaces, each quoted for a POSIX shell unless it is plainly safe. */
    static String join(List<String> args) {
        return String.join(" ", args.stream()
                .map(s -> s.matches("[A-Za-z0-9_./:,=+-]+") ? s : "'" + s.replace("'", "'\\''") + "'").toList());
    }
}
