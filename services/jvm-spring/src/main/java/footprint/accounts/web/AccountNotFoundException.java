package footprint.accounts.web;

/** A well-formed id (1 to 10 digits) that names no seeded account: 404. */
public class AccountNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public AccountNotFoundException(String id) {
        super("no account " + id, null, false, false);
    }
}
