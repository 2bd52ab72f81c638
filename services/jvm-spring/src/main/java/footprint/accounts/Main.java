package footprint.accounts;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.Tomcat;
import org.springframework.web.context.support.XmlWebApplicationContext;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The account service on Spring Web MVC, Jackson and an embedded Tomcat: the JVM baseline.
 *
 * <p>Tomcat keeps its defaults except where the contract needs otherwise; every such setting
 * says why.
 */
public final class Main {

    static final String DEFAULT_STACK = "jvm-spring";
    static final String SPRING_CONTEXT = "classpath:footprint/accounts/web-context.xml";

    /** Time in-flight requests get after SIGTERM/SIGINT before the service exits anyway. */
    static final long GRACE_MILLIS = 1500;
    /** Stalled or idle connections are closed after this long without a complete request. */
    static final int CONNECTION_TIMEOUT_MILLIS = 5000;

    private Main() {}

    public static void main(String[] args) {
        // The harness launches this same jar as jvm-spring and, with other JVM flags, as
        // jvm-spring-tuned.
        String stack = System.getenv().getOrDefault("STACK_NAME", DEFAULT_STACK);
        // The landscape variant's jar carries a Landscape: its name gains "+quotes" and its
        // account answers a quote (the Server header keeps the stack's name).
        Landscape.Factory variant = Landscape.installed();
        // A rung's jar carries its Rung: its name gains "@<rung>".
        List<Rung> rungs = Rung.installed();
        String name = variant == null ? stack : stack + Landscape.VARIANT_SUFFIX;
        if (rungs.size() == 1) {
            name = stack + Rung.SEPARATOR + rungs.get(0).name();
        }
        Config config;
        Landscape landscape;
        try {
            config = Config.fromEnv(System.getenv());
            landscape = variant == null ? null : variant.fromEnv(System.getenv(), stack);
        } catch (ConfigException e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(2);
            return;
        }

        Path baseDir;
        try {
            // Tomcat needs a directory of its own (work/ for the context); never the cwd.
            baseDir = Files.createTempDirectory("footprint-" + stack + "-");
        } catch (IOException e) {
            System.err.println(name + ": cannot create Tomcat's base directory: " + e.getMessage());
            System.exit(1);
            return;
        }

        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = connector(config, stack);
        tomcat.setConnector(connector);
        StandardHost host = (StandardHost) tomcat.getHost();
        host.setAutoDeploy(false);
        host.setErrorReportValveClass(JsonErrorValve.class.getName());

        StandardContext context = (StandardContext) tomcat.addContext("", null);
        // A Spring context that fails to start fails the start instead of leaving a 404 server.
        context.setFailCtxIfServletStartFails(true);
        XmlWebApplicationContext spring = new XmlWebApplicationContext();
        spring.setConfigLocation(SPRING_CONTEXT);
        if (landscape != null) {
            // The controller takes it when it is there (ObjectProvider.getIfAvailable).
            spring.addBeanFactoryPostProcessor(beans -> beans.registerSingleton("landscape", landscape));
        }
        DispatcherServlet dispatcher = new DispatcherServlet(spring);
        // OPTIONS goes through the handler mappings (answered 405) instead of HttpServlet's
        // own 200 listing every servlet method.
        dispatcher.setDispatchOptionsRequest(true);
        // An unmapped path raises NoHandlerFoundException, answered as JSON by the advice,
        // instead of a bare sendError(404).
        dispatcher.setThrowExceptionIfNoHandlerFound(true);
        Wrapper servlet = Tomcat.addServlet(context, "dispatcher", dispatcher);
        servlet.setLoadOnStartup(1);
        context.addServletMappingDecoded("/", "dispatcher");
        for (Rung rung : rungs) {
            rung.install(context);
        }

        try {
            tomcat.start();
        } catch (LifecycleException e) {
            fail(name, "cannot start: " + e.getMessage(), tomcat, baseDir);
        }
        if (connector.getState() != LifecycleState.STARTED) {
            fail(name, "cannot serve on " + address(config.bind(), config.port()), tomcat, baseDir);
        }
        if (context.getState() != LifecycleState.STARTED) {
            fail(name, "the Spring application did not start", tomcat, baseDir);
        }

        // Tomcat keeps only empty work directories there (for JSPs and uploads, which this
        // service has none of). Remove them now, so that a killed process leaves nothing behind.
        deleteQuietly(baseDir);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(tomcat, connector), "shutdown"));

        System.out.println("ready stack=" + name + " addr=" + address(config.bind(), connector.getLocalPort())
                + " boot_us=" + microsSinceJvmStart());
        System.out.flush();
        // Tomcat's threads are daemons: park here until the shutdown hook ends the process.
        tomcat.getServer().await();
    }

    /**
     * Tomcat's NIO HTTP/1.1 connector with its defaults, except for the settings below.
     */
    static Connector connector(Config config, String stack) {
        Connector connector = new Connector(GracefulNioProtocol.class.getName());
        GracefulNioProtocol http = (GracefulNioProtocol) connector.getProtocolHandler();
        connector.setPort(config.port());
        http.setAddress(config.bind());
        // WORKERS: the threads that serve requests (Tomcat's default is 200, min 10 spare).
        http.setMaxThreads(config.workers());
        http.setMinSpareThreads(Math.min(10, config.workers()));
        // Stalled clients and idle keep-alive connections are closed after 5 s (defaults:
        // 60 s for a request head; keep-alive follows the connection timeout).
        http.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        http.setKeepAliveTimeout(CONNECTION_TIMEOUT_MILLIS);
        // Tomcat closes a connection after 100 requests by default; the other stacks keep it.
        http.setMaxKeepAliveRequests(-1);
        // Every response, Tomcat's own error answers included, names the stack.
        http.setServer(stack);
        // An encoded slash (%2F) in an id is a malformed id (400 from the application, as
        // JSON) rather than a request Tomcat refuses before any application code runs.
        connector.setEncodedSolidusHandling("passthrough");
        return connector;
    }

    /** SIGTERM/SIGINT: stop accepting, let requests in flight finish, close, exit 0. */
    static void stop(Tomcat tomcat, Connector connector) {
        try {
            GracefulNioProtocol http = (GracefulNioProtocol) connector.getProtocolHandler();
            http.stopAccepting();
            long deadline = System.nanoTime() + GRACE_MILLIS * 1_000_000;
            while (http.hasRequestsInFlight() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException | RuntimeException e) {
            System.err.println("stopping: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            System.out.flush();
            // SIGTERM and SIGINT end the JVM with 128+signal; a graceful stop is a success.
            Runtime.getRuntime().halt(0);
        }
    }

    private static void fail(String stack, String message, Tomcat tomcat, Path baseDir) {
        System.err.println(stack + ": " + message);
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException | RuntimeException e) {
            // exiting anyway
        }
        deleteQuietly(baseDir);
        System.exit(1);
    }

    static long microsSinceJvmStart() {
        long startMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        return Math.max(1, ChronoUnit.MICROS.between(Instant.ofEpochMilli(startMillis), Instant.now()));
    }

    /** {@code ip:port}, IPv6 in brackets, as every stack prints it. */
    static String address(InetAddress ip, int port) {
        String host = ip.getHostAddress();
        if (ip instanceof Inet6Address) {
            int zone = host.indexOf('%');
            host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
        }
        return host + ":" + port;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a temporary directory; the system cleans it up eventually
        }
    }
}
