package footprint.accounts;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** The seeded in-memory accounts and the id rules of the contract. */
final class Accounts {

    static final int FIRST_ID = 10_000;
    static final int SEED_COUNT = 100;
    /** Longest id, in digits, that is looked up rather than refused as malformed. */
    static final int MAX_ID_DIGITS = 10;

    /** One stored account. */
    record Account(String id, String name) {}

    /** What a raw id segment names. */
    enum Outcome { FOUND, NOT_FOUND, INVALID }

    /** The outcome of a lookup; {@code account} is set when it was found. */
    record Lookup(Outcome outcome, Account account) {}

    private final Map<String, Account> byId;

    private Accounts(Map<String, Account> byId) {
        this.byId = byId;
    }

    /** The 100 accounts {@code 10000..10099}, named {@code Person_<i>}. */
    static Accounts seeded() {
        Map<String, Account> byId = new HashMap<>();
        for (int i = 0; i < SEED_COUNT; i++) {
            String id = Integer.toString(FIRST_ID + i);
            byId.put(id, new Account(id, "Person_" + i));
        }
        return new Accounts(Map.copyOf(byId));
    }

    /**
     * Looks up a raw (still percent-encoded) path segment: decoded once, then 1 to 10 ASCII
     * digits are looked up as a string ({@code 010000} is not {@code 10000}); anything else is
     * invalid, including a bad escape or bytes that are not UTF-8.
     */
    Lookup findRaw(String raw) {
        String id = decodeSegment(raw);
        if (id == null || !isWellFormedId(id)) {
            return new Lookup(Outcome.INVALID, null);
        }
        Account account = byId.get(id);
        return account == null ? new Lookup(Outcome.NOT_FOUND, null) : new Lookup(Outcome.FOUND, account);
    }

    static boolean isWellFormedId(String id) {
        if (id.isEmpty() || id.length() > MAX_ID_DIGITS) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Percent-decodes one segment; {@code null} for a malformed escape or invalid UTF-8. */
    static String decodeSegment(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write((hi << 4) | lo);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
