package footprint.accounts;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The account service on the JDK's built-in {@code com.sun.net.httpserver.HttpServer}: no
 * framework, routing and JSON by hand.
 */
public final class Main {

    static final String DEFAULT_STACK = "jvm-plain";

    /**
     * Seconds in-flight exchanges get after SIGTERM/SIGINT before the remaining connections are
     * closed (HttpServer.stop takes whole seconds).
     */
    static final int GRACE_SECONDS = 1;

    /**
     * How long the stop waits before it first looks for exchanges in flight: a request whose
     * first bytes arrived just before the signal reaches the pool within it.
     */
    static final long SETTLE_MILLIS = 50;

    private Main() {}

    public static void main(String[] args) {
        String stack = System.getenv().getOrDefault("STACK_NAME", DEFAULT_STACK);
        Config config;
        try {
            config = Config.fromEnv(System.getenv());
        } catch (Config.ConfigException e) {
            System.err.println(stack + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        configureServerTimeouts();

        String hostname = hostname();
        Accounts accounts = Accounts.seeded();
        HttpServer server = bindOrExit(new InetSocketAddress(config.bind(), config.port()), stack);
        WorkerPool workers = new WorkerPool(config.workers());
        server.createContext("/", new AccountHandler(accounts, hostname, stack));
        server.setExecutor(workers);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // HttpServer.stop closes the listener at once, then waits the whole grace for its
            // dispatcher even when nothing is in flight (it notices only when an exchange ends);
            // so it runs on a thread of its own, and the stop ends as soon as the pool has no
            // exchange left, or when the grace is over.
            Thread stopper = new Thread(() -> server.stop(GRACE_SECONDS), "stop");
            stopper.setDaemon(true);
            stopper.start();
            long deadline = System.nanoTime() + GRACE_SECONDS * 1_000_000_000L;
            pause(SETTLE_MILLIS);
            while (workers.pending() > 0 && System.nanoTime() < deadline) {
                pause(5);
            }
            workers.shutdown();
            System.out.flush();
            // SIGTERM and SIGINT end the JVM with 128+signal; a graceful stop is a success.
            Runtime.getRuntime().halt(0);
        }, "shutdown"));

        server.start();
        System.out.println("ready stack=" + stack + " addr=" + format(server.getAddress())
                + " boot_us=" + microsSinceJvmStart());
        System.out.flush();
        // HttpServer's dispatcher thread keeps the JVM running until the shutdown hook stops it.
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static HttpServer bindOrExit(InetSocketAddress address, String stack) {
        try {
            return HttpServer.create(address, 0);
        } catch (IOException e) {
            System.err.println(stack + ": cannot serve on " + format(address) + ": " + e.getMessage());
            System.exit(1);
            throw new IllegalStateException("unreachable");
        }
    }

    /**
     * HttpServer's defaults keep a silent or stalled client forever (no request timeout) and
     * idle keep-alive connections for 30 s, checked every 10 s. Bound both to about 5 s, and
     * send small responses without Nagle's delay. Values given with -D on the command line win.
     */
    static void configureServerTimeouts() {
        setDefault("sun.net.httpserver.maxReqTime", "5"); // seconds to receive a whole request
        setDefault("sun.net.httpserver.timerMillis", "1000"); // how often that is checked
        setDefault("sun.net.httpserver.idleInterval", "5"); // seconds an idle connection is kept
        setDefault("sun.net.httpserver.clockTick", "1000"); // how often idleness is checked, ms
        setDefault("sun.net.httpserver.nodelay", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
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

    static long microsSinceJvmStart() {
        long startMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        return Math.max(1, ChronoUnit.MICROS.between(Instant.ofEpochMilli(startMillis), Instant.now()));
    }

    /** {@code ip:port}, IPv6 in brackets, as every stack prints it. */
    static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip.getHostAddress();
        if (ip instanceof Inet6Address) {
            int zone = host.indexOf('%');
            host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
        }
        return host + ":" + address.getPort();
    }
}
