package org.explain4j.onnx.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries, checksums, atomic replacement under concurrent writers, and the size bound. */
class DiskCacheTest {
    @TempDir
    Path tmp;

    private static byte[] payload(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putThenGet_returnsThePayload_andAnotherKeyMisses() {
        DiskCache c = new DiskCache(tmp, 1 << 20);
        byte[] p = payload(1000, 1);
        c.put("k1", p);
        assertThat(c.get("k1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(p));
        assertThat(c.get("k2")).isEmpty();
    }

    @Test
    void truncatedEntry_isAMiss_deleted_andRebuiltOnThenextPut() throws IOException {
        DiskCache c = new DiskCache(tmp, 1 << 20);
        byte[] p = payload(5000, 2);
        c.put("k", p);
        Path f = c.file("k");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 1));
        assertThat(c.get("k")).as("a truncated entry").isEmpty();
        assertThat(f).doesNotExist();
        c.put("k", p);
        assertThat(c.get("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(p));
    }

    @Test
    void garbledPayloadByte_failsTheChecksum() throws IOException {
        DiskCache c = new DiskCache(tmp, 1 << 20);
        byte[] p = payload(5000, 3);
        c.put("k", p);
        Path f = c.file("k");
        byte[] all = Files.readAllBytes(f);
        all[all.length - 100] ^= 0x10;
        Files.write(f, all);
        assertThat(c.get("k")).as("one flipped bit in the payload").isEmpty();
        // and a file with the right name holding another key's entry is not trusted either
        Files.write(f, DiskCache.encode("other", p));
        assertThat(c.get("k")).isEmpty();
        Files.writeString(f, "not a cache entry");
        assertThat(c.get("k")).isEmpty();
    }

    @Test
    void manyThreadsWritingAndReadingOneKey_leaveOneValidEntry() throws Exception {
        DiskCache c = new DiskCache(tmp, 64L << 20);
        byte[] p = payload(2 << 20, 4);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                fs.add(pool.submit(() -> {
                    c.put("same", p);
                    // a reader sees either nothing or the whole payload, never a part of one
                    return c.get("same").map(v -> Arrays.equals(v, p)).orElse(true);
                }));
            }
            for (Future<Boolean> f : fs) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(c.get("same")).hasValueSatisfying(v -> assertThat(v).isEqualTo(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(x -> x.getFileName().toString()).toList()).as("one entry, no temporary file left")
                    .containsExactly(c.file("same").getFileName().toString());
        }
    }

    @Test
    void twoProcessesWritingOneKey_leaveOneValidEntry() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ps.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Writer.class.getName(),
                    tmp.toString()).redirectErrorStream(true).start());
        }
        for (Process p : ps) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as("writer output: " + out).isZero();
            assertThat(out).contains("ok");
        }
        DiskCache c = new DiskCache(tmp, 64L << 20);
        assertThat(c.get(Writer.KEY)).hasValueSatisfying(v -> assertThat(v).isEqualTo(Writer.PAYLOAD));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }

    /** The other process of {@link #twoProcessesWritingOneKey_leaveOneValidEntry}: writes and reads one key 20 times. */
    public static final class Writer {
        static final String KEY = "shared key";
        static final byte[] PAYLOAD = payload(3 << 20, 5);

        public static void main(String[] args) {
            DiskCache c = new DiskCache(Path.of(args[0]), 64L << 20);
            for (int i = 0; i < 20; i++) {
                c.put(KEY, PAYLOAD);
                if (c.get(KEY).map(v -> !Arrays.equals(v, PAYLOAD)).orElse(false)) {
                    System.out.println("read a wrong payload");
                    System.exit(1);
                }
            }
            System.out.println("ok");
        }
    }

    @Test
    void overTheBound_theLeastRecentlyUsedEntriesGo() throws IOException {
        byte[] p = payload(40_000, 6);
        long entry = DiskCache.encode("a", p).length;
        DiskCache c = new DiskCache(tmp, 3 * entry + 10);
        c.put("a", p);
        c.put("b", p);
        c.put("c", p);
        // a, b, c at distinct times, a oldest; then a is used, so b is the least recently used
        Files.setLastModifiedTime(c.file("a"), FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(c.file("b"), FileTime.fromMillis(2_000_000));
        Files.setLastModifiedTime(c.file("c"), FileTime.fromMillis(3_000_000));
        assertThat(c.get("a")).isPresent();
        c.put("d", p);
        assertThat(c.file("b")).as("least recently used").doesNotExist();
        assertThat(c.file("a")).exists();
        assertThat(c.file("c")).exists();
        assertThat(c.file("d")).exists();
        assertThat(c.size()).isLessThanOrEqualTo(c.maxBytes());
        // an entry larger than the whole bound is not stored and evicts nothing
        c.put("huge", payload((int) (4 * entry), 7));
        assertThat(c.file("huge")).doesNotExist();
        assertThat(c.file("d")).exists();
        assertThat(c.clear()).isEqualTo(3 * entry);
        assertThat(c.size()).isZero();
    }

    @Test
    void versionsArePartOfTheKey() {
        assertThat(BackwardGraphCache.fullKey("k", "explain4j 1; onnxruntime 1.29.0"))
                .isNotEqualTo(BackwardGraphCache.fullKey("k", "explain4j 2; onnxruntime 1.29.0"))
                .isNotEqualTo(BackwardGraphCache.fullKey("k", "explain4j 1; onnxruntime 1.30.0"));
        DiskCache c = new DiskCache(tmp, 1 << 20);
        c.put(BackwardGraphCache.fullKey("k", "explain4j 1"), new byte[] {1, 2, 3});
        assertThat(c.get(BackwardGraphCache.fullKey("k", "explain4j 2"))).as("another version misses").isEmpty();
        assertThat(BackwardGraphCache.versions()).contains(org.explain4j.core.Version.get()).contains("1.29.0");
    }

    @Test
    void putFile_storesTheFileStreamed_readBackEqual_andCorruptionStillDetected() throws IOException {
        DiskCache c = new DiskCache(tmp.resolve("c"), 16L << 20);
        byte[] p = payload(3 << 20, 8);
        Path src = tmp.resolve("src.bin");
        Files.write(src, p);
        c.putFile("f", src);
        assertThat(Files.readAllBytes(c.file("f"))).as("same layout as put").isEqualTo(DiskCache.encode("f", p));
        assertThat(c.get("f")).hasValueSatisfying(v -> assertThat(v).isEqualTo(p));
        byte[] all = Files.readAllBytes(c.file("f"));
        all[all.length - 7] ^= 0x40;
        Files.write(c.file("f"), all);
        assertThat(c.get("f")).isEmpty();
        assertThat(src).as("the source is left alone").exists();
    }
}
