package io.irgstream.app.testing;

import io.irgstream.model.Step;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.worker.StepWorker;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.DeterministicTestModel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A step worker with a slow test-double model in its own JVM, so a test can kill it with SIGKILL mid-batch.
 * Args: bootstrap registryUrl topicPrefix step workerId blobDir delayMsPerBatch maxBatchSize.
 */
public final class WorkerProcessMain {
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
        WorkerConfig config = new WorkerConfig(p);
        DeterministicTestModel model = new DeterministicTestModel(Step.parse(args[3]), Long.parseLong(args[6]));
        StepWorker w = new StepWorker(config, model, new HttpSchemaRegistryClient(args[1]),
                new ImageStore(new FileSystemBlobStore(Path.of(args[5])), 256 * 1024), null);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> w.stop(Duration.ofSeconds(20))));
        System.out.println("WORKER-STARTED");
        System.out.flush();
        w.run();
    }
}
