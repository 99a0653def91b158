package io.irgstream.app.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.net.http.HttpResponse;

/**
 * One trajectory of the trajectory API: the {@code ID} parameter and the {@code --api} option, shared by
 * {@code irg get} and {@code irg watch}. Include it with {@code @Mixin}.
 */
public final class TrajectoryApiOptions {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Mixin
    ApiOptions api;

    /** GETs the trajectory record, {@code /api/trajectories/ID}; errors as with {@link ApiOptions#get}. */
    <T> HttpResponse<T> get(HttpResponse.BodyHandler<T> body) throws InterruptedException {
        return api.get(path(), body);
    }

    /** GETs the trajectory's server-sent events, {@code /api/trajectories/ID/events}; errors as with {@link ApiOptions#get}. */
    <T> HttpResponse<T> getEvents(HttpResponse.BodyHandler<T> body) throws InterruptedException {
        return api.get(path() + "/events", body);
    }

    private String path() {
        return "/api/trajectories/" + id;
    }
}
