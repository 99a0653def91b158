package io.irgstream.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.schemas.AvroJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.net.http.HttpResponse;
import java.util.concurrent.Callable;

/** {@code irg get ID}: print a trajectory as JSON. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print a trajectory (the topology's record) as JSON.")
public final class GetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrajectoryApiOptions trajectory;

    @Override
    public Integer call() throws Exception {
        HttpResponse<String> r = trajectory.get(HttpResponse.BodyHandlers.ofString());
        JsonNode json = AvroJson.MAPPER.readTree(r.body());
        spec.commandLine().getOut().println(AvroJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
