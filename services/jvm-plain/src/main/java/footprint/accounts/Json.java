package footprint.accounts;

import java.nio.charset.StandardCharsets;

/** The few JSON bodies of the service, written by hand (keys in contract order, no spaces). */
final class Json {

    static final byte[] HEALTH = utf8("{\"status\":\"UP\"}");

    private Json() {}

    static byte[] account(Accounts.Account account, String servedBy) {
        StringBuilder out = new StringBuilder(64 + servedBy.length());
        out.append("{\"id\":");
        string(out, account.id());
        out.append(",\"name\":");
        string(out, account.name());
        out.append(",\"servedBy\":");
        string(out, servedBy);
        out.append('}');
        return utf8(out.toString());
    }

    static byte[] error(String reason) {
        StringBuilder out = new StringBuilder(16 + reason.length());
        out.append("{\"error\":");
        string(out, reason);
        out.append('}');
        return utf8(out.toString());
    }

    /** Appends {@code value} as a JSON string (RFC 8259 escapes). */
    static void string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
