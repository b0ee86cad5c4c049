package org.explain4j.cli.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.explain4j.core.Explain4jException;

/**
 * A Hugging Face {@code tokenizer.json} read through DJL's tokenizers (the Rust library, whose
 * native code ships inside the jar; nothing is downloaded). Encodes texts with the special tokens
 * the tokenizer's post-processor adds, truncated to a maximum length, and keeps for every token
 * its character span in the original text.
 */
public final class TextTokenizer implements AutoCloseable {
    /** The slf4j-simple level property of DJL's loggers. */
    static final String DJL_LOG_LEVEL = "org.slf4j.simpleLogger.log.ai.djl";

    static {
        // DJL logs through SLF4J; without a provider SLF4J prints three warning lines to stderr
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        // DJL's own lines (CUDA not found, library versions) would reach stderr beside explain4j's output
        // where a logging provider is present (the service jar has one): they are off unless set otherwise
        if (System.getProperty(DJL_LOG_LEVEL) == null) {
            System.setProperty(DJL_LOG_LEVEL, "off");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final int maxLength;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path file, int maxLength) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.maxLength = maxLength;
    }

    /** Opens {@code tokenizer.json}; texts are truncated to {@code maxLength} tokens, special tokens included. */
    public static TextTokenizer open(Path file, int maxLength) {
        if (file == null || !Files.isRegularFile(file)) {
            throw Explain4jException.file("--tokenizer", "--tokenizer file not found: " + file
                    + "; give a Hugging Face tokenizer.json");
        }
        if (maxLength < 2) {
            throw Explain4jException.usage("--max-length", "--max-length must be at least 2 (got " + maxLength + ")");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "true", "truncation", "true", "padding", "false",
                    "maxLength", Integer.toString(maxLength)));
            return new TextTokenizer(t, file, maxLength);
        } catch (IOException | RuntimeException e) {
            throw Explain4jException.file("--tokenizer", "--tokenizer " + file + " is not a readable Hugging Face "
                    + "tokenizer.json: " + oneLine(e.getMessage()));
        }
    }

    /** The tokenizer file. */
    public Path file() {
        return file;
    }

    /** The most tokens per text. */
    public int maxLength() {
        return maxLength;
    }

    /** Encodes one text (its token ids, type ids, special-token flags, words and spans). */
    public TokenizedText encode(String text) {
        Encoding e = tokenizer.encode(text);
        long[] ids = e.getIds();
        String[] toks = e.getTokens();
        long[] special = e.getSpecialTokenMask();
        long[] words = e.getWordIds();
        CharSpan[] spans = e.getCharTokenSpans();
        List<TokenizedText.Token> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            boolean sp = special[i] != 0;
            int start = -1;
            int end = -1;
            if (!sp && spans != null && i < spans.length && spans[i] != null) {
                // the library's spans count Unicode code points (as Python's str indices)
                start = spans[i].getStart();
                end = spans[i].getEnd();
            }
            out.add(new TokenizedText.Token(toks[i], ids[i], e.getTypeIds()[i], sp, sp ? -1 : (int) words[i], start, end));
        }
        return new TokenizedText(text, out, e.exceedMaxLength());
    }

    /** The id of {@code token} in the vocabulary, if it has one (e.g. {@code [MASK]}, {@code <pad>}). */
    public OptionalLong id(String token) {
        Encoding e = tokenizer.encode(token, false, false);
        long[] ids = e.getIds();
        String[] toks = e.getTokens();
        if (ids.length == 1 && toks[0].equals(token)) {
            return OptionalLong.of(ids[0]);
        }
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s+", " ").trim();
    }
}
