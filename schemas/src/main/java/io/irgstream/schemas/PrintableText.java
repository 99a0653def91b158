package io.irgstream.schemas;

/**
 * Text from users (prompts, reasons, error messages that quote them) made safe to print on one line of a terminal
 * or a log: control characters (C0 such as BEL, ESC, CR and LF; DEL; C1) and the Unicode bidirectional overrides are
 * written as {@code \xNN} or {@code \\uNNNN} escapes, so they can neither move the cursor, recolour or retitle a
 * terminal, nor forge a log line. Everything else, including other non-ASCII text, passes unchanged.
 */
public final class PrintableText {
    private PrintableText() {
    }

    /** {@code text} with its control characters escaped; null stays null. */
    public static String escape(String text) {
        return escape(text, false);
    }

    /**
     * As {@link #escape(String)}, keeping line feeds and tabs when {@code keepLines} (for multi-line text such as a
     * stack trace).
     */
    public static String escape(String text, boolean keepLines) {
        if (text == null) {
            return null;
        }
        int i = 0;
        while (i < text.length() && !escaped(text.charAt(i), keepLines)) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!escaped(c, keepLines)) {
                sb.append(c);
            } else if (c < 0x100) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }

    private static boolean escaped(char c, boolean keepLines) {
        if (keepLines && (c == '\n' || c == '\t')) {
            return false;
        }
        return Character.isISOControl(c) || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
    }
}
