package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.cache.Canonical;

/**
 * The on-disk cache key of a backward graph: everything the derivation reads. The model by its
 * file's SHA-256 (and the output and input it explains, and a relaxed fixed batch), the rules by
 * {@link RuleRegistry#fingerprint()} and the request's rule set, the in-memory {@code Key}
 * (captures, feeds, input-gradient flag, input shape, fed shapes), and every fed input's values by
 * a digest (the lowering may fold control flow on any of them). Null (no caching) for a model
 * with external data (its weights are not covered by the file's digest) or rules from outside
 * explain4j.
 */
final class DerivationKey {
    private DerivationKey() {
    }

    static String of(OnnxModel model, ModelProto proto, RuleRegistry registry, Object key, Map<String, Tensor> fed) {
        if (ExternalData.hasExternalTensors(proto)) {
            return null;
        }
        Optional<String> rules = registry.fingerprint();
        if (rules.isEmpty()) {
            return null;
        }
        return "model sha256 " + model.info().sha256() + "\noutput " + model.outputName()
                + "\nfixed batch " + model.signature().fixedBatch()
                + "\nrules " + sha256(rules.get())
                + "\nstrided conv " + org.explain4j.onnx.grad.rules.Polyphase.mode()
                + "\nkey " + Canonical.text(key)
                + "\nfed " + fedDigest(fed);
    }

    /**
     * The key of the one-row activation estimate of {@code model} at an explained row of
     * {@code shape} with these fed rows; null where {@link #of} would be null (external data).
     */
    static String rowMemory(OnnxModel model, ModelProto proto, String input, int[] shape, Map<String, Tensor> fed) {
        if (ExternalData.hasExternalTensors(proto)) {
            return null;
        }
        return "model sha256 " + model.info().sha256() + "\nfixed batch " + model.signature().fixedBatch()
                + "\ninput " + input + "\nshape " + java.util.Arrays.toString(shape) + "\nfed " + fedDigest(fed);
    }

    /** SHA-256 of one tensor's dtype, shape and values (the in-memory key of a large fed input an {@code If} is folded by). */
    static String valuesDigest(Tensor t) {
        return fedDigest(Map.of("", t));
    }

    private static String fedDigest(Map<String, Tensor> fed) {
        MessageDigest md = digest();
        for (Map.Entry<String, Tensor> e : new TreeMap<>(fed).entrySet()) {
            Tensor t = e.getValue();
            md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(t.dtype().name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            double[] v = t.toDoubleArray();
            ByteBuffer b = ByteBuffer.allocate(8 * (v.length + t.rank())).order(ByteOrder.LITTLE_ENDIAN);
            for (int d : t.shape()) {
                b.putLong(d);
            }
            for (double x : v) {
                b.putDouble(x);
            }
            md.update(b.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(String s) {
        return HexFormat.of().formatHex(digest().digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
