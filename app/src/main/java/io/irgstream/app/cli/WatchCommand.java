package io.irgstream.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.PrintableText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/** {@code irg watch ID}: follow a trajectory in the terminal until it ends. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Follow a trajectory in the terminal: one line per status change, until it ends. Exit code 0 when "
                + "it completes, 1 when it fails or is cancelled.")
public final class WatchCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    CommandSpec spec;

    @Mixin
    TrajectoryApiOptions trajectory;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        HttpResponse<InputStream> r = trajectory.getEvents(HttpResponse.BodyHandlers.ofInputStream());
        String status = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: error")) {
                    String data = in.readLine();
                    throw new IllegalStateException("the event stream ended: "
                            + PrintableText.escape(data == null ? "" : data.replaceFirst("^data: ", "")));
                }
                if (!line.startsWith("data: ")) {
                    continue;
                }
                JsonNode t = AvroJson.MAPPER.readTree(line.substring("data: ".length()));
                status = t.path("status").asText();
                out.println(describe(t));
                out.flush();
            }
        }
        if (status == null) {
            throw new IllegalStateException("the event stream of " + trajectory.id + " ended before any update");
        }
        return "COMPLETED".equals(status) ? 0 : 1;
    }

    static String describe(JsonNode t) {
        StringBuilder sb = new StringBuilder(LocalTime.now().format(TIME)).append("  ")
                .append(String.format("%-9s", text(t.path("status"))));
        String pending = text(t.path("pendingStep"));
        if (!pending.isEmpty() && !"null".equals(pending)) {
            sb.append("  waiting for ").append(pending);
        }
        int round = t.path("currentRound").asInt();
        if (round > 0) {
            sb.append("  round ").append(round).append('/').append(t.path("rounds").asInt());
        }
        JsonNode rounds = t.path("reflectionRounds");
        if (rounds.isArray() && rounds.size() > 0) {
            JsonNode last = rounds.get(rounds.size() - 1);
            if (last.hasNonNull("verdict")) {
                sb.append("  verdict ").append(text(last.path("verdict")));
            }
        }
        if (t.hasNonNull("finalImage") && t.path("finalImage").hasNonNull("sha256")) {
            String sha = text(t.path("finalImage").path("sha256"));
            sb.append("  final ").append(sha, 0, Math.min(12, sha.length()));
        }
        if (t.hasNonNull("failureReason")) {
            sb.append("  failed: ").append(text(t.path("failureReason")));
        }
        return sb.toString();
    }

    /** A field's text with control characters escaped: the values come from the server and may quote a prompt. */
    private static String text(JsonNode value) {
        return PrintableText.escape(value.asText(""));
    }
}
