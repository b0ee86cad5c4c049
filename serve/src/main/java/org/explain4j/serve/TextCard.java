package org.explain4j.serve;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import org.explain4j.cli.text.TextMethods;
import org.explain4j.cli.text.TextTokenizer;
import org.explain4j.cli.text.TokenInputs;
import org.explain4j.cli.text.TokenizedText;
import org.explain4j.core.Explain4jException;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.text.TextGraphs;

/**
 * The text part of a model card: {@code "tokenizer": "FILE.json"} (a Hugging Face tokenizer.json,
 * a path relative to the models folder that must stay inside it), {@code "max_length"} (128),
 * {@code "features"} ({@code words} or {@code tokens}), {@code "reference"} ({@code mask},
 * {@code pad} or {@code delete}; default {@code mask} where the vocabulary has it) and
 * {@code "layer"} (default: the word-embedding output). The same classes as
 * {@code explain --tokenizer ... --text ...} tokenise and pick the model's token inputs, so a
 * text gives the same ids, mask, token types and references here as there.
 */
final class TextCard implements AutoCloseable {
    static final int DEFAULT_MAX_LENGTH = 128;

    final TextTokenizer tokenizer;
    final String tokenizerName;
    final TokenInputs inputs;
    /** The tensor the layer, DeepLIFT and LRP methods attribute to. */
    final String layer;
    final long pad;
    final OptionalLong maskId;
    /** {@code mask}, {@code pad} or {@code delete}: what replaces a removed word for perturbation methods. */
    final String reference;
    /** {@code words} or {@code tokens}: the perturbation methods' features. */
    final String features;
    final int maxLength;
    /** Whether the model outputs token vectors (N, T, D): a similarity model, explained on the command line only. */
    final boolean embeddingModel;

    private TextCard(TextTokenizer tokenizer, String tokenizerName, TokenInputs inputs, String layer, String reference,
                     String features, int maxLength, boolean embeddingModel) {
        this.tokenizer = tokenizer;
        this.tokenizerName = tokenizerName;
        this.inputs = inputs;
        this.layer = layer;
        this.pad = TextMethods.padId(tokenizer);
        this.maskId = TextMethods.maskId(tokenizer);
        this.reference = reference;
        this.features = features;
        this.maxLength = maxLength;
        this.embeddingModel = embeddingModel;
    }

    /** The card's text fields for model {@code modelFile} (a real path), or null when the card names no tokenizer. */
    static TextCard of(JsonNode card, String cardName, Path root, Path modelFile) {
        JsonNode t = card.get("tokenizer");
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isTextual() || t.asText().isBlank()) {
            throw cardError(cardName, "\"tokenizer\" must be the path of a tokenizer.json relative to the models folder");
        }
        Path tok = tokenizerPath(t.asText(), cardName, root);
        int maxLength = DEFAULT_MAX_LENGTH;
        JsonNode ml = card.get("max_length");
        if (ml != null && !ml.isNull()) {
            if (!ml.isIntegralNumber() || !ml.canConvertToInt() || ml.asInt() < 2) {
                throw cardError(cardName, "\"max_length\" must be an integer of at least 2 (got " + ml + ")");
            }
            maxLength = ml.asInt();
        }
        String features = choice(card, "features", List.of("words", "tokens"), "words", cardName);
        ModelProto proto = TextGraphs.parse(OnnxModel.readModel(modelFile));
        TokenInputs in;
        try {
            in = TokenInputs.of(proto);
        } catch (Explain4jException e) {
            throw cardError(cardName, "names a tokenizer, but " + ApiException.oneLine(e.getMessage())
                    .replace("; explain it with --input NAME=FILE.npy instead of --text", ""));
        }
        String layer;
        JsonNode l = card.get("layer");
        if (l != null && l.isTextual() && !l.asText().isBlank()) {
            layer = l.asText();
        } else {
            layer = TextGraphs.wordEmbedding(proto, in.ids()).orElseThrow(() -> cardError(cardName, "names a tokenizer, "
                    + "but the model has no word-embedding lookup (a Gather of an initializer by '" + in.ids()
                    + "'); give the tensor to attribute to as \"layer\""));
        }
        boolean embedding = proto.getGraph().getOutput(0).getType().getTensorType().getShape().getDimCount() == 3;
        TextTokenizer tokenizer;
        try {
            tokenizer = TextTokenizer.open(tok, maxLength);
        } catch (Explain4jException e) {
            throw cardError(cardName, "\"tokenizer\" " + t.asText() + " is not a readable Hugging Face tokenizer.json");
        }
        try {
            OptionalLong mask = TextMethods.maskId(tokenizer);
            String reference = choice(card, "reference", List.of("mask", "pad", "delete"), mask.isPresent() ? "mask" : "pad",
                    cardName);
            if (reference.equals("mask") && mask.isEmpty()) {
                throw cardError(cardName, "\"reference\" is mask, but the tokenizer has no [MASK] or <mask> token; "
                        + "use pad or delete");
            }
            return new TextCard(tokenizer, t.asText(), in, layer, reference, features, maxLength, embedding);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * {@code name} resolved against the models folder: relative, no {@code ..} segment, and its real
     * path (links followed) inside the folder's real path; a file error naming the card otherwise.
     */
    static Path tokenizerPath(String name, String cardName, Path root) {
        String n = name.replace('\\', '/');
        Path p;
        try {
            p = Path.of(name);
        } catch (InvalidPathException e) {
            throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' is not a valid path");
        }
        if (p.isAbsolute() || n.startsWith("/") || n.matches("^[A-Za-z]:.*") || n.contains("\0")) {
            throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' must be relative to the models folder, "
                    + "not absolute");
        }
        for (String seg : n.split("/")) {
            if (seg.equals("..")) {
                throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' must stay inside the models folder (no '..')");
            }
        }
        Path real;
        try {
            real = root.resolve(p).normalize().toRealPath();
        } catch (java.io.IOException e) {
            throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' is not a file in the models folder");
        }
        if (!real.startsWith(root)) {
            throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' leads outside the models folder");
        }
        if (!Files.isRegularFile(real)) {
            throw cardError(cardName, "\"tokenizer\" '" + clip(name) + "' is not a file in the models folder");
        }
        return real;
    }

    private static String choice(JsonNode card, String field, List<String> allowed, String dflt, String cardName) {
        JsonNode v = card.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        String s = v.asText("").toLowerCase(Locale.ROOT);
        if (!v.isTextual() || !allowed.contains(s)) {
            throw cardError(cardName, "\"" + field + "\" " + v + " must be one of " + String.join(", ", allowed));
        }
        return s;
    }

    private static Explain4jException cardError(String cardName, String message) {
        return Explain4jException.file("card", "the card " + cardName + ": " + message);
    }

    private static String clip(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    /** The text's tokens (the tokenizer is shared by concurrent requests). */
    synchronized TokenizedText encode(String text) {
        return tokenizer.encode(text);
    }

    /** What {@code GET /v1/models} says of it. */
    ObjectNode describe(ObjectNode o) {
        o.put("tokenizer", tokenizerName);
        o.put("max_length", maxLength);
        o.put("features", features);
        o.put("reference", reference);
        o.put("layer", layer);
        o.put("similarity", embeddingModel);
        return o;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
