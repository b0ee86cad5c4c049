package org.explain4j.onnx.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A folder of derived artefacts keyed by a string: one file per key, named by the key's SHA-256.
 *
 * <p>Each entry holds a magic line, the full key, the payload's length and the payload's SHA-256;
 * a read that finds anything else (a truncated, garbled or foreign file, or a different key under
 * the same name) deletes the file and reports a miss, so the caller rebuilds. Writes go to a
 * temporary file in the same folder that is then renamed over the entry (atomic on POSIX file
 * systems): concurrent processes writing one key leave one complete entry, never a mix. A hit
 * touches the entry's modification time; after each write, the least recently used entries are
 * deleted until the folder's entries fit in {@code maxBytes}.
 *
 * <p>Every failure of the folder itself (not writable, full disk) is swallowed: the cache is an
 * optimisation and the caller computes the value instead.
 */
public final class DiskCache {
    static final byte[] MAGIC = "explain4j-cache 1\n".getBytes(StandardCharsets.US_ASCII);
    static final String SUFFIX = ".e4jc";
    /** Temporary files older than this were left by a killed process and are removed. */
    static final Duration STALE_TEMP = Duration.ofHours(1);

    private final Path dir;
    private final long maxBytes;

    public DiskCache(Path dir, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the cache size bound must be positive: " + maxBytes);
        }
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    public Path dir() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The file of {@code key}'s entry (whether or not it exists). */
    public Path file(String key) {
        return dir.resolve(sha256Hex(key.getBytes(StandardCharsets.UTF_8)) + SUFFIX);
    }

    /** The payload stored under {@code key}, checked against its checksum; empty on a miss or a bad entry (then deleted). */
    public Optional<byte[]> get(String key) {
        Path f = file(key);
        byte[] payload;
        // read field by field, so that only the payload is held in memory (entries can be hundreds of MB)
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                Files.newInputStream(f), 1 << 16))) {
            payload = read(in, key);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | OutOfMemoryError | RuntimeException e) {
            payload = null;
        }
        if (payload == null) {
            deleteQuietly(f);
            return Optional.empty();
        }
        try {
            Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            // read-only cache folder: the entry is still good
        }
        return Optional.of(payload);
    }

    /** The payload of an entry for {@code key}, or null when the stream is not exactly such an entry. */
    private static byte[] read(java.io.DataInputStream in, String key) throws IOException {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            return null;
        }
        if (in.readInt() != k.length || !Arrays.equals(in.readNBytes(k.length), k)) {
            return null;
        }
        long n = in.readLong();
        if (n < 0 || n > Integer.MAX_VALUE - 16) {
            return null;
        }
        byte[] sum = in.readNBytes(32);
        byte[] payload = in.readNBytes((int) n);
        if (payload.length != n || in.read() != -1) {
            return null;
        }
        return MessageDigest.isEqual(sum, sha256(payload)) ? payload : null;
    }

    /** Stores {@code payload} under {@code key} (atomically replacing any entry), then evicts down to the bound. */
    public void put(String key, byte[] payload) {
        byte[] entry = encode(key, payload);
        if (entry.length > maxBytes) {
            return;
        }
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = dir.resolve("tmp-" + UUID.randomUUID() + ".part");
            Files.write(tmp, entry);
            try {
                Files.move(tmp, file(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(key), StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            evict(file(key));
        } catch (IOException | RuntimeException e) {
            // the value is still returned to the caller; the next process derives it again
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * Stores the contents of {@code source} under {@code key} like {@link #put}, streaming them
     * (hashed in a first pass, copied in a second) instead of holding them in memory.
     */
    public void putFile(String key, Path source) {
        Path tmp = null;
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long n;
            try (java.io.InputStream in = new java.security.DigestInputStream(Files.newInputStream(source), md)) {
                n = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            if (MAGIC.length + 4 + k.length + 8 + 32 + n > maxBytes) {
                return;
            }
            Files.createDirectories(dir);
            tmp = dir.resolve("tmp-" + UUID.randomUUID() + ".part");
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
                    Files.newOutputStream(tmp), 1 << 16)); java.io.InputStream in = Files.newInputStream(source)) {
                out.write(MAGIC);
                out.writeInt(k.length);
                out.write(k);
                out.writeLong(n);
                out.write(md.digest());
                if (in.transferTo(out) != n) {
                    return;
                }
            }
            try {
                Files.move(tmp, file(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(key), StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            evict(file(key));
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            // not stored; the caller has its value
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /** Deletes every entry and temporary file; returns the bytes freed. */
    public long clear() {
        long freed = 0;
        for (Path p : list()) {
            try {
                long n = Files.size(p);
                Files.deleteIfExists(p);
                freed += n;
            } catch (IOException e) {
                // gone already or not ours to delete
            }
        }
        return freed;
    }

    /** Total bytes of the entries now in the folder. */
    public long size() {
        long n = 0;
        for (Path p : list()) {
            if (p.getFileName().toString().endsWith(SUFFIX)) {
                try {
                    n += Files.size(p);
                } catch (IOException e) {
                    // removed meanwhile
                }
            }
        }
        return n;
    }

    /** Deletes the least recently used entries (never {@code keep}) until the entries fit the bound. */
    void evict(Path keep) {
        record Entry(Path path, long size, long used) {
        }
        List<Entry> entries = new ArrayList<>();
        long total = 0;
        long now = System.currentTimeMillis();
        for (Path p : list()) {
            try {
                long used = Files.getLastModifiedTime(p).toMillis();
                String name = p.getFileName().toString();
                if (name.endsWith(".part")) {
                    if (now - used > STALE_TEMP.toMillis()) {
                        deleteQuietly(p);
                    }
                    continue;
                }
                long size = Files.size(p);
                total += size;
                entries.add(new Entry(p, size, used));
            } catch (IOException e) {
                // removed by another process meanwhile
            }
        }
        entries.sort(Comparator.comparingLong(Entry::used).thenComparing(e -> e.path().getFileName().toString()));
        for (Entry e : entries) {
            if (total <= maxBytes) {
                break;
            }
            if (!e.path().equals(keep)) {
                deleteQuietly(e.path());
                total -= e.size();
            }
        }
    }

    private List<Path> list() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.endsWith(SUFFIX) || n.startsWith("tmp-") && n.endsWith(".part");
        })) {
            s.forEach(out::add);
        } catch (IOException e) {
            // unreadable folder: nothing to evict
        }
        return out;
    }

    static byte[] encode(String key, byte[] payload) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + k.length + 8 + 32 + payload.length);
        b.put(MAGIC).putInt(k.length).put(k).putLong(payload.length).put(sha256(payload)).put(payload);
        return b.array();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256(bytes));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // another process holds or removed it
        }
    }
}
