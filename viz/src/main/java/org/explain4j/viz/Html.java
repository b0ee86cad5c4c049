package org.explain4j.viz;

/** HTML escaping for text and attribute values. */
final class Html {
    private Html() {
    }

    /** {@code text} with {@code & < > " '} replaced by entities; safe in element content and quoted attributes. */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A CSS {@code linear-gradient} through {@code map}, left to right. */
    static String gradient(ColorMap map) {
        StringBuilder b = new StringBuilder("linear-gradient(to right");
        for (int i = 0; i <= 10; i++) {
            b.append(", ").append(map.hex(i / 10.0));
        }
        return b.append(')').toString();
    }
}
