package footprint.accounts.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Type;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;

/**
 * Jackson's converter streams into the response and flushes it, so Tomcat commits the response
 * before it knows the length and sends it chunked. The bodies here are a few dozen bytes:
 * serialise into a buffer, then send them with a {@code Content-Length}.
 */
public class ContentLengthJsonConverter extends MappingJackson2HttpMessageConverter {

    @Override
    protected void writeInternal(Object object, Type type, HttpOutputMessage outputMessage)
            throws IOException, HttpMessageNotWritableException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
        super.writeInternal(object, type, new HttpOutputMessage() {
            @Override
            public OutputStream getBody() {
                return buffer;
            }

            @Override
            public HttpHeaders getHeaders() {
                return outputMessage.getHeaders();
            }
        });
        outputMessage.getHeaders().setContentLength(buffer.size());
        buffer.writeTo(outputMessage.getBody());
    }
}
