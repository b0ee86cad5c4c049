package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's share of the left-over defects (docs/NOTES.md, "Left-over defects, cli and serve"):
 * one {@code --threads} bound with the sessions, counts checked in a fixed order, request threads
 * told apart by name.
 */
class LeftOverDefectsServeTest {
    @TempDir
    Path tmp;

    @Test
    void threads_areCheckedByTheSessionsOwnBound_withItsMessage() {
        int over = OnnxModel.Options.maxThreads() + 1;
        String sessions = catchThrowable(() -> OnnxModel.Options.defaults().withThreads(over)).getMessage();
        ServeCommandTest.Run r = ServeCommandTest.run("serve", "--models", tmp.toString(), "--port", "0", "--threads",
                String.valueOf(over));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("explain4j: error: " + sessions);
        ServeCommandTest.Run negative = ServeCommandTest.run("serve", "--models", tmp.toString(), "--port", "0",
                "--threads", "-1");
        assertThat(negative.err()).startsWith("explain4j: error: --threads -1 must be 0");
    }

    @Test
    void counts_theFirstBadOneInTheOrderOfTheOptionsIsReported() {
        ServeCommandTest.Run r = ServeCommandTest.run("serve", "--models", tmp.toString(), "--port", "0",
                "--max-jobs", "0", "--job-deadline", "0", "--queue", "0", "--max-instances", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("explain4j: error: --max-instances 0 must be at least 1");
        ServeCommandTest.Run jobs = ServeCommandTest.run("serve", "--models", tmp.toString(), "--port", "0",
                "--max-jobs", "-3");
        assertThat(jobs.err().strip()).isEqualTo("explain4j: error: --max-jobs -3 must be at least 1");
    }

    @Test
    void requestThreads_areNumbered_eachNameItsOwn() throws Exception {
        QueuedThreadPool pool = Server.requestThreads();
        pool.start();
        try {
            int n = 3;
            Set<String> names = ConcurrentHashMap.newKeySet();
            CountDownLatch all = new CountDownLatch(n);
            CountDownLatch done = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                pool.execute(() -> {
                    names.add(Thread.currentThread().getName());
                    all.countDown();
                    try {
                        // held until every task runs: each on a thread of its own
                        all.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.countDown();
                });
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(names).hasSize(n).allMatch(s -> s.matches("explain4j-http-\\d+"), "explain4j-http-<number>");
        } finally {
            pool.stop();
        }
    }
}
