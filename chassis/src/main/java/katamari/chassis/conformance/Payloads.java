package katamari.chassis.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The texts the kit sends through a chassis, and how it tells what came back. */
final class Payloads {
    private static final String START = "kit<";
    private static final String END = ">kit";

    /**
     * Two- three- and four-byte UTF-8, right-to-left script, a combining accent, and every JSON escape worth
     * getting wrong: quotes, backslash, slash, control characters (NUL included), U+2028/U+2029 (line breaks to
     * some JSON libraries, not to JSON) and DEL.
     */
    static final String NON_ASCII = START + "Grüße, ça va? 日本語のテキスト 🎉🦄 שלום e\u0301 \"quoted\" back\\slash /slash "
            + "tab\there newline\nhere cr\rhere nul\u0000here \u0001 \u2028 \u2029 \u007f \uFEFF" + END;

    private Payloads() {}

    /** About 1 MiB of UTF-8 (a mix of one- to four-byte characters, and escapes), framed like {@link #NON_ASCII}. */
    static String oneMegabyte() {
        String chunk = "Katamari rolls up everything 片付け 🎲 \"ok\"\\n\t";
        StringBuilder text = new StringBuilder(START);
        int bytes = 0;
        int perChunk = chunk.getBytes(StandardCharsets.UTF_8).length;
        for (int i = 0; bytes < 1024 * 1024; i++) {
            text.append(chunk).append(i);
            bytes += perChunk + String.valueOf(i).length();
        }
        return text.append(END).toString();
    }

    /** True when some string in {@code result} contains {@code text} unchanged. */
    static boolean containsText(JsonNode result, String text) {
        return strings(result).stream().anyMatch(s -> s.contains(text));
    }

    /** Where the text came back different, with a likely reason, for a chassis author. */
    static String describeDifference(String sent, JsonNode result) {
        String best = null;
        int bestAt = -1;
        for (String s : strings(result)) {
            int at = s.indexOf(START);
            if (at >= 0 && (best == null || s.length() - at > best.length() - bestAt)) {
                best = s;
                bestAt = at;
            }
        }
        if (best == null) {
            return "No string in the result contains the text (it starts with \"" + START + "\"). The result was:\n  "
                    + Checks.abbreviate(String.valueOf(result), 200);
        }
        String got = best.substring(bestAt);
        int i = 0;
        while (i < sent.length() && i < got.length() && sent.charAt(i) == got.charAt(i)) {
            i++;
        }
        if (i >= got.length()) {
            return "It came back cut short after " + i + " of " + sent.length() + " characters.";
        }
        int sentCp = sent.codePointAt(i);
        int gotCp = got.codePointAt(i);
        String where = "First difference at character " + i + ": sent " + describe(sentCp) + ", got " + describe(gotCp) + ".";
        if (gotCp == 0xFFFD || gotCp == '?') {
            return where + " Characters were replaced: the chassis decodes or encodes with a charset other than UTF-8."
                    + " The agent starts instances without LANG or LC_ALL, so set UTF-8 explicitly on stdin and stdout.";
        }
        if (sentCp > 0x7F && gotCp >= 0xC0 && gotCp <= 0xFF) {
            return where + " This looks like UTF-8 bytes read as Latin-1 (mojibake): read stdin and write stdout as UTF-8,"
                    + " whatever the locale (the agent starts instances without LANG or LC_ALL).";
        }
        return where + " Text must come back exactly as sent: decode each line as UTF-8 JSON and encode the answer the same way.";
    }

    static String size(String text) {
        return size(text.getBytes(StandardCharsets.UTF_8).length);
    }

    static String size(int bytes) {
        return bytes >= 1024 * 1024 ? String.format("%.1f MiB", bytes / 1048576.0)
                : bytes >= 1024 ? (bytes / 1024) + " KiB" : bytes + " bytes";
    }

    private static String describe(int codePoint) {
        String name = Character.getName(codePoint);
        return String.format("U+%04X", codePoint) + (name == null ? "" : " " + name);
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        collect(node, out);
        return out;
    }

    private static void collect(JsonNode node, List<String> out) {
        if (node == null) {
            return;
        }
        if (node.isTextual()) {
            out.add(node.asText());
        } else {
            node.forEach(child -> collect(child, out));
        }
    }
}
