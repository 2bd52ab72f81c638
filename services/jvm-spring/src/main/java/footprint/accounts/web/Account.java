package footprint.accounts.web;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The JSON body of {@code GET /accounts/{id}}; keys in the contract's order. */
@JsonPropertyOrder({"id", "name", "servedBy"})
public final class Account {

    private final String id;
    private final String name;
    private final String servedBy;

    public Account(String id, String name, String servedBy) {
        this.id = id;
        this.name = name;
        this.servedBy = servedBy;
    }

    public String getId() {
        return id;
    }

    public String getName() {
        return name;
    }

    public String getServedBy() {
        return servedBy;
    }
}
