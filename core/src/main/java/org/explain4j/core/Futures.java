package org.explain4j.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Waiting for work done on another thread, with its own errors. */
public final class Futures {
    private Futures() {
    }

    /**
     * {@code f}'s value once it is made; a failure is rethrown as the exception or error that the
     * work threw (unwrapped from {@link CompletionException}), so that a caller meets the same
     * message as when the work ran on its own thread.
     */
    public static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
