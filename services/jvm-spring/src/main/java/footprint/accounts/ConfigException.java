package footprint.accounts;

/** A variable of the environment that could not be used: the service exits 2, naming it. */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    public ConfigException(String var, String value, String expected) {
        super(var + "=\"" + value + "\" is not valid: expected " + expected);
    }
}
