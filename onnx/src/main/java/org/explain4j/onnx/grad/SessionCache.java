package org.explain4j.onnx.grad;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The compiled backward sessions of every {@link OnnxDifferentiableModel} of the process, least
 * recently used first, with a budget of bytes: when a new session would take the total over the
 * budget, the least recently used sessions that no call is running are closed (their model
 * compiles them again when a later call needs them). A session in use is never closed under a
 * call; it counts until it is released, so the total may exceed the budget by the sessions in use.
 *
 * <p>The budget is unbounded unless set: with {@link #budget(long)} (the service's
 * {@code --session-memory}) or the system property {@value #PROPERTY} (e.g. {@code 512m}).
 * A session's size is estimated as twice its backward model's serialized size (the model kept
 * for inspection plus ONNX Runtime's copy of its weights); activation memory, which ONNX Runtime
 * allocates per run, is not counted.
 */
public final class SessionCache {
    /** System property with the budget (a size such as {@code 512m}), read when the cache is first used. */
    public static final String PROPERTY = "explain4j.sessionMemory";
    private static final SessionCache GLOBAL = new SessionCache(initialBudget());

    private final LinkedHashMap<OnnxDifferentiableModel.Compiled, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);
    private long budget;
    private long held;
    private long evictions;

    SessionCache(long budget) {
        this.budget = budget;
    }

    /** The process's cache. */
    public static SessionCache global() {
        return GLOBAL;
    }

    private static long initialBudget() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? Long.MAX_VALUE
                : org.explain4j.core.engine.MemoryBudget.parse(p, PROPERTY);
    }

    /** Sets the budget in bytes and closes idle sessions over it. */
    public void budget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a session budget is not negative: " + bytes);
        }
        List<OnnxDifferentiableModel.Compiled> closing;
        synchronized (this) {
            budget = bytes;
            closing = evictOverBudget();
        }
        closing.forEach(OnnxDifferentiableModel.Compiled::closeSession);
    }

    /** The budget in bytes ({@link Long#MAX_VALUE}: unbounded). */
    public synchronized long budget() {
        return budget;
    }

    /** The estimated bytes of the sessions held now. */
    public synchronized long heldBytes() {
        return held;
    }

    /** Sessions held now. */
    public synchronized int size() {
        return lru.size();
    }

    /** Sessions closed to stay within the budget so far. */
    public synchronized long evictions() {
        return evictions;
    }

    /**
     * Marks {@code c} in use (adding it when new), most recently used; false when it was closed
     * (evicted) before it could be taken, and the caller must compile again.
     */
    synchronized boolean acquire(OnnxDifferentiableModel.Compiled c) {
        if (c.evicted) {
            return false;
        }
        c.users++;
        if (lru.put(c, Boolean.TRUE) == null) {
            held += c.bytes;
        }
        return true;
    }

    /** Returns a session taken by {@link #acquire}; closes what is over the budget and idle. */
    void release(OnnxDifferentiableModel.Compiled c) {
        List<OnnxDifferentiableModel.Compiled> closing;
        synchronized (this) {
            c.users--;
            closing = evictOverBudget();
            if (c.evicted && c.users == 0 && !closing.contains(c)) {
                closing.add(c);
            }
        }
        closing.forEach(OnnxDifferentiableModel.Compiled::closeSession);
    }

    /** Removes {@code c} (its model is closing); returns true when nobody uses it, so the caller closes it now. */
    synchronized boolean remove(OnnxDifferentiableModel.Compiled c) {
        if (lru.remove(c) != null) {
            held -= c.bytes;
        }
        c.evicted = true;
        return c.users == 0;
    }

    private List<OnnxDifferentiableModel.Compiled> evictOverBudget() {
        List<OnnxDifferentiableModel.Compiled> closing = new ArrayList<>();
        if (held <= budget) {
            return closing;
        }
        var it = lru.keySet().iterator();
        while (held > budget && it.hasNext()) {
            OnnxDifferentiableModel.Compiled c = it.next();
            if (c.users > 0) {
                continue;
            }
            it.remove();
            held -= c.bytes;
            c.evicted = true;
            evictions++;
            c.owner.forget(c);
            closing.add(c);
        }
        return closing;
    }
}
