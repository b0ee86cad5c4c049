package org.explain4j.spark;

import org.explain4j.cli.CommandPlugin;

/** Contributes {@code explain4j dataset} to the command line when this module is on the class path. */
public final class DatasetPlugin implements CommandPlugin {
    @Override
    public String name() {
        return "dataset";
    }

    @Override
    public Object command() {
        return DatasetCommand.commandLine();
    }
}
