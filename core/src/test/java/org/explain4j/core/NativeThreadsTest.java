package org.explain4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

/** The daemon thread factories of {@link NativeThreads}: daemon threads, named as asked, that run their task. */
class NativeThreadsTest {
    @Test
    void daemonFactory_makesNamedDaemonThreads_thatRunTheirTask() throws Exception {
        int[] ran = new int[1];
        Thread t = NativeThreads.daemonFactory("explain4j-test").newThread(() -> ran[0]++);
        assertThat(t.isDaemon()).isTrue();
        assertThat(t.getName()).isEqualTo("explain4j-test");
        assertThat(t.getState()).isEqualTo(Thread.State.NEW);
        t.start();
        t.join();
        assertThat(ran[0]).isEqualTo(1);
    }

    @Test
    void numberedDaemonFactory_countsFromOne_perFactory() {
        ThreadFactory f = NativeThreads.numberedDaemonFactory("explain4j-test-");
        assertThat(f.newThread(() -> { }).getName()).isEqualTo("explain4j-test-1");
        Thread second = f.newThread(() -> { });
        assertThat(second.getName()).isEqualTo("explain4j-test-2");
        assertThat(second.isDaemon()).isTrue();
        assertThat(NativeThreads.numberedDaemonFactory("explain4j-other-").newThread(() -> { }).getName())
                .isEqualTo("explain4j-other-1");
    }
}
