package org.explain4j.serve;

import org.explain4j.cli.CommandPlugin;

/** Contributes {@code explain4j serve} to the command line. */
public final class ServePlugin implements CommandPlugin {
    @Override
    public String name() {
        return "serve";
    }

    @Override
    public Object command() {
        return new ServeCommand();
    }
}
