package footprint.accounts;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/** Configuration from the environment only: {@code PORT}, {@code BIND}, {@code WORKERS}. */
record Config(InetAddress bind, int port, int workers) {

    static final int DEFAULT_PORT = 6767;

    static Config fromEnv(Map<String, String> env) throws ConfigException {
        int port = DEFAULT_PORT;
        String rawPort = env.get("PORT");
        if (rawPort != null) {
            Integer parsed = parseUnsigned(rawPort.trim());
            if (parsed == null || parsed > 65535) {
                throw new ConfigException("PORT", rawPort, "a port number from 0 to 65535");
            }
            port = parsed;
        }
        InetAddress bind;
        String rawBind = env.get("BIND");
        if (rawBind == null) {
            bind = ipv4(new byte[] {0, 0, 0, 0});
        } else {
            bind = parseAddress(rawBind.trim());
            if (bind == null) {
                throw new ConfigException("BIND", rawBind, "an IPv4 or IPv6 address such as 0.0.0.0");
            }
        }
        int workers = Runtime.getRuntime().availableProcessors();
        String rawWorkers = env.get("WORKERS");
        if (rawWorkers != null) {
            Integer parsed = parseUnsigned(rawWorkers.trim());
            if (parsed == null || parsed < 1) {
                throw new ConfigException("WORKERS", rawWorkers, "a whole number of threads, 1 or more");
            }
            workers = parsed;
        }
        return new Config(bind, port, Math.max(1, workers));
    }

    /** Plain decimal digits only (no sign, no spaces), or {@code null}. */
    private static Integer parseUnsigned(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return Integer.parseInt(s);
    }

    /**
     * An IP literal, never a host name: the address is configuration, not something to look up.
     */
    private static InetAddress parseAddress(String s) {
        if (s.indexOf(':') >= 0) {
            // Hex digits, colons and dots only: getByName then parses an IPv6 literal and never
            // asks a resolver.
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
                    return null;
                }
            }
            try {
                InetAddress address = InetAddress.getByName(s);
                return address instanceof Inet4Address ? null : address;
            } catch (UnknownHostException | SecurityException e) {
                return null;
            }
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                return null;
            }
            Integer value = parseUnsigned(part);
            if (value == null || value > 255) {
                return null;
            }
            bytes[i] = (byte) (int) value;
        }
        return ipv4(bytes);
    }

    private static InetAddress ipv4(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
