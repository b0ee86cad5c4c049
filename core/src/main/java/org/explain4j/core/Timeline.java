package org.explain4j.core;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Wall-clock marks of a process's phases, for performance work only: with the system property
 * {@value #PROPERTY}{@code =on} (or the environment variable {@code EXPLAIN4J_TIMELINE=on}) each
 * {@link #mark} records the time since the JVM's start, the calling thread and a label, and
 * {@link #print} writes them to standard error in time order when the command ends. Off (the
 * default), a mark is one read of a static final field.
 */
public final class Timeline {
    /** The system property that turns the marks on. */
    public static final String PROPERTY = "explain4j.timeline";

    private static final boolean ON = on(System.getProperty(PROPERTY, System.getenv("EXPLAIN4J_TIMELINE")));
    private static final long ORIGIN = System.nanoTime();
    private static final ConcurrentLinkedQueue<Mark> MARKS = new ConcurrentLinkedQueue<>();

    private record Mark(long nanos, long cpuNanos, long minorFaults, String thread, String label) {
    }

    private Timeline() {
    }

    private static boolean on(String v) {
        return v != null && (v.equalsIgnoreCase("on") || v.equalsIgnoreCase("true") || v.equals("1"));
    }

    /** Whether marks are recorded. */
    public static boolean enabled() {
        return ON;
    }

    /** Records {@code label} on the calling thread now (when enabled). */
    public static void mark(String label) {
        if (ON) {
            MARKS.add(new Mark(System.nanoTime(), java.lang.management.ManagementFactory.getThreadMXBean()
                    .getCurrentThreadCpuTime(), minorFaults(), Thread.currentThread().getName(), label));
        }
    }

    /**
     * Writes the marks so far to {@code out}: milliseconds since the process started (where known),
     * the calling thread's CPU time so far (its share of ONNX Runtime's work included where it takes
     * part), the process's minor page faults so far (Linux only, else -1), the thread and the label.
     */
    public static void print(PrintStream out) {
        if (!ON) {
            return;
        }
        long startMs = processStartMillis();
        // the process's start on the nanoTime scale of the marks
        long offsetMs = startMs < 0 ? 0 : System.currentTimeMillis() - startMs - (System.nanoTime() - ORIGIN) / 1_000_000;
        List<Mark> all = new ArrayList<>(MARKS);
        all.sort(java.util.Comparator.comparingLong(Mark::nanos));
        out.printf("timeline: class Timeline initialised at %d ms after the process started%n", offsetMs);
        for (Mark m : all) {
            out.printf("timeline: %7.1f ms  cpu %7.1f ms  minflt %7d  %-20s %s%n", offsetMs + (m.nanos - ORIGIN) / 1e6,
                    m.cpuNanos / 1e6, m.minorFaults, m.thread, m.label);
        }
    }

    /**
     * The process's start in epoch milliseconds, or -1. On Linux from the start tick in /proc/self/stat
     * and the boot instant derived from /proc/uptime (10 ms resolution): {@code ProcessHandle}'s start
     * instant adds the boot time in whole seconds, which puts the start up to a second too early (a
     * constant 0.23 s on the development machine, which read as "JVM to main 300 ms").
     */
    static long processStartMillis() {
        return chosenStart(coarseStartMillis(), fineStartMillis());
    }

    /** Which origin {@link #processStartMillis()} takes, given both (-1 where unknown). */
    static long chosenStart(long coarse, long fine) {
        // the two agree within the coarse one's whole-second rounding; where they do not (a container
        // whose /proc/uptime is its own while the start tick counts from the host's boot, or another
        // USER_HZ), the coarse one is the safer origin
        return fine >= 0 && (coarse < 0 || Math.abs(fine - coarse) <= 1500) ? fine : coarse;
    }

    /** {@code ProcessHandle}'s start instant (boot time in whole seconds), or -1. */
    static long coarseStartMillis() {
        return ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
    }

    /** The start from /proc/self/stat's start tick and /proc/uptime (10 ms resolution), or -1 off Linux. */
    static long fineStartMillis() {
        try {
            String[] f = statFields();
            String up = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime")).trim();
            double uptimeS = Double.parseDouble(up.substring(0, up.indexOf(' ')));
            long bootMs = System.currentTimeMillis() - Math.round(uptimeS * 1000);
            // field 22, starttime, in clock ticks (USER_HZ, 100 on Linux)
            return bootMs + Long.parseLong(f[19]) * 10;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The process's minor page faults so far (field 10 of /proc/self/stat), -1 where unknown. */
    static long minorFaults() {
        try {
            return Long.parseLong(statFields()[7]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The fields of /proc/self/stat after the command name, the first being field 3 (state). */
    private static String[] statFields() throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
