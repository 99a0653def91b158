package io.irgstream.app.client;

import io.irgstream.schemas.KafkaClientSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryRound;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import org.apache.avro.generic.IndexedRecord;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes trajectories as a WebDataset: tar shards {@code shard-000000.tar, ...} of a fixed number of samples, each
 * sample a {@code <key>.json} sidecar (the folded trajectory: prompt, thought, every reflection and verdict, every
 * step's provenance and timings, image sha256s) beside its image files ({@code <key>.draft.png},
 * {@code <key>.final.png}, and {@code <key>.final<N>.png} per round when there were several), plus a
 * {@code manifest.json} listing the shards.
 *
 * <p>Resumable without duplicate rows. A shard is written as {@code shard-N.tar.partial} and renamed when complete;
 * then one line naming the shard, its sha256 and its trajectory ids is appended to {@code export-progress.jsonl}
 * (and forced to disk). That line is the commit: on the next run, partial files and shards the log does not name
 * (a crash between rename and append) are deleted, a torn last line is dropped, and trajectories the log names are
 * skipped. So a trajectory is in exactly one committed shard, however often the export is killed and re-run, and
 * re-running into the same folder with a later window appends only the new trajectories.
 *
 * <p>Not thread-safe; one export per folder at a time (a lock file enforces it across processes).
 */
public final class DatasetExport {
    /** The append-only commit log of shards and the trajectory ids in them. */
    public static final String PROGRESS_FILE = "export-progress.jsonl";
    /** The index of committed shards, rewritten after each commit. */
    public static final String MANIFEST_FILE = "manifest.json";
    private static final String LOCK_FILE = ".export.lock";
    private static final Pattern SHARD = Pattern.compile("shard-(\\d{6})\\.tar");

    private final Path out;
    private final ImageStore images;
    private final int samplesPerShard;

    /** What one run did. */
    public record Summary(int exported, int alreadyExported, int withImageProblems, int shardsWritten, int shardsTotal,
                          Duration took) {
    }

    /**
     * Hears the export's progress. An exception thrown here aborts the run as a crash would at that point (tests use
     * it to stop an export midway).
     */
    public interface Listener {
        /** A sample was added to the shard being written; {@code done} of {@code total} samples of this run. */
        default void sampleWritten(String trajectoryId, int done, int total) throws IOException {
        }

        /** Shard {@code shard} was renamed into place and is about to be committed to the progress log. */
        default void shardRenamed(Path shard) throws IOException {
        }
    }

    /**
     * @param out             the dataset folder; created when missing
     * @param images          where the trajectories' images are read from (each verified against its sha256)
     * @param samplesPerShard samples per tar shard, at least 1
     * @throws IllegalArgumentException when {@code out} is an existing file or {@code samplesPerShard} is below 1
     */
    public DatasetExport(Path out, ImageStore images, int samplesPerShard) {
        if (samplesPerShard < 1) {
            throw new IllegalArgumentException("samples per shard must be at least 1, not " + samplesPerShard);
        }
        checkOutDir(out);
        this.out = out;
        this.images = images;
        this.samplesPerShard = samplesPerShard;
    }

    /**
     * Checks that {@code out} can hold a dataset: a folder (created when missing) that is writable.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void checkOutDir(Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file; give a folder (new or one a previous export wrote)");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create --out folder " + out + ": " + e.getMessage());
        }
        if (!Files.isWritable(out)) {
            throw new IllegalArgumentException("--out folder " + out + " is not writable");
        }
    }

    /**
     * The newest record of every trajectory on the compacted trajectories topic that was submitted in
     * {@code [from, to)} and has one of {@code statuses}, oldest submission first (ties by id).
     */
    public static List<Trajectory> read(String bootstrapServers, SchemaRegistryClient registry, String prefix,
                                        Instant from, Instant to, Set<TrajectoryStatus> statuses) {
        return read(KafkaClientSettings.of(bootstrapServers), registry, prefix, from, to, statuses);
    }

