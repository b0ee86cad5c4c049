package org.explain4j.cli;

import java.io.PrintWriter;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Version;
import org.explain4j.core.catalog.MethodCatalog;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code explain4j} command. */
@Command(name = "explain4j", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Explains deep-learning models: which parts of an input drove a model's output.")
public final class Main implements Runnable {
    /**
     * The built-in commands, in the order help lists them (added by {@link #commandLine(String)},
     * not by the annotation, so that a run of one command builds only that one).
     */
    private static final java.util.Map<String, java.util.function.Supplier<Object>> COMMANDS = commands();

    private static java.util.Map<String, java.util.function.Supplier<Object>> commands() {
        java.util.Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
        m.put("attribute", AttributeCommand::new);
        m.put("explain", ExplainCommand::new);
        m.put("methods", MethodsCommand::new);
        m.put("evaluate", EvaluateCommand::new);
        m.put("metrics", MetricsCommand::new);
        m.put("demo", DemoCommand::new);
        m.put("bench", BenchCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return java.util.Collections.unmodifiableMap(m);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'explain4j attribute --help' or 'explain4j demo'");
    }

    /** Reports the library version. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"explain4j " + Version.get(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }

    /** Builds the command line with explain4j's error handling: every command, the plugins' included. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line for running {@code args}: where the first argument names a built-in command
     * (other than {@code help}), only that command is built, since picocli builds the option model of
     * every command it is given (reflection over all their options) and only one runs; otherwise
     * all of them, as {@link #commandLine()}.
     */
    static CommandLine commandLineFor(String[] args) {
        String first = args.length > 0 ? args[0] : null;
        return commandLine(first != null && !first.equals("help") && COMMANDS.containsKey(first) ? first : null);
    }

    /** The command line with only the built-in command {@code only} (no plugins), or with all of them when null. */
    static CommandLine commandLine(String only) {
        CommandLine cl = new CommandLine(new Main());
        COMMANDS.forEach((name, make) -> {
            if (only == null || only.equals(name)) {
                cl.addSubcommand(name, make.get());
            }
        });
        if (only == null) {
            for (CommandPlugin plugin : java.util.ServiceLoader.load(CommandPlugin.class)) {
                if (!cl.getSubcommands().containsKey(plugin.name())) {
                    cl.addSubcommand(plugin.name(), plugin.command());
                }
            }
        }
        if (only == null && !cl.getSubcommands().containsKey("dataset")) {
            // the Spark command lives in the spark module, on the class path only when the launcher runs it
            cl.getCommandSpec().usageMessage().footer("%nMore commands:%n  dataset    Explains every row of a CSV or "
                    + "Parquet table on Spark (module spark; ./explain4j dataset --help builds it on first use).");
        }
        if (cl.getSubcommands().containsKey("attribute")) {
            StringBuilder methods = new StringBuilder("%nMethods (explain4j methods lists their parameters):%n");
            MethodCatalog.all().forEach(m -> methods.append(String.format("  %-28s %s%%n", m.name(),
                    m.summary().replace("%", "%%"))));
            CommandLine.Model.CommandSpec attribute = cl.getSubcommands().get("attribute").getCommandSpec();
            MethodOptions.addTo(attribute);
            CommandLine.Model.UsageMessageSpec usage = attribute.usageMessage();
            String[] footer = usage.footer();
            String[] withMethods = new String[footer.length + 1];
            withMethods[0] = methods.toString();
            System.arraycopy(footer, 0, withMethods, 1, footer.length);
            usage.footer(withMethods);
        }
        if (cl.getSubcommands().containsKey("evaluate")) {
            MetricOptions.addTo(cl.getSubcommands().get("evaluate").getCommandSpec());
        }
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("explain4j: error: " + oneLine(ex.getMessage()) + " (see '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return ErrorKind.USAGE.exitCode();
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            if (ex instanceof Explain4jException e) {
                String msg = flagMessage(commandLine, e.argument(), oneLine(e.getMessage()));
                err.println("explain4j: error: " + msg);
                if (verbose) {
                    e.printStackTrace(err);
                }
                return e.kind().exitCode();
            }
            err.println("explain4j: internal error: " + oneLine(String.valueOf(ex)) + " (rerun with --verbose for details)");
            if (verbose) {
                ex.printStackTrace(err);
            }
            return ErrorKind.INTERNAL.exitCode();
        });
        return cl;
    }

    /**
     * The library names options as the catalogue does ({@code steps}); on the command line they are
     * flags ({@code --steps}). A message that starts with the option's name gets the flag there;
     * any other message is prefixed with the argument (as a flag where it is one).
     */
    static String flagMessage(CommandLine commandLine, String argument, String msg) {
        if (argument == null) {
            return msg;
        }
        String arg = argument;
        if (!arg.startsWith("-") && commandLine.getCommandSpec().findOption("--" + arg) != null) {
            arg = "--" + arg;
        }
        if (!arg.equals(argument) && msg.startsWith(argument + " ")) {
            return arg + msg.substring(argument.length());
        }
        return msg.contains(arg) ? msg : arg + ": " + msg;
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        return s.replace('\n', ' ').replace('\r', ' ').trim();
    }

    public static void main(String[] args) {
        org.explain4j.core.Timeline.mark("main");
        int[] code = {ErrorKind.INTERNAL.exitCode()};
        // ONNX Runtime on the launcher's 1 MiB main thread crashes with a long command line (NativeThreads)
        Thread t = org.explain4j.core.NativeThreads.create(() -> {
            CommandLine cl = commandLineFor(args);
            org.explain4j.core.Timeline.mark("command line built");
            code[0] = cl.execute(args);
        }, "explain4j");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        org.explain4j.core.Timeline.mark("exit");
        org.explain4j.core.Timeline.print(System.err);
        System.exit(code[0]);
    }
}
