package footprint.accounts.web;

import footprint.accounts.Landscape;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /accounts/{id}} and {@code GET /health}. */
@RestController
public class AccountController {

    /** The methods every path of the service answers. */
    static final String[] ALLOWED = {"GET", "HEAD"};

    private final AccountService accounts;
    /** The landscape variant's quote call; {@code null} in the base service. */
    private final Landscape landscape;

    public AccountController(AccountService accounts, ObjectProvider<Landscape> landscape) {
        this.accounts = accounts;
        this.landscape = landscape.getIfAvailable();
    }

    /**
     * The id is the one path segment after {@code /accounts/}, percent-decoded once by Spring
     * (see {@code RawPathHelper}).
     */
    @RequestMapping(path = "/accounts/{id}", method = {RequestMethod.GET, RequestMethod.HEAD})
    public Object account(@PathVariable("id") String id) {
        // Unknown and malformed ids throw before quotes is called (contract L2).
        Account account = accounts.find(id);
        return landscape == null ? account : landscape.answer(account);
    }

    @RequestMapping(path = "/health", method = {RequestMethod.GET, RequestMethod.HEAD})
    public Health health() {
        return Health.UP;
    }

    /**
     * Spring MVC answers OPTIONS on a mapped path itself, with 200 and an Allow header; the
     * contract wants 405 like any other method the service does not offer.
     */
    @RequestMapping(path = {"/accounts/{id}", "/health"}, method = RequestMethod.OPTIONS)
    public void options() throws HttpRequestMethodNotSupportedException {
        throw new HttpRequestMethodNotSupportedException("OPTIONS", ALLOWED);
    }
}
