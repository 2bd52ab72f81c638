package footprint.accounts;

import java.util.Iterator;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * What the landscape variant adds to an account answer: a quote from the quotes service. The
 * base jar has no implementation; the variant's jar ({@code build.sh OUT --quotes}) carries one,
 * found through {@link ServiceLoader}, so both are built from the same code.
 */
public interface Landscape {

    /** The suffix of the variant's name in its ready line: {@code jvm-spring+quotes}. */
    String VARIANT_SUFFIX = "+quotes";

    /** The answer for a found account: the account with its quote, or with why there is none. */
    Object answer(footprint.accounts.web.Account account);

    /** Makes the landscape from the environment, before the server starts. */
    interface Factory {
        /**
         * @param stack the stack's name ({@code jvm-spring}), for the breaker's lines
         * @throws ConfigException when {@code QUOTES_URL} or a breaker setting is not valid
         */
        Landscape fromEnv(Map<String, String> env, String stack) throws ConfigException;
    }

    /** The factory the jar carries, or {@code null} in the base service. */
    static Factory installed() {
        Iterator<Factory> found = ServiceLoader.load(Factory.class, Landscape.class.getClassLoader()).iterator();
        return found.hasNext() ? found.next() : null;
    }
}
