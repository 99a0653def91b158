package io.irgstream.app.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.images.ImageStore;
import org.apache.avro.specific.SpecificRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes one finished trajectory as a folder: prompt.txt, thought.txt, draft.png, reflection-N.txt, final-N.png,
 * final.png (the last round's) and trajectory.json (every event). The folder is built under a temporary name and
 * renamed into place at the end, so a folder with the trajectory's id is always complete.
 */
public final class OutputWriter {
    private final Path outDir;
    private final ImageStore images;

    public OutputWriter(Path outDir, ImageStore images) {
        this.outDir = outDir;
        this.images = images;
    }

    /** Writes {@code t} and returns its folder. Images are verified against their sha256 on the way. */
    public Path write(CollectedTrajectory t) throws IOException {
        Files.createDirectories(outDir);
        Path target = outDir.resolve(t.id());
        Path tmp = outDir.resolve("." + t.id() + ".partial");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        try {
            if (t.prompt() != null) {
                text(tmp.resolve("prompt.txt"), t.prompt().getContext().getPrompt());
            }
            if (t.thought() != null) {
                text(tmp.resolve("thought.txt"), t.thought().getThought());
            }
            DraftImageProduced draft = t.draft();
            if (draft != null) {
                Files.write(tmp.resolve("draft.png"), images.bytes(draft.getImage()));
            }
            for (ReflectionProduced r : t.reflections()) {
                text(tmp.resolve("reflection-" + r.getRound() + ".txt"), r.getReflection());
            }
            for (FinalImageProduced f : t.finals()) {
                Files.write(tmp.resolve("final-" + f.getRound() + ".png"), images.bytes(f.getImage()));
            }
            FinalImageProduced last = t.lastFinal();
            if (last != null) {
                Files.write(tmp.resolve("final.png"), images.bytes(last.getImage()));
            }
            ObjectNode json = AvroJson.MAPPER.createObjectNode();
            json.put("trajectoryId", t.id());
            json.put("status", t.failed() ? "FAILED" : last != null ? "COMPLETED" : "INCOMPLETE");
            ArrayNode events = json.putArray("events");
            for (SpecificRecord e : t.events()) {
                events.add(AvroJson.toJson(e));
            }
            Files.writeString(tmp.resolve("trajectory.json"),
                    AvroJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json), StandardCharsets.UTF_8);
            deleteRecursively(target);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            return target;
        } catch (IOException | RuntimeException e) {
            deleteRecursively(tmp);
            throw e;
        }
    }

    private static void text(Path p, String s) throws IOException {
        Files.writeString(p, s.endsWith("\n") ? s : s + "\n", StandardCharsets.UTF_8);
    }

    /** Deletes a file or folder tree; nothing when it does not exist. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
