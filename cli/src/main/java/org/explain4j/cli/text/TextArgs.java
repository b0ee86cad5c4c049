package org.explain4j.cli.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code explain}'s options for raw text (a picocli mixin): tokenizer, texts, similarity, perturbation baseline. */
public final class TextArgs {
    @Option(names = "--tokenizer", paramLabel = "tokenizer.json", description = "Hugging Face tokenizer.json: explain "
            + "raw text (--text, --text-file) instead of --input.")
    public Path tokenizer;

    @Option(names = "--text", paramLabel = "TEXT", description = "A text to explain (repeatable: one example each).")
    public List<String> texts = new ArrayList<>();

    @Option(names = "--text-file", paramLabel = "FILE", description = "Texts to explain, one example a line (UTF-8).")
    public Path textFile;

    @Option(names = "--max-length", paramLabel = "N", description = "Most tokens per text, special tokens included; "
            + "longer texts are truncated (default ${DEFAULT-VALUE}).")
    public int maxLength = 128;

    @Option(names = "--similar-to", paramLabel = "TEXT", description = "Embedding models: explain why each text is "
            + "close to this one (cosine of the pooled embeddings), attributing to the tokens of both.")
    public String similarTo;

    @Option(names = "--pooling", paramLabel = "P", description = "How an embedding model's token vectors become one: "
            + "mean (masked mean, sentence-transformers' default) or cls (the first token); default: the card's "
            + "\"pooling\", else mean.")
    public String pooling;

    @Option(names = "--token-baseline", paramLabel = "B", description = "What perturbation methods put in place of a "
            + "token: mask ([MASK], default where the vocabulary has it), pad, or delete (the text without it).")
    public String tokenBaseline;

    @Option(names = "--features", paramLabel = "G", description = "Perturbation features: words (sub-word pieces of "
            + "a word together, default) or tokens.")
    public String features = "words";

    /** Whether raw text was asked for. */
    public boolean active() {
        return tokenizer != null || !texts.isEmpty() || textFile != null || similarTo != null;
    }
}
