package org.explain4j.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory, from /proc/self/status (Linux). */
final class Memory {
    private Memory() {
    }

    /** Heap in use after a full collection (twice, to let finalizable objects go). */
    static long heapAfterGc() {
        Runtime r = Runtime.getRuntime();
        System.gc();
        System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status: " + e.getMessage(), e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
