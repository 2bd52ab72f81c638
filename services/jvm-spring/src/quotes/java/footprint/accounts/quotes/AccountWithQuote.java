package footprint.accounts.quotes;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import footprint.accounts.web.Account;

/**
 * The variant's account JSON (contract L1, L3-L5): the account's three keys, then the quote,
 * {@code null} with a {@code warning} saying why when there is none.
 */
@JsonPropertyOrder({"id", "name", "servedBy", "quote", "warning"})
public final class AccountWithQuote {

    private final Account account;
    private final Quote quote;
    private final String warning;

    AccountWithQuote(Account account, Quote quote, String warning) {
        this.account = account;
        this.quote = quote;
        this.warning = warning;
    }

    public String getId() {
        return account.getId();
    }

    public String getName() {
        return account.getName();
    }

    public String getServedBy() {
        return account.getServedBy();
    }

    /** Always written, {@code null} included. */
    public Quote getQuote() {
        return quote;
    }

    /** Written only when there is no quote. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public String getWarning() {
        return warning;
    }
}
