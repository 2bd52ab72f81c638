package footprint.accounts.web;

/** The JSON body of {@code GET /health}. */
public final class Health {

    public static final Health UP = new Health("UP");

    private final String status;

    private Health(String status) {
        this.status = status;
    }

    public String getStatus() {
        return status;
    }
}
