package footprint.accounts.web;

import javax.servlet.http.HttpServletRequest;
import org.springframework.web.util.UrlPathHelper;

/**
 * Looks handlers up by the request target's path exactly as the client sent it.
 *
 * <p>Spring's {@link UrlPathHelper} percent-decodes the path, strips {@code ;} path parameters
 * (and {@code ;jsessionid} even when told not to) and merges {@code //} into {@code /} before
 * matching, and Tomcat's servlet path is decoded and normalised ({@code /a/../b} is {@code /b}).
 * Every one of those would answer a path the contract says is unknown or malformed.
 *
 * <p>Path variables are then decoded once, as UTF-8: with {@code urlDecode} off, Spring decodes
 * the variables it extracts from the (undecoded) lookup path. Bytes that are not UTF-8 become
 * U+FFFD, which no id contains.
 */
public class RawPathHelper extends UrlPathHelper {

    public RawPathHelper() {
        setAlwaysUseFullPath(true);
        setUrlDecode(false);
        setRemoveSemicolonContent(false);
        setDefaultEncoding("UTF-8");
    }

    @Override
    public String getLookupPathForRequest(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String contextPath = request.getContextPath();
        return uri.startsWith(contextPath) ? uri.substring(contextPath.length()) : uri;
    }
}
