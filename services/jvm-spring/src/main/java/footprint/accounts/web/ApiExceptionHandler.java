package footprint.accounts.web;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.NoHandlerFoundException;

/** Every error answer as {@code {"error":"<short reason>"}}. */
@RestControllerAdvice
public class ApiExceptionHandler {

    private static final Log log = LogFactory.getLog(ApiExceptionHandler.class);

    @ExceptionHandler(AccountNotFoundException.class)
    public ResponseEntity<ErrorBody> accountNotFound() {
        return error(HttpStatus.NOT_FOUND, "account not found");
    }

    @ExceptionHandler(InvalidAccountIdException.class)
    public ResponseEntity<ErrorBody> invalidId() {
        return error(HttpStatus.BAD_REQUEST, "invalid account id");
    }

    /** Needs {@code DispatcherServlet.throwExceptionIfNoHandlerFound}. */
    @ExceptionHandler(NoHandlerFoundException.class)
    public ResponseEntity<ErrorBody> noSuchPath() {
        return error(HttpStatus.NOT_FOUND, "no such path");
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    public ResponseEntity<ErrorBody> methodNotAllowed() {
        return ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED)
                .header(HttpHeaders.ALLOW, String.join(", ", AccountController.ALLOWED))
                .body(new ErrorBody("method not allowed"));
    }

    @ExceptionHandler(Exception.class)
    public ResponseEntity<ErrorBody> unexpected(Exception e) {
        log.error("unexpected error", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
    }

    private static ResponseEntity<ErrorBody> error(HttpStatus status, String reason) {
        return ResponseEntity.status(status).body(new ErrorBody(reason));
    }
}
