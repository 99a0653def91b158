package io.irgstream.topology.internals;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;

/**
 * Lets the event stream routes answer every client with a stream, whatever its {@code Accept} header. Javalin's
 * {@link io.javalin.http.sse.SseHandler} opens a stream only when {@code Accept} names {@code text/event-stream} and
 * otherwise answers an empty 200; these routes serve nothing else, and plain clients ({@code curl -N}, which sends
 * {@code Accept: *}{@code /*}, or none at all) have always been given the stream. For a GET of an event stream route
 * whose {@code Accept} does not name {@code text/event-stream}, the request is passed on with
 * {@code Accept: text/event-stream}; every other request passes unchanged.
 */
final class EventStreamAccept extends HttpFilter {

    static final String EVENT_STREAM = "text/event-stream";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String accept = request.getHeader("Accept");
        if ("GET".equals(request.getMethod()) && isEventStreamPath(request.getRequestURI())
                && (accept == null || !accept.contains(EVENT_STREAM))) {
            chain.doFilter(new HttpServletRequestWrapper(request) {
                @Override
                public String getHeader(String name) {
                    return "Accept".equalsIgnoreCase(name) ? EVENT_STREAM : super.getHeader(name);
                }

                @Override
                public Enumeration<String> getHeaders(String name) {
                    return "Accept".equalsIgnoreCase(name) ? Collections.enumeration(java.util.List.of(EVENT_STREAM))
                            : super.getHeaders(name);
                }
            }, response);
        } else {
            chain.doFilter(request, response);
        }
    }

    /** {@code /api/events} and {@code /api/trajectories/{id}/events}. */
    static boolean isEventStreamPath(String path) {
        if (path.equals("/api/events")) {
            return true;
        }
        String prefix = "/api/trajectories/";
        return path.startsWith(prefix) && path.endsWith("/events")
                && path.indexOf('/', prefix.length()) == path.length() - "/events".length();
    }
}
