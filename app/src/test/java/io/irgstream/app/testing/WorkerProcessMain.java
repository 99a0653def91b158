package io.irgstream.app.testing;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.worker.StepWorker;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.BlockingTestModel;
import io.irgstream.worker.testing.DeterministicTestModel;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A step worker with a test-double model in its own JVM, so a test can kill it with SIGKILL mid-batch.
 * Args: bootstrap registryUrl topicPrefix step workerId blobDir model maxBatchSize [s3Endpoint], where model is a
 * delay per batch in ms ({@link DeterministicTestModel}) or {@code block:N}: a {@link BlockingTestModel} whose N-th
 * call prints {@value #BATCH_RUNNING} and the batch's trajectory ids (comma-separated) on one line, then blocks. With an
 * {@code s3://bucket/prefix} as blobDir and the endpoint of an S3 server (path-style; credentials from the SDK's
 * default chain, e.g. {@code -Daws.accessKeyId}), every image goes through that store.
 */
public final class WorkerProcessMain {
    /** What the blocking model prints when its batch is running. */
    public static final String BATCH_RUNNING = "BATCH-RUNNING ";

    public static void main(String[] args) {
        Map<String, Object> p = new HashMap<>();
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, args[0]);
        p.put(WorkerConfig.SCHEMA_REGISTRY_URL, args[1]);
        p.put(WorkerConfig.TOPIC_PREFIX, args[2]);
        p.put(WorkerConfig.STEP, args[3]);
        p.put(WorkerConfig.WORKER_ID, args[4]);
        p.put(WorkerConfig.BLOB_STORE_PATH, args[5]);
        p.put(WorkerConfig.MAX_BATCH_SIZE, args[7]);
        p.put(WorkerConfig.MAX_BATCH_WAIT_MS, "50");
        boolean s3 = args[5].startsWith("s3://");
        if (s3) {
            p.put(BlobStoreConfig.URI, args[5]);
            p.put(BlobStoreConfig.S3_ENDPOINT, args[8]);
            p.put(BlobStoreConfig.S3_PATH_STYLE, "true");
            p.put(BlobStoreConfig.S3_REGION, "us-east-1");
            p.put(WorkerConfig.BLOB_STORE_PATH, ".");
        }
        WorkerConfig config = new WorkerConfig(p);
        Step step = Step.parse(args[3]);
        StepModel model = args[6].startsWith("block:")
                ? new BlockingTestModel(step, Integer.parseInt(args[6].substring("block:".length())), ids -> {
                    System.out.println(BATCH_RUNNING + String.join(",", ids));
                    System.out.flush();
                })
                : new DeterministicTestModel(step, Long.parseLong(args[6]));
        StepWorker w = new StepWorker(config, model, new HttpSchemaRegistryClient(args[1]),
                new ImageStore(new BlobStoreConfig(p).open(config.blobStorePath()), s3 ? 0 : 256 * 1024), null);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> w.stop(Duration.ofSeconds(20))));
        System.out.println("WORKER-STARTED");
        System.out.flush();
        w.run();
    }
}
