package footprint.accounts.web;

/** An id segment that is not 1 to 10 ASCII digits once percent-decoded: 400. */
public class InvalidAccountIdException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidAccountIdException() {
        super("invalid account id", null, false, false);
    }
}