    /** As above, connecting with {@code kafka} (bootstrap servers, security.protocol, sasl.*, ssl.*). */
    public static List<Trajectory> read(KafkaClientSettings kafka, SchemaRegistryClient registry, String prefix,
                                        Instant from, Instant to, Set<TrajectoryStatus> statuses) {
        String topic = Topics.withPrefix(prefix).trajectories().name();
        IrgAvroDeserializer<Trajectory> d = new IrgAvroDeserializer<>(registry, Trajectory.class);
        Map<String, Trajectory> latest = new HashMap<>();
        // A trajectory's records are written at or after its submission; an hour covers clocks that disagree.
        Instant since = from.equals(Instant.EPOCH) ? from : from.minus(Duration.ofHours(1));
        TopicReader.read(kafka, topic, since, r -> {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                latest.remove(id);
                return;
            }
            Trajectory t = d.deserialize(r.topic(), r.value());
            if (t.getSubmittedAt() != null && (t.getSubmittedAt().isBefore(from) || !t.getSubmittedAt().isBefore(to))) {
                latest.remove(id); // outside the window for good: a submission time never changes
                return;
            }
            Trajectory seen = latest.get(id);
            if (seen == null || t.getRevision() >= seen.getRevision()) {
                latest.put(id, t);
            }
        });
        return latest.values().stream()
                .filter(t -> t.getSubmittedAt() != null && !t.getSubmittedAt().isBefore(from) && t.getSubmittedAt().isBefore(to))
                .filter(t -> statuses.contains(t.getStatus()))
                .sorted(Comparator.comparing(Trajectory::getSubmittedAt).thenComparing(Trajectory::getId))
                .toList();
    }

    /**
     * Writes the trajectories of {@code trajectories} that no earlier run into this folder has exported, in order.
     *
     * @throws IllegalStateException when another export holds this folder
     * @throws IOException           when the folder cannot be written; what was committed before stays committed
     */
    public Summary run(List<Trajectory> trajectories, Listener listener) throws IOException {
        long start = System.nanoTime();
        try (FileChannel lockChannel = FileChannel.open(out.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(lockChannel)) {
            List<JsonNode> log = recover();
            Set<String> done = new HashSet<>();
            int nextShard = 0;
            for (JsonNode line : log) {
                line.get("ids").forEach(id -> done.add(id.asText()));
                nextShard = Math.max(nextShard, shardNumber(line.get("shard").asText()) + 1);
            }
            List<Trajectory> todo = trajectories.stream().filter(t -> !done.contains(t.getId())).toList();
            int exported = 0;
            int problems = 0;
            int shardsWritten = 0;
            for (int from = 0; from < todo.size(); from += samplesPerShard) {
                List<Trajectory> batch = todo.subList(from, Math.min(todo.size(), from + samplesPerShard));
                String name = String.format("shard-%06d.tar", nextShard++);
                Path partial = out.resolve(name + ".partial");
                Path shard = out.resolve(name);
                MessageDigest sha = sha256();
                List<String> ids = new ArrayList<>();
                try (FileOutputStream file = new FileOutputStream(partial.toFile());
                     TarArchiveOutputStream tar = new TarArchiveOutputStream(
                             new BufferedOutputStream(new DigestOutputStream(file, sha), 1 << 16), StandardCharsets.UTF_8.name())) {
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    for (Trajectory t : batch) {
                        if (writeSample(tar, t)) {
                            problems++;
                        }
                        ids.add(t.getId());
                        exported++;
                        listener.sampleWritten(t.getId(), exported, todo.size());
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedIOException("export interrupted after " + exported + " of " + todo.size() + " trajectories");
                        }
                    }
                    tar.finish();
                    tar.flush();
                    file.getChannel().force(true);
                }
                long bytes = Files.size(partial);
                move(partial, shard);
                listener.shardRenamed(shard);
                ObjectNode line = AvroJson.MAPPER.createObjectNode();
                line.put("shard", name).put("samples", ids.size()).put("bytes", bytes)
                        .put("sha256", HexFormat.of().formatHex(sha.digest())).put("committedAt", Instant.now().toString());
                ArrayNode idArray = line.putArray("ids");
                ids.forEach(idArray::add);
                append(line);
                log.add(line);
                writeManifest(log);
                shardsWritten++;
            }
            if (log.isEmpty() || !Files.exists(out.resolve(MANIFEST_FILE))) {
                writeManifest(log);
            }
            return new Summary(exported, trajectories.size() - todo.size(), problems, shardsWritten, log.size(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** The WebDataset key of a trajectory: its id, with characters other than letters, digits, '-' and '_' as '_'. */
    public static String key(String trajectoryId) {
        return trajectoryId.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** Adds one sample; true when an image could not be read (the sidecar says which and why). */
    private boolean writeSample(TarArchiveOutputStream tar, Trajectory t) throws IOException {
        String key = key(t.getId());
        Map<String, ImageRef> files = new LinkedHashMap<>();
        if (t.getDraft() != null) {
            files.put("draft", t.getDraft());
        }
        if (t.getFinalImage() != null) {
            files.put("final", t.getFinalImage());
        }
        if (t.getReflectionRounds().size() > 1) {
            for (TrajectoryRound r : t.getReflectionRounds()) {
                if (r.getFinalImage() != null) {
                    files.put("final" + r.getRound(), r.getFinalImage());
                }
            }
        }
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        ObjectNode fileIndex = AvroJson.MAPPER.createObjectNode();
        ArrayNode imageProblems = AvroJson.MAPPER.createArrayNode();
        for (Map.Entry<String, ImageRef> f : files.entrySet()) {
            ImageRef ref = f.getValue();
            String name = f.getKey() + "." + extension(ref.getMediaType());
            try {
                bytes.put(name, images.bytes(ref));
                fileIndex.putObject(name).put("sha256", ref.getSha256()).put("mediaType", ref.getMediaType())
                        .put("width", ref.getWidth()).put("height", ref.getHeight()).put("sizeBytes", ref.getSizeBytes());
            } catch (ImageIntegrityException e) {
                imageProblems.addObject().put("file", name).put("sha256", ref.getSha256())
                        .put("error", e.getClass().getSimpleName()).put("message", e.getMessage());
            }
        }
        ObjectNode json = AvroJson.MAPPER.createObjectNode();
        json.put("key", key);
        json.setAll(AvroJson.fields(t, WITHOUT_INLINE_BYTES));
        json.set("files", fileIndex);
        json.set("imageProblems", imageProblems);
        Instant end = t.getCompletedAt() != null ? t.getCompletedAt() : t.getUpdatedAt();
        if (t.getSubmittedAt() != null && end != null) {
            json.put("endToEndMs", Duration.between(t.getSubmittedAt(), end).toMillis());
        }
        long mtime = end == null ? 0 : end.toEpochMilli();
        entry(tar, key + ".json", AvroJson.MAPPER.writeValueAsBytes(json), mtime);
        for (Map.Entry<String, byte[]> b : bytes.entrySet()) {
            entry(tar, key + "." + b.getKey(), b.getValue(), mtime);
        }
        return !imageProblems.isEmpty();
    }

    /**
     * The sidecar shows image references without their inline bytes or blob-store location: the bytes are the
     * sample's files, found by their sha256, and the store's paths and buckets stay out of a dataset that may travel.
     */
    private static final AvroJson.View WITHOUT_INLINE_BYTES = new AvroJson.View() {
        @Override
        public boolean omit(IndexedRecord record, String field) {
            return record instanceof ImageRef && (field.equals("inline") || field.equals("uri"));
        }
    };

    private static void entry(TarArchiveOutputStream tar, String name, byte[] data, long mtimeMillis) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setMode(0644);
        e.setModTime(mtimeMillis);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static String extension(String mediaType) {
        return switch (mediaType) {
            case "image/png" -> "png";
            case "image/jpeg" -> "jpg";
            case "image/webp" -> "webp";
            default -> "bin";
        };
    }

    /**
     * Reads the progress log, drops a torn last line, and deletes what no line commits: partial shards and shards a
     * crash renamed but did not log.
     */
    private List<JsonNode> recover() throws IOException {
        List<JsonNode> log = new ArrayList<>();
        Path progress = out.resolve(PROGRESS_FILE);
        Set<String> committed = new HashSet<>();
        if (Files.exists(progress)) {
            byte[] raw = Files.readAllBytes(progress);
            int lineStart = 0;
            long goodLength = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == '\n') {
                    String s = new String(raw, lineStart, i - lineStart, StandardCharsets.UTF_8);
                    JsonNode line;
                    try {
                        line = AvroJson.MAPPER.readTree(s);
                    } catch (IOException e) {
                        break;
                    }
                    if (line == null || !line.has("shard") || !line.has("ids")) {
                        break;
                    }
                    log.add(line);
                    committed.add(line.get("shard").asText());
                    lineStart = i + 1;
                    goodLength = i + 1;
                }
            }
            if (goodLength < raw.length) {
                try (FileChannel c = FileChannel.open(progress, StandardOpenOption.WRITE)) {
                    c.truncate(goodLength);
                    c.force(true);
                }
            }
        }
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                boolean orphan = SHARD.matcher(name).matches() && !committed.contains(name);
                if (orphan || (name.startsWith("shard-") && name.endsWith(".partial"))) {
                    Files.delete(f);
                }
            }
        }
        for (String shard : committed) {
            if (!Files.exists(out.resolve(shard))) {
                throw new IllegalStateException(out.resolve(shard) + " is named in " + PROGRESS_FILE
                        + " but is gone; restore it, or export into a new folder");
            }
        }
        return log;
    }

    private void append(ObjectNode line) throws IOException {
        byte[] b = (AvroJson.MAPPER.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel c = FileChannel.open(out.resolve(PROGRESS_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            c.write(java.nio.ByteBuffer.wrap(b));
            c.force(true);
        }
    }

    private void writeManifest(List<JsonNode> log) throws IOException {
        ObjectNode m = AvroJson.MAPPER.createObjectNode();
        m.put("format", "webdataset");
        m.put("samplesPerShard", samplesPerShard);
        int samples = 0;
        ArrayNode shards = m.putArray("shards");
        for (JsonNode line : log) {
            shards.addObject().put("name", line.get("shard").asText()).put("samples", line.get("samples").asInt())
                    .put("bytes", line.get("bytes").asLong()).put("sha256", line.get("sha256").asText());
            samples += line.get("samples").asInt();
        }
        m.put("samples", samples);
        m.put("sample", "<key>.json (the trajectory: prompt, thought, reflectionRounds with verdicts, steps with "
                + "provenance and timings, files with sha256, imageProblems), <key>.draft.png, <key>.final.png, "
                + "<key>.final<N>.png per round when there were several");
        Path tmp = out.resolve(MANIFEST_FILE + ".partial");
        Files.write(tmp, AvroJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        move(tmp, out.resolve(MANIFEST_FILE));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private FileLock tryLock(FileChannel c) throws IOException {
        FileLock lock;
        try {
            lock = c.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IllegalStateException("another export is writing " + out + "; wait for it or use another --out");
        }
        return lock;
    }

    private static int shardNumber(String name) {
        Matcher m = SHARD.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }
}
