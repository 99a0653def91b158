package io.irgstream.app.cli;

import io.irgstream.events.DeadLetter;
import io.irgstream.model.Step;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code irg retry-dead-letters}: put dead-lettered records back on their input topic, after a fix. */
@Command(name = "retry-dead-letters", mixinStandardHelpOptions = true,
        description = "Re-submit dead-lettered records, unchanged, to the topic they came from, so the step tries them "
                + "again (after a fix: a new model, a repaired blob store). The dead letters stay as the record of "
                + "what failed; the trajectory resumes when the step succeeds.")
public final class RetryDeadLettersCommand implements Callable<Integer> {
    /** The step of the topology's dead letters for callbacks that kept failing (never re-submitted). */
    static final String WEBHOOK_STEP = "webhook";

    @Spec
    CommandSpec spec;

    @Mixin
    DeadLetterOptions deadLetters;

    @Option(names = "--step", description = "Only dead letters of this step (think, draw, reflect, refine).")
    String step;

    @Option(names = "--id", description = "Only dead letters of this trajectory.")
    String id;

    @Option(names = "--dry-run", description = "List what would be re-submitted, send nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        deadLetters.cluster.requireExternal();
        String stepId = step == null ? null : Step.parse(step).id();
        List<DeadLetter> chosen = new ArrayList<>();
        deadLetters.read(deadLetters.from(), dl -> {
            if ((stepId == null || stepId.equals(dl.getStep())) && (id == null || id.equals(dl.getTrajectoryId()))) {
                chosen.add(dl);
            }
        });
        Map<String, Object> p = deadLetters.cluster.kafka().applyTo(new HashMap<>());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        int sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (DeadLetter dl : chosen) {
                String line = dl.getStep() + "\t" + dl.getTrajectoryId() + "\t" + dl.getTopic() + "-" + dl.getPartition()
                        + "@" + dl.getOffset() + "\t" + dl.getErrorMessage();
                if (dl.getValue() == null) {
                    spec.commandLine().getErr().println("skipped (no value to re-submit): " + line);
                    continue;
                }
                if (WEBHOOK_STEP.equals(dl.getStep())) {
                    // its value is a trajectory record: written back, it would overwrite the topology's newer one
                    spec.commandLine().getErr().println("skipped (a callback that kept failing: the trajectory had "
                            + "ended, nothing to re-run; docs/api.md#webhooks): " + line);
                    continue;
                }
                if (!dryRun) {
                    producer.send(new ProducerRecord<>(dl.getTopic(), null, Instant.now().toEpochMilli(), bytes(dl.getKey()),
                            bytes(dl.getValue()))).get(30, TimeUnit.SECONDS);
                }
                sent++;
                spec.commandLine().getOut().println((dryRun ? "would re-submit\t" : "re-submitted\t") + line);
            }
        }
        spec.commandLine().getOut().println(sent + " of " + chosen.size() + " dead letters " + (dryRun ? "would be " : "")
                + "re-submitted");
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
