package org.explain4j.core;

/**
 * Threads that call ONNX Runtime. On a thread with a small stack ONNX Runtime can die with SIGSEGV
 * and no JVM error report: measured with the launcher's 1 MiB main thread once the process's command
 * line held a few kilobytes (1000 characters ran, 4000 crashed; 8 MiB crashed at 40 000, 16 MiB ran at
 * 60 000), and with Spark's long class path (docs/NOTES.md, "Spark" and "Integration of the third
 * session's branches"). Every thread explain4j starts that may call ONNX Runtime gets this stack;
 * it is reserved address space, committed only as used.
 */
public final class NativeThreads {
    /** The stack of a thread that may call ONNX Runtime. */
    public static final long STACK_BYTES = 256L << 20;

    private NativeThreads() {
    }

    /** A new (not started) thread named {@code name} with {@link #STACK_BYTES} of stack. */
    public static Thread create(Runnable r, String name) {
        return new Thread(null, r, name, STACK_BYTES);
    }

    /**
     * A factory of daemon threads named {@code name} with {@link #STACK_BYTES} of stack (helpers and
     * pools whose threads must not keep the process alive); {@code newThread} also makes a one-off.
     */
    public static java.util.concurrent.ThreadFactory daemonFactory(String name) {
        return r -> daemon(r, name);
    }

    /** Like {@link #daemonFactory(String)}, the threads named {@code prefix} followed by 1, 2, ... in the order made. */
    public static java.util.concurrent.ThreadFactory numberedDaemonFactory(String prefix) {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        return r -> daemon(r, prefix + made.incrementAndGet());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = create(r, name);
        t.setDaemon(true);
        return t;
    }
}
