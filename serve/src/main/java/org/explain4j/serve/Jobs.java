package org.explain4j.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;

/**
 * Explanations run as jobs on a fixed pool ({@code --max-jobs} at once, {@code --queue} waiting);
 * a synchronous {@code :explain} is a job its request waits for. A job is stopped by
 * {@link Job#cancel()} or its deadline at the next check: between instances and in the engines'
 * progress callback, which is called after every batch of model evaluations.
 */
final class Jobs implements AutoCloseable {
    enum State {
        queued, running, done, failed, cancelled
    }

    /** Thrown from the progress callback to stop a job's engine. */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped(String why) {
            super(why, null, false, false);
        }
    }

    /** What a job computes; it reports progress and checks for cancellation through the listener. */
    interface Work {
        Result run(Job job);
    }

    /**
     * A job's result: the {@code :explain} response, and per instance the input and attribution
     * (for {@code .npy} and the report).
     */
    record Result(ObjectNode response, List<Tensor> inputs, List<org.explain4j.core.Attribution> results,
                  Tensor scores) {
        /** An explanation's result. */
        Result(ObjectNode response, List<Tensor> inputs, List<org.explain4j.core.Attribution> results) {
            this(response, inputs, results, null);
        }

        /** An evaluation's result: the {@code :evaluate} response and its scores (for {@code .npy}). */
        static Result scores(ObjectNode response, Tensor scores) {
            return new Result(response, List.of(), List.of(), scores);
        }

        boolean isEvaluation() {
            return scores != null;
        }

        List<Tensor> attributions() {
            return results.stream().map(org.explain4j.core.Attribution::values).toList();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ThreadPoolExecutor pool;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final ServeConfig config;
    private final Metrics metrics;
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closing;

    Jobs(ServeConfig config, Metrics metrics) {
        this.config = config;
        this.metrics = metrics;
        // jobs call ONNX Runtime: the stack that keeps it from overflowing (NativeThreads)
        this.pool = new ThreadPoolExecutor(config.maxJobs(), config.maxJobs(), 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.queueLength())),
                org.explain4j.core.NativeThreads.numberedDaemonFactory("explain4j-job-"));
        metrics.gauge("explain4j_jobs_queued", "jobs waiting for a worker", () -> pool.getQueue().size());
        metrics.gauge("explain4j_jobs_running", "jobs running", running::get);
    }

    /** Queues {@code work}; a full queue answers 429 with Retry-After, a closing server 503. */
    Job submit(String model, Work work, AutoCloseable resource) {
        return submit(model, Kind.explain, work, resource);
    }

    /** What a job computes: explanations ({@code :explain}) or a metric's scores ({@code :evaluate}). */
    enum Kind {
        explain, evaluate
    }

    /** Queues {@code work} of the given kind; a full queue answers 429 with Retry-After, a closing server 503. */
    Job submit(String model, Kind kind, Work work, AutoCloseable resource) {
        if (closing) {
            throw new ApiException(503, "shutting_down", null, "the server is shutting down; retry on another instance",
                    5);
        }
        purge();
        Job job = new Job(UUID.randomUUID().toString(), model, kind, work, resource);
        jobs.put(job.id, job);
        try {
            pool.execute(job.task);
        } catch (RejectedExecutionException e) {
            jobs.remove(job.id);
            job.release();
            throw new ApiException(closing ? 503 : 429, closing ? "shutting_down" : "queue_full", null,
                    closing ? "the server is shutting down" : "the job queue is full (" + config.maxJobs() + " running, "
                            + config.queueLength() + " waiting; --max-jobs, --queue); retry later", 2);
        }
        return job;
    }

    Job get(String id) {
        Job j = id == null ? null : jobs.get(id);
        if (j == null) {
            throw ApiException.notFound("job", "unknown job '" + (id == null ? "" : id.replaceAll("\\p{Cntrl}", "?"))
                    + "'; it never existed or its results expired");
        }
        return j;
    }

    /** The jobs known now (running, queued, and finished ones not yet forgotten or expired). */
    java.util.List<Job> all() {
        return java.util.List.copyOf(jobs.values());
    }

    void forget(Job j) {
        jobs.remove(j.id);
    }

    int queued() {
        return pool.getQueue().size();
    }

    /** Drops finished jobs older than the retention time. */
    private void purge() {
        Instant cut = Instant.now().minus(config.jobRetention());
        jobs.values().removeIf(j -> j.finished != null && j.finished.isBefore(cut));
    }

    /**
     * Stops taking jobs, lets running jobs finish for up to {@code grace}, then cancels the rest
     * (queued ones first).
     */
    void shutdown(Duration grace) {
        closing = true;
        for (Job j : jobs.values()) {
            if (j.state == State.queued) {
                j.cancel();
            }
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                jobs.values().forEach(Job::cancel);
                pool.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /** One explanation job. */
    final class Job implements ProgressListener {
        final String id;
        final String model;
        final Kind kind;
        final Instant created = Instant.now();
        private final Work work;
        private final AtomicLong done = new AtomicLong();
        private final AtomicLong planned = new AtomicLong();
        private final CountDownLatch over = new CountDownLatch(1);
        private volatile State state = State.queued;
        private volatile boolean cancelled;
        private volatile Instant deadline;
        private volatile Result result;
        private volatile ApiException error;
        private volatile Instant finished;
        private final Runnable task = this::run;
        private AutoCloseable resource;

        Job(String id, String model, Kind kind, Work work, AutoCloseable resource) {
            this.id = id;
            this.model = model;
            this.kind = kind;
            this.work = work;
            this.resource = resource;
        }

        /** Returns the job's hold on its model (once). */
        synchronized void release() {
            AutoCloseable r = resource;
            resource = null;
            if (r != null) {
                try {
                    r.close();
                } catch (Exception e) {
                    // closing a lease does not fail
                }
            }
        }

        private void run() {
            if (cancelled) {
                finish(State.cancelled);
                return;
            }
            deadline = Instant.now().plus(config.jobDeadline());
            state = State.running;
            running.incrementAndGet();
            try {
                Result r = work.run(this);
                if (cancelled) {
                    finish(State.cancelled);
                } else {
                    result = r;
                    finish(State.done);
                }
            } catch (Stopped e) {
                if (cancelled) {
                    finish(State.cancelled);
                } else {
                    error = new ApiException(504, "deadline", "deadline", e.getMessage());
                    finish(State.failed);
                }
            } catch (ApiException e) {
                error = e;
                finish(State.failed);
            } catch (Explain4jException e) {
                error = ApiException.of(e);
                finish(State.failed);
            } catch (RuntimeException | OutOfMemoryError e) {
                error = new ApiException(500, "internal", null, "internal error: " + ApiException.oneLine(String.valueOf(e)));
                finish(State.failed);
            } finally {
                running.decrementAndGet();
            }
        }

        private void finish(State s) {
            release();
            state = s;
            finished = Instant.now();
            over.countDown();
        }

        /** Asks the job to stop; it frees its results and stops at its next check (a queued job never starts). */
        void cancel() {
            cancelled = true;
            result = null;
            if (state == State.done || state == State.failed) {
                state = State.cancelled; // its results are dropped: nothing is left to fetch
            }
            if (state == State.queued && pool.remove(task)) {
                finish(State.cancelled);
            }
        }

        /** Throws {@link Stopped} when the job was cancelled or ran past its deadline. */
        void check() {
            if (cancelled) {
                throw new Stopped("the job was cancelled");
            }
            Instant d = deadline;
            if (d != null && Instant.now().isAfter(d)) {
                throw new Stopped("the job ran past its deadline of " + config.jobDeadline().toSeconds()
                        + " s (--job-deadline) and was stopped");
            }
        }

        boolean await(long millis) throws InterruptedException {
            return over.await(millis, TimeUnit.MILLISECONDS);
        }

        State state() {
            return state;
        }

        Result result() {
            return result;
        }

        ApiException error() {
            return error;
        }

        @Override
        public void start(String task, long total) {
            planned.addAndGet(total);
            check();
        }

        @Override
        public void advance(long n) {
            done.addAndGet(n);
            metrics.evaluations(n);
            check();
        }

        @Override
        public void finish() {
        }

        /** Evaluations counted so far. */
        long done() {
            return done.get();
        }

        /**
         * Completes the count after one instance: the engines report progress only for runs of
         * several batches, so evaluations they did not report (since {@code mark}) are added here.
         */
        void account(long evaluations, long mark) {
            long unreported = evaluations - (done.get() - mark);
            if (unreported > 0) {
                done.addAndGet(unreported);
                metrics.evaluations(unreported);
            }
        }

        /** {@code GET /v1/jobs/{id}}. */
        ObjectNode describe() {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("model", model);
            o.put("kind", kind.name());
            o.put("state", state.name());
            ObjectNode p = o.putObject("progress");
            p.put("done", done.get());
            p.put("planned", Math.max(planned.get(), done.get()));
            o.put("created", created.toString());
            Result r = result;
            if (state == State.done && r != null) {
                o.set("result", r.response());
            }
            ApiException e = error;
            if (state == State.failed && e != null) {
                o.set("error", Server.errorBody(e).get("error"));
            }
            return o;
        }
    }
}
