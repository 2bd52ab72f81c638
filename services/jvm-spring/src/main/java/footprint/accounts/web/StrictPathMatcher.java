package footprint.accounts.web;

import java.util.Map;
import org.springframework.util.AntPathMatcher;

/**
 * {@link AntPathMatcher} that does not skip empty path segments: it splits paths on {@code /}
 * and drops empty parts, so {@code /accounts//10000} and {@code //accounts/10000} would match
 * {@code /accounts/{id}}. Here a path with an empty segment matches no pattern.
 */
public class StrictPathMatcher extends AntPathMatcher {

    @Override
    protected boolean doMatch(String pattern, String path, boolean fullMatch, Map<String, String> uriTemplateVariables) {
        return !path.contains("//") && super.doMatch(pattern, path, fullMatch, uriTemplateVariables);
    }
}
