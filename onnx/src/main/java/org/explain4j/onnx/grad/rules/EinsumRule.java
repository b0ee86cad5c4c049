package org.explain4j.onnx.grad.rules;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Einsum (ONNX opset 12+): the gradient of operand k is itself an Einsum, of the output's gradient
 * and the other operands, whose output subscripts are operand k's ({@code "bij,bjk->bik"} gives
 * {@code "bik,bjk->bij"} for the first operand and {@code "bik,bij->bjk"} for the second).
 * Letters that only operand k has (summed away by the forward op, as in {@code "ij->i"}) cannot be
 * produced by an Einsum: the gradient is computed without them and expanded along them. An
 * ellipsis is spelt out with letters the equation does not use (right-aligned, so an operand's
 * ellipsis dimensions of size 1 that broadcast against larger ones get a letter of their own and
 * are summed over, like any broadcast); the implicit output form (no {@code ->}) is the ellipsis
 * then the letters used once, in alphabetical order. An operand with a repeated letter (a
 * diagonal, {@code "bii->bi"}) gets the gradient computed with the letter once, expanded and
 * masked to the diagonal.
 */
final class EinsumRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String equation = c.attrString("equation", "").replace(" ", "");
        int arrow = equation.indexOf("->");
        String[] terms = (arrow < 0 ? equation : equation.substring(0, arrow)).split(",", -1);
        int n = c.inputCount();
        if (terms.length != n) {
            throw c.unsupported("equation '" + equation + "' has " + terms.length + " operands for " + n + " inputs");
        }
        Deque<Character> fresh = new ArrayDeque<>();
        for (char ch : "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA".toCharArray()) {
            if (equation.indexOf(ch) < 0) {
                fresh.add(ch);
            }
        }
        long[][] shapes = new long[n][];
        int ellipsis = 0;
        for (int i = 0; i < n; i++) {
            shapes[i] = c.inputShape(i);
            if (terms[i].contains("...")) {
                ellipsis = Math.max(ellipsis, shapes[i].length - (terms[i].length() - 3));
            }
        }
        List<Character> ell = new ArrayList<>();
        for (int i = 0; i < ellipsis; i++) {
            ell.add(fresh.pop());
        }
        List<List<Character>> ops = new ArrayList<>();
        Map<Character, Long> size = new HashMap<>();
        for (int i = 0; i < n; i++) {
            List<Character> letters = spell(terms[i], shapes[i].length, ell);
            for (int d = 0; d < letters.size(); d++) {
                size.merge(letters.get(d), shapes[i][d], Math::max);
            }
            ops.add(letters);
        }
        List<Character> out = arrow >= 0 ? spell(equation.substring(arrow + 2), c.outputShape(0).length, ell) : implicit(ops, ell);
        // an operand's size-1 dimension that broadcasts gets a letter of its own (summed over)
        for (int i = 0; i < n; i++) {
            List<Character> letters = ops.get(i);
            for (int d = 0; d < letters.size(); d++) {
                if (ell.contains(letters.get(d)) && shapes[i][d] == 1 && size.get(letters.get(d)) > 1) {
                    letters.set(d, fresh.pop());
                }
            }
        }
        for (int k = 0; k < n; k++) {
            if (c.needsGrad(k)) {
                c.addGrad(k, operandGradient(c, k, ops, out, shapes[k]));
            }
        }
    }

    private static String operandGradient(RuleContext c, int k, List<List<Character>> ops, List<Character> out,
                                          long[] shape) {
        List<Character> mine = ops.get(k);
        Set<Character> available = new LinkedHashSet<>(out);
        StringBuilder eq = new StringBuilder(text(out));
        List<String> inputs = new ArrayList<>(List.of(c.grad(0)));
        for (int i = 0; i < ops.size(); i++) {
            if (i != k) {
                available.addAll(ops.get(i));
                eq.append(',').append(text(ops.get(i)));
                inputs.add(c.input(i));
            }
        }
        // the result has each available letter once, at its first position; the others are 1 and expanded
        List<Character> result = new ArrayList<>();
        long[] kept = shape.clone();
        for (int d = 0; d < mine.size(); d++) {
            char ch = mine.get(d);
            if (available.contains(ch) && !result.contains(ch)) {
                result.add(ch);
            } else {
                kept[d] = 1;
            }
        }
        eq.append("->").append(text(result));
        String g = c.op("Einsum", inputs, Attr.s("equation", eq.toString()));
        if (result.size() < mine.size()) {
            g = c.op("Expand", c.reshape(g, kept), c.longs(shape));
        }
        if (new LinkedHashSet<>(mine).size() < mine.size()) {
            g = c.op("Mul", g, diagonalMask(c, mine, shape));
        }
        return g;
    }

    /**
     * A diagonal's gradient lies on the diagonal: 1 where every repeated letter has equal indices
     * at all its positions, over the axes of repeated letters (1 elsewhere, broadcast).
     */
    private static String diagonalMask(RuleContext c, List<Character> letters, long[] shape) {
        int rank = letters.size();
        long[] dims = new long[rank];
        for (int d = 0; d < rank; d++) {
            dims[d] = letters.indexOf(letters.get(d)) != letters.lastIndexOf(letters.get(d)) ? shape[d] : 1;
        }
        int size = 1;
        for (long d : dims) {
            size = Math.multiplyExact(size, (int) d);
        }
        double[] mask = new double[size];
        int[] index = new int[rank];
        for (int flat = 0; flat < size; flat++) {
            int rest = flat;
            for (int d = rank - 1; d >= 0; d--) {
                index[d] = (int) (rest % dims[d]);
                rest /= (int) dims[d];
            }
            boolean diagonal = true;
            for (int d = 0; d < rank && diagonal; d++) {
                diagonal = dims[d] == 1 || index[d] == index[letters.indexOf(letters.get(d))];
            }
            mask[flat] = diagonal ? 1 : 0;
        }
        return c.constant(c.meta(c.output(0)).elemType(), dims, mask);
    }

    /** The letters of one term, its ellipsis spelt out by the last {@code rank - explicit} letters of {@code ell}. */
    private static List<Character> spell(String term, int rank, List<Character> ell) {
        List<Character> letters = new ArrayList<>();
        int dots = term.indexOf("...");
        String explicit = dots < 0 ? term : term.replace("...", "");
        for (int i = 0; i < term.length(); i++) {
            if (i == dots) {
                int count = rank - explicit.length();
                letters.addAll(ell.subList(ell.size() - count, ell.size()));
                i += 2;
            } else {
                letters.add(term.charAt(i));
            }
        }
        return letters;
    }

    /** The implicit output: the ellipsis, then the letters used exactly once, in alphabetical order. */
    private static List<Character> implicit(List<List<Character>> ops, List<Character> ell) {
        Map<Character, Integer> uses = new TreeMap<>();
        for (List<Character> op : ops) {
            for (char ch : op) {
                if (!ell.contains(ch)) {
                    uses.merge(ch, 1, Integer::sum);
                }
            }
        }
        List<Character> out = new ArrayList<>(ell);
        uses.forEach((ch, u) -> {
            if (u == 1) {
                out.add(ch);
            }
        });
        return out;
    }

    private static String text(List<Character> letters) {
        StringBuilder b = new StringBuilder();
        letters.forEach(b::append);
        return b.toString();
    }
}
