package footprint.accounts.web;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.springframework.stereotype.Service;

/** The 100 seeded accounts, held in memory, and the id rules of the contract. */
@Service
public class AccountService {

    static final int FIRST_ID = 10_000;
    static final int SEED_COUNT = 100;
    /** Longest id, in digits, that is looked up rather than refused as malformed. */
    static final int MAX_ID_DIGITS = 10;

    /** A stored account. */
    private static final class Stored {
        final String id;
        final String name;

        Stored(String id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    private final Map<String, Stored> byId;
    private final String hostname;

    public AccountService() {
        Map<String, Stored> seeded = new HashMap<>();
        for (int i = 0; i < SEED_COUNT; i++) {
            String id = Integer.toString(FIRST_ID + i);
            seeded.put(id, new Stored(id, "Person_" + i));
        }
        this.byId = Map.copyOf(seeded);
        this.hostname = hostname();
    }

    /**
     * Looks up a decoded id: 1 to 10 ASCII digits are looked up as a string ({@code 010000} is
     * not {@code 10000}).
     *
     * @throws InvalidAccountIdException for anything else
     * @throws AccountNotFoundException for a well-formed id that is not seeded
     */
    public Account find(String id) {
        if (!isWellFormedId(id)) {
            throw new InvalidAccountIdException();
        }
        Stored stored = byId.get(id);
        if (stored == null) {
            throw new AccountNotFoundException(id);
        }
        return new Account(stored.id, stored.name, hostname);
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

    /** The kernel's host name (the container's, inside a container). */
    static String hostname() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: ask the JDK
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isEmpty() ? "unknown" : env;
        }
    }
}
