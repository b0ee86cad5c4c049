package org.explain4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TimelineTest {
    @Test
    void processStart_isJustBeforeTheJvmsStart() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "Linux only");
        long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        long fine = Timeline.fineStartMillis();
        long coarse = Timeline.coarseStartMillis();
        long start = Timeline.chosenStart(coarse, fine);
        // the fine origin is recomputed from the wall clock on every call: a later call may differ by
        // by the uptime's 10 ms resolution plus whatever delay falls between its two reads
        assertThat(Timeline.processStartMillis()).isBetween(start - 50, start + 50);
        if (fine >= 0 && Math.abs(fine - coarse) <= 1500) {
            // the process (exec'd by the launcher or the test runner) starts before the JVM inside it
            // records its own start, by a few to a few hundred milliseconds; the coarse origin (boot
            // time in whole seconds) can be up to a second early
            assertThat(start).isEqualTo(fine).isBetween(jvmStart - 900, jvmStart + 50);
        } else {
            // /proc disagrees with itself (a container's own /proc/uptime): the coarse origin
            assertThat(start).isEqualTo(coarse).isBetween(jvmStart - 1900, jvmStart + 50);
        }
    }

    @Test
    void chosenStart_takesTheFineOriginOnlyWhereBothAgree() {
        assertThat(Timeline.chosenStart(10_000, 10_230)).isEqualTo(10_230);
        assertThat(Timeline.chosenStart(10_000, 12_000)).isEqualTo(10_000); // disagree: coarse
        assertThat(Timeline.chosenStart(10_000, -1)).isEqualTo(10_000); // no /proc: coarse
        assertThat(Timeline.chosenStart(-1, 10_230)).isEqualTo(10_230); // no ProcessHandle start: fine
        assertThat(Timeline.chosenStart(-1, -1)).isEqualTo(-1);
    }

    @Test
    void minorFaults_countTheFirstTouchOfNewMemory() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "Linux only");
        long before = Timeline.minorFaults();
        ByteBuffer b = ByteBuffer.allocateDirect(64 << 20); // zeroed by the JVM: every page touched
        long after = Timeline.minorFaults();
        assertThat(b.capacity()).isEqualTo(64 << 20);
        assertThat(before).isPositive();
        // 64 MiB is 16,384 pages of 4 KiB, or at least 32 huge pages of 2 MiB
        assertThat(after - before).isGreaterThanOrEqualTo(32);
    }
}
