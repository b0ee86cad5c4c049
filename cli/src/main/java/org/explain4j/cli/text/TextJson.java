package org.explain4j.cli.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;

/**
 * {@code text.json}: per explained text its tokens (piece, id, special, word, spans in code points
 * and UTF-16 units, the covered text), its words, the model's output, every method's per-token and
 * per-word values, and the first row of the attention rollout.
 */
public final class TextJson {
    private TextJson() {
    }

    /**
     * Writes {@code file}; {@code header} holds the top-level fields (model, tokenizer, target, ...),
     * {@code outputs}/{@code outputValues} the output per example of side A (side B explains the same
     * outputs).
     */
    public static void write(Path file, Map<String, String> header, List<TextSide> sides, List<TextResult> results,
                             Map<String, List<AttentionRollout.Result>> rollouts, List<String> outputs,
                             double[] outputValues) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("format", "explain4j.text");
        root.put("version", 1);
        header.forEach(root::put);
        root.put("offsets", "start/end: Unicode code points of the original text (Python str indices); "
                + "start_utf16/end_utf16: UTF-16 code units (Java, JavaScript); -1 for special tokens");
        root.put("token_values", "layer methods: summed over the hidden size; perturbation methods: the group's "
                + "value split evenly over its tokens");
        ArrayNode ex = root.putArray("examples");
        for (TextSide s : sides) {
            for (int n = 0; n < s.texts().size(); n++) {
                TokenizedText tt = s.texts().get(n);
                ObjectNode e = ex.addObject();
                e.put("side", s.name());
                e.put("example", n);
                e.put("text", tt.text());
                e.put("output", outputs.get(n));
                e.put("output_value", outputValues[n]);
                e.put("truncated", tt.truncated());
                ArrayNode toks = e.putArray("tokens");
                for (int j = 0; j < tt.size(); j++) {
                    TokenizedText.Token k = tt.tokens().get(j);
                    ObjectNode o = toks.addObject();
                    o.put("token", k.piece());
                    o.put("id", k.id());
                    o.put("special", k.special());
                    o.put("word", k.special() ? -1 : tt.wordOfToken()[j]);
                    o.put("start", k.start());
                    o.put("end", k.end());
                    o.put("start_utf16", tt.utf16Start(j));
                    o.put("end_utf16", tt.utf16End(j));
                    o.put("text", tt.surface(j));
                }
                ArrayNode ws = e.putArray("words");
                for (TokenizedText.Word w : tt.words()) {
                    ObjectNode o = ws.addObject();
                    o.put("text", tt.surface(w));
                    o.put("start", w.start());
                    o.put("end", w.end());
                    o.put("first_token", w.firstToken());
                    o.put("token_count", w.tokenCount());
                }
                ObjectNode ms = e.putObject("methods");
                for (TextResult r : results) {
                    ObjectNode m = ms.putObject(r.method());
                    double[] tv = r.tokens().get(s.tag()).get(n);
                    ArrayNode ta = m.putArray("tokens");
                    for (double v : tv) {
                        ta.add(v);
                    }
                    ArrayNode wa = m.putArray("words");
                    for (double v : r.words().get(s.tag()).get(n)) {
                        wa.add(v);
                    }
                }
                List<AttentionRollout.Result> ro = rollouts.get(s.tag());
                if (ro != null && n < ro.size()) {
                    ArrayNode first = e.putArray("attention_rollout_first_token");
                    for (double v : ro.get(n).last()[0]) {
                        first.add(v);
                    }
                }
            }
        }
        try {
            json.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw Explain4jException.file("--out", "--out: " + file + " cannot be written: " + e.getMessage());
        }
    }
}
