package footprint.accounts.web;

/** The JSON body of every error: {@code {"error":"<short reason>"}}. */
public final class ErrorBody {

    private final String error;

    public ErrorBody(String error) {
        this.error = error;
    }

    public String getError() {
        return error;
    }
}
