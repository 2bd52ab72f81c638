package footprint.accounts.quotes;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The quotes service's answer (contract Q1), keys in the contract's order. */
@JsonPropertyOrder({"quote", "ipAddress", "language"})
public final class Quote {

    private final String quote;
    private final String ipAddress;
    private final String language;

    Quote(String quote, String ipAddress, String language) {
        this.quote = quote;
        this.ipAddress = ipAddress;
        this.language = language;
    }

    public String getQuote() {
        return quote;
    }

    public String getIpAddress() {
        return ipAddress;
    }

    public String getLanguage() {
        return language;
    }
}
