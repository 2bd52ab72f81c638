package footprint.accounts;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import org.apache.catalina.core.StandardContext;

/**
 * A rung of the feature ladder: one concern added to the service (the access log of
 * {@code build.sh OUT --log}). The base jar has none; a rung's jar carries its implementation,
 * found through {@link ServiceLoader}, so both are built from the same code. With one rung the
 * service is named {@code <stack>@<rung>} in its ready line.
 */
public interface Rung {

    /** What separates the stack from its rung in the rung's name: {@code jvm-spring@log}. */
    String SEPARATOR = "@";

    /** The rung's name: {@code log}. */
    String name();

    /** Adds the concern to the application's context, before Tomcat starts. */
    void install(StandardContext context);

    /** The rungs the jar carries, none in the base service. */
    static List<Rung> installed() {
        List<Rung> rungs = new ArrayList<>();
        ServiceLoader.load(Rung.class, Rung.class.getClassLoader()).forEach(rungs::add);
        return rungs;
    }
}
