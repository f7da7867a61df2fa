package katamari.gateway.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error handler for the refusals it makes before a request reaches Javalin: headers over the limit (431), a
 * URI over it (414), a request line or header that is not HTTP (400). Without it they got Jetty's HTML pages; what
 * they say is decided by {@link ErrorResponses#belowJavalin}, like every other refusal.
 */
final class JettyErrors extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        ErrorResponses.Refusal refusal = ErrorResponses.belowJavalin(status, path(request.getHttpURI()));
        response.setStatus(refusal.status());
        response.getHeaders().put(ErrorResponses.ID_HEADER, refusal.id());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(refusal.body()), callback);
        return true;
    }

    /** Used by Jetty when it has no request to hand to {@link #handle} (the request line itself was unreadable). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        ErrorResponses.Refusal refusal = ErrorResponses.belowJavalin(status, null);
        fields.put(ErrorResponses.ID_HEADER, refusal.id());
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(refusal.body());
    }

    private static String path(HttpURI uri) {
        return uri == null ? null : uri.getPath();
    }
}
