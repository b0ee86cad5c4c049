package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.explain4j.cli.Inputs;
import org.explain4j.cli.TokenIds;
import org.explain4j.cli.text.TokenBatch;
import org.explain4j.cli.text.TokenizedText;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.InputSpec;
import org.explain4j.core.model.ModelSignature;

/**
 * Turns the {@code instances} of a request into the model's input: a nested numeric array of one
 * example's shape; {@code {"b64", "format": png|jpeg|npy|csv}} decoded by the command line's readers
 * with the card's preprocessing; {@code {"inputs": {NAME: ...}}} for a model with several inputs; or
 * {@code {"text": ...}} for a model whose card names a tokenizer.
 * Each becomes a batch of one example.
 */
final class Instances {
    private Instances() {
    }

    /**
     * One instance: the explained input (batch of 1) and the other inputs, fed as given; for a
     * {@code {"text": ...}} instance the token ids, the mask and token types, and the tokens.
     */
    record Instance(Tensor explained, Map<String, Tensor> fed, TokenizedText text) {
        Instance(Tensor explained, Map<String, Tensor> fed) {
            this(explained, fed, null);
        }
    }

    static List<Instance> parse(JsonNode body, ModelStore.Served model, int maxInstances, Path tmp) {
        JsonNode list = body.get("instances");
        if (list == null || !list.isArray()) {
            throw ApiException.badRequest("instances", "the body needs \"instances\": a list of inputs, e.g. "
                    + "{\"instances\": [[...]]}");
        }
        if (list.isEmpty()) {
            throw ApiException.badRequest("instances", "\"instances\" is empty; give at least one input");
        }
        if (list.size() > maxInstances) {
            throw new ApiException(413, "too_many_instances", "instances", "the request has " + list.size()
                    + " instances but the server takes at most " + maxInstances + " per request (--max-instances); "
                    + "split it, or post a job");
        }
        List<Instance> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(one(list.get(i), "instances[" + i + "]", model, tmp));
        }
        return out;
    }

    private static Instance one(JsonNode n, String arg, ModelStore.Served model, Path tmp) {
        Instance in = parsed(n, arg, model, tmp);
        // token ids as the command line checks them: a negative id where the input feeds a Gather (read
        // from the end of the table: a silently wrong embedding), or one past the embedding table
        String where = in.text() != null ? arg + ".text" : arg;
        org.explain4j.onnx.OnnxModel onnx = model.model.onnx();
        if (in.explained() != null) {
            TokenIds.check(onnx, model.model.signature().inputName(), in.explained(), where);
        }
        TokenIds.checkAll(onnx, in.fed(), name -> in.text() != null ? where : arg + ".inputs." + name);
        return in;
    }

    private static Instance parsed(JsonNode n, String arg, ModelStore.Served model, Path tmp) {
        ModelSignature sig = model.model.signature();
        if (n.isObject() && n.has("text")) {
            return text(n, arg, model);
        }
        if (n.isObject() && n.has("inputs")) {
            JsonNode ins = n.get("inputs");
            if (!ins.isObject()) {
                throw ApiException.badRequest(arg, arg + ".inputs must be an object of input name to value");
            }
            Map<String, Tensor> fed = new LinkedHashMap<>();
            Tensor explained = null;
            for (Iterator<String> it = ins.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                InputSpec spec = sig.input(name).orElseThrow(() -> ApiException.badRequest(arg, arg + ".inputs names '"
                        + name + "', which the model does not have; its inputs are "
                        + sig.inputs().stream().map(InputSpec::name).toList()));
                Tensor t = value(ins.get(name), arg + ".inputs." + name, spec.type(),
                        Arrays.copyOfRange(spec.shape(), 1, spec.shape().length), model, sig, tmp);
                if (name.equals(sig.inputName())) {
                    explained = t;
                } else {
                    fed.put(name, t);
                }
            }
            for (InputSpec s : sig.inputs()) {
                if (!ins.has(s.name())) {
                    throw ApiException.badRequest(arg, arg + ".inputs lacks the model's input '" + s.name()
                            + "'; give every input: " + sig.inputs().stream().map(InputSpec::name).toList());
                }
            }
            return new Instance(explained, fed);
        }
        if (sig.inputs().size() > 1) {
            throw ApiException.badRequest(arg, "the model has " + sig.inputs().size() + " inputs; give " + arg
                    + " as {\"inputs\": {NAME: value, ...}} with " + sig.inputs().stream().map(InputSpec::name).toList());
        }
        return new Instance(value(n, arg, sig.inputType(), sig.exampleShape(), model, sig, tmp), Map.of());
    }

    private static Tensor value(JsonNode n, String arg, DType type, int[] example, ModelStore.Served model,
                                ModelSignature sig, Path tmp) {
        Tensor t;
        if (n.isObject() && n.has("b64")) {
            t = decoded(n, arg, type, example, model, sig, tmp);
        } else if (n.isArray() || n.isNumber()) {
            t = nested(n, arg, type);
        } else {
            throw ApiException.badRequest(arg, arg + " must be a nested array of numbers of the model's input shape "
                    + shape(example) + ", or {\"b64\": ..., \"format\": \"png|jpeg|npy|csv\"}");
        }
        int[] s = t.shape();
        if (s.length == example.length + 1 && s[0] == 1) {
            s = Arrays.copyOfRange(s, 1, s.length);
        } else if (s.length == example.length + 1) {
            throw Explain4jException.shape(arg, arg + " holds " + s[0] + " examples; give one example per instance");
        } else if (s.length != example.length) {
            throw Explain4jException.shape(arg, arg + " has shape " + shape(s) + " but the model takes examples of shape "
                    + shape(example) + " (one example, without the batch axis)");
        }
        for (int i = 0; i < example.length; i++) {
            if (example[i] >= 0 && s[i] != example[i]) {
                throw Explain4jException.shape(arg, arg + " has shape " + shape(s) + " but the model takes examples of "
                        + "shape " + shape(example) + " (one example, without the batch axis)");
            }
        }
        int[] batched = new int[s.length + 1];
        batched[0] = 1;
        System.arraycopy(s, 0, batched, 1, s.length);
        t = t.reshape(batched);
        if (t.dtype() != type) {
            if (type.isFloating() && t.dtype().isFloating()) {
                t = t.to(type);
            } else {
                throw Explain4jException.dtype(arg, arg + " holds " + t.dtype().label() + " values but the model's input "
                        + "takes " + type.label());
            }
        }
        if (t.dtype().isFloating()) {
            for (int i = 0; i < t.size(); i++) {
                if (!Double.isFinite(t.getDouble(i))) {
                    throw new Explain4jException(org.explain4j.core.ErrorKind.NON_FINITE, arg, arg + " holds a NaN or "
                            + "infinite value at element " + i + "; give finite numbers");
                }
            }
        }
        return t;
    }

    /** A nested JSON array as a tensor of {@code type}; rectangular, numbers only. */
    static Tensor nested(JsonNode n, String arg, DType type) {
        List<Integer> dims = new ArrayList<>();
        JsonNode cur = n;
        while (cur.isArray()) {
            if (cur.isEmpty()) {
                throw Explain4jException.shape(arg, arg + " has an empty array; give one example of the model's input shape");
            }
            dims.add(cur.size());
            cur = cur.get(0);
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long size = Tensor.sizeOf(shape);
        double[] values = new double[(int) size];
        long[] longs = type.isFloating() ? null : new long[(int) size];
        int[] at = {0};
        fill(n, 0, shape, arg, values, longs, at);
        return switch (type) {
            case FLOAT32 -> Tensor.ofDoublesAsFloats(values, shape);
            case FLOAT64 -> Tensor.ofDoubles(values, shape);
            case INT64 -> Tensor.ofLongs(longs, shape);
            case INT32 -> Tensor.ofInt32(longs, shape);
            default -> throw Explain4jException.dtype(arg, "the model's input takes " + type.label()
                    + ", which instances cannot give as JSON numbers; send it as {\"b64\": ..., \"format\": \"npy\"}");
        };
    }

    private static void fill(JsonNode n, int depth, int[] shape, String arg, double[] values, long[] longs, int[] at) {
        if (depth == shape.length) {
            if (!n.isNumber()) {
                throw Explain4jException.dtype(arg, arg + " holds " + (n.isTextual() ? "the text " + clip(n.toString())
                        : n.getNodeType().name().toLowerCase(Locale.ROOT)) + " where a number belongs; give numbers only");
            }
            if (longs != null) {
                if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                    throw Explain4jException.dtype(arg, arg + " holds " + n + " but the model's input takes integers");
                }
                longs[at[0]] = n.asLong();
            }
            values[at[0]++] = n.asDouble();
            return;
        }
        if (!n.isArray() || n.size() != shape[depth]) {
            throw Explain4jException.shape(arg, arg + " is ragged: at depth " + depth + " an element has "
                    + (n.isArray() ? n.size() + " entries" : "no array") + " where " + shape[depth] + " belong");
        }
        for (JsonNode c : n) {
            fill(c, depth + 1, shape, arg, values, longs, at);
        }
    }

    private static Tensor decoded(JsonNode n, String arg, DType type, int[] example, ModelStore.Served model,
                                  ModelSignature sig, Path tmp) {
        String format = n.path("format").asText("").toLowerCase(Locale.ROOT);
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(n.get("b64").asText(""));
        } catch (IllegalArgumentException e) {
            throw Explain4jException.file(arg, arg + ".b64 is not valid base64: " + ApiException.oneLine(e.getMessage()));
        }
        if (format.equals("npy")) {
            try {
                return Npy.read(new ByteArrayInputStream(bytes), arg);
            } catch (IOException e) {
                throw Explain4jException.file(arg, arg + " is not a readable .npy file: " + ApiException.oneLine(e.getMessage()));
            }
        }
        String suffix = switch (format) {
            case "png" -> ".png";
            case "jpeg", "jpg" -> ".jpg";
            case "csv" -> ".csv";
            default -> throw ApiException.badRequest(arg, arg + ".format '" + clip(format) + "' must be png, jpeg, npy or "
                    + "csv");
        };
        Path f = null;
        try {
            f = Files.createTempFile(tmp, "instance", suffix);
            Files.write(f, bytes);
            JsonNode card = model.card;
            JsonNode pre = card.has("preprocessing") ? card.get("preprocessing") : card;
            ModelSignature s = sig;
            if (!Arrays.equals(example, sig.exampleShape())) {
                throw ApiException.badRequest(arg, arg + ": files are decoded for the explained input only");
            }
            return Inputs.read(f, s, pre);
        } catch (IOException e) {
            throw new ApiException(500, "internal", arg, "cannot stage " + arg + " for decoding: " + e.getMessage());
        } catch (Explain4jException e) {
            String where = f == null ? "" : f.toString();
            String msg = ApiException.oneLine(e.getMessage()).replace(where, arg).replace("--input file", arg)
                    .replace("--input ", "").replace("--input", arg);
            throw new Explain4jException(e.kind(), arg, msg);
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // a temporary file left in the server's own folder
                }
            }
        }
    }

    /** {@code {"text": "..."}}: tokenised with the card's tokenizer, as {@code explain --tokenizer --text} does. */
    private static Instance text(JsonNode n, String arg, ModelStore.Served model) {
        TextCard card = model.text;
        if (card == null) {
            throw ApiException.badRequest(arg, arg + " is text, but the card of model '" + model.name + "' names no "
                    + "tokenizer; add \"tokenizer\": \"FILE.json\" (a Hugging Face tokenizer.json in the models folder) "
                    + "to " + model.name + ".json, or send the token ids as numbers");
        }
        if (card.embeddingModel) {
            throw Explain4jException.unsupported(arg, arg + " is text for model '" + model.name + "', which outputs token "
                    + "vectors (a similarity model); the service explains text classifiers only: use explain4j explain "
                    + "--tokenizer ... --text ... --similar-to ... for similarities");
        }
        JsonNode t = n.get("text");
        if (!t.isTextual()) {
            throw ApiException.badRequest(arg, arg + ".text must be a string");
        }
        if (t.asText().isBlank()) {
            throw ApiException.badRequest(arg, arg + ".text is empty; give a text with words");
        }
        for (java.util.Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("text")) {
                throw ApiException.badRequest(arg, arg + " has '" + clip(k) + "' beside \"text\"; a text instance is "
                        + "{\"text\": \"...\"} (the card's tokenizer gives the ids, mask and token types)");
            }
        }
        TokenizedText tt = card.encode(t.asText());
        TokenBatch b = TokenBatch.of(List.of(tt), card.pad);
        return new Instance(b.ids(), b.fed(card.inputs), tt);
    }

    static String shape(int[] s) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.length; i++) {
            b.append(i > 0 ? ", " : "").append(s[i] < 0 ? "?" : String.valueOf(s[i]));
        }
        return b.append(")").toString();
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
