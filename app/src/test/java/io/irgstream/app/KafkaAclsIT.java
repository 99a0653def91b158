package io.irgstream.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.irgstream.app.client.Redrive;
import io.irgstream.app.client.TopicReader;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.embedded.BrokerSecurity;
import io.irgstream.embedded.DevCertificates;
import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.model.Step;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.topology.TopologyService;
import io.irgstream.worker.Cancellations;
import io.irgstream.worker.StepWorker;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Least privilege on a SASL_SSL broker with the StandardAuthorizer ({@code allow.everyone.if.no.acl.found=false}):
 * the ACLs of {@code ./irg acls --apply} and nothing else let each role do its job over SCRAM-SHA-512 (a prompt
 * submitted by the submitter and one through the topology's API both complete through four workers of four
 * principals, followed by the topology and read back by the operator), and no more.
 */
@Timeout(180)
class KafkaAclsIT {
    static final String STORE_PASSWORD = "acls-it-store";
    static final String PREFIX = "irg.";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static DevCertificates certs;
    static EmbeddedKafkaBroker broker;
    static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        certs = DevCertificates.create(dir.resolve("certs"), STORE_PASSWORD, Duration.ofDays(1),
                List.of("irg-broker", "irg-admin", "irg-draw"));
        broker = EmbeddedKafkaBroker.builder(dir.resolve("kafka"))
                .security(BrokerSecurity.of(certs, "irg-broker", "irg-admin")).build().start();
        for (String role : List.of("think", "reflect", "refine", "topology", "submitter", "operator")) {
            broker.createScramUser("irg-" + role, role + "-secret");
        }
        registry = EmbeddedSchemaRegistry.builder().port(0).build().start();
        Map<String, Object> admin = new HashMap<>(certs.mtlsClientSettings("irg-admin"));
        admin.put("bootstrap.servers", broker.mtlsBootstrapServers());
        try (Admin a = Admin.create(admin)) {
            TopicBootstrap.ensureTopics(a, new TopicLayout(PREFIX, 1, TopicLayout.DEFAULT_RETENTION_MS).specs(1));
        }
        // the administrator applies the roles' ACLs with the CLI, over mutual TLS
        Path adminProperties = write("admin.properties", certs.mtlsClientSettings("irg-admin"));
        InProcessCli.Result applied = InProcessCli.run("acls", "--apply", "--bootstrap-servers",
                broker.mtlsBootstrapServers(), "--config", adminProperties.toString());
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("of think for User:irg-think", "of submitter for User:irg-submitter");
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static Map<String, Object> scram(String user, String password) {
        Map<String, Object> m = new HashMap<>(certs.trustSettings());
        m.put("bootstrap.servers", broker.bootstrapServers());
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        return m;
    }

    /** Mutual TLS with the certificate whose CN is {@code name}: the principal is {@code User:<name>}. */
    static Map<String, Object> mtls(String name) {
        Map<String, Object> m = new HashMap<>(certs.mtlsClientSettings(name));
        m.put("bootstrap.servers", broker.mtlsBootstrapServers());
        return m;
    }

    static Path write(String name, Map<String, Object> settings) throws Exception {
        Properties p = new Properties();
        settings.forEach((k, v) -> p.setProperty(k, v.toString()));
        Path f = dir.resolve(name);
        try (Writer w = Files.newBufferedWriter(f)) {
            p.store(w, null);
        }
        return f;
    }

    static WorkerConfig thinkWorker(String password, String workerId) {
        return worker(Step.THINK, password, workerId);
    }

    /** A worker of {@code step} over SASL_SSL with SCRAM; the draw worker over mutual TLS with its certificate. */
    static WorkerConfig worker(Step step, String password, String workerId) {
        Map<String, Object> w = new HashMap<>(step == Step.DRAW ? mtls("irg-draw") : scram("irg-" + step.id(), password));
        w.put(WorkerConfig.STEP, step.id());
        w.put(WorkerConfig.SCHEMA_REGISTRY_URL, registry.url());
        w.put(WorkerConfig.WORKER_ID, workerId);
        w.put(WorkerConfig.RECOVERY_BACKOFF_MS, "1000");
        return new WorkerConfig(w);
    }

    @Test
    void everyRoleDoesItsJobWithOnlyItsAcls() throws Exception {
        // the topology (Kafka Streams with exactly_once_v2, its live feed and its HTTP API's submitter)
        Map<String, Object> t = new HashMap<>(scram("irg-topology", "topology-secret"));
        t.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        t.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        t.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("streams").toString());
        t.put("webhook.allowed.hosts", "127.0.0.1"); // webhooks on: the dispatcher's group and dead letters too
        t.put("webhook.secret", "acls-it-webhook-secret");
        List<StepWorker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<Cancellations> followers = new ArrayList<>();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try (TopologyService topology = new TopologyService(t).start()) {
            // one worker per step, each with its own principal, as separate processes would run them (the draw
            // worker logs in with its certificate: the same ACLs hold for User:irg-draw over mutual TLS)
            for (Step step : Step.values()) {
                WorkerConfig config = worker(step, step.id() + "-secret", step.id() + "-0");
                Cancellations cancellations = Cancellations.open(config);
                followers.add(cancellations);
                StepWorker w = new StepWorker(config, new DeterministicTestModel(step, 0),
                        new HttpSchemaRegistryClient(registry.url()),
                        new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 256 * 1024), cancellations);
                workers.add(w);
                threads.add(new Thread(w, step.id() + "-0"));
            }
            threads.forEach(Thread::start);
            assertThat(topology.awaitRunning(Duration.ofSeconds(60))).isTrue();

            // the submitter submits with ./irg submit, a client of the API through the topology's submitter
            Path submitter = write("submitter.properties", scram("irg-submitter", "submitter-secret"));
            InProcessCli.Result submitted = InProcessCli.run("submit", "--config", submitter.toString(),
                    "--schema-registry", registry.url(), "a red circle");
            assertThat(submitted.exitCode()).as(submitted.err()).isZero();
            String viaCli = submitted.out().strip();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(topology.url()
                            + "/api/trajectories")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a blue square\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
            String viaApi = JSON.readTree(posted.body()).path("id").asText();

            for (String id : List.of(viaCli, viaApi)) {
                long until = System.currentTimeMillis() + 90_000;
                String status = "";
                while (!status.equals("COMPLETED") && System.currentTimeMillis() < until) {
                    HttpResponse<String> got = http.send(HttpRequest.newBuilder(URI.create(topology.url()
                            + "/api/trajectories/" + id)).build(), HttpResponse.BodyHandlers.ofString());
                    status = got.statusCode() == 200 ? JSON.readTree(got.body()).path("status").asText() : "";
                    Thread.sleep(200);
                }
                assertThat(status).as("trajectory %s", id).isEqualTo("COMPLETED");
            }
            assertThat(workers).allSatisfy(w -> assertThat(w.stats().deadLetters()).isZero());

            // the operator reads what the steps wrote, and lists the dead letters
            KafkaClientSettings operator = KafkaClientSettings.from(scram("irg-operator", "operator-secret"));
            List<String> finals = new ArrayList<>();
            TopicReader.read(operator, PREFIX + "final-images", Instant.EPOCH,
                    r -> finals.add(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(finals).contains(viaCli, viaApi);
            Path operatorProperties = write("operator.properties", scram("irg-operator", "operator-secret"));
            InProcessCli.Result listed = InProcessCli.run("dead-letters", "--config", operatorProperties.toString(),
                    "--schema-registry", registry.url());
            assertThat(listed.exitCode()).as(listed.err()).isZero();
            assertThat(listed.out()).contains("0 dead letters");
            // and redrives think with its own transactional id and its WRITE on the step topics
            DeterministicTestModel think = new DeterministicTestModel(Step.THINK, 0);
            HttpSchemaRegistryClient registryClient = new HttpSchemaRegistryClient(registry.url());
            Redrive.Plan plan = Redrive.plan(operator, registryClient, PREFIX, Step.THINK, Instant.EPOCH, null,
                    java.util.Set.of(viaCli), think.info().sha256(), true);
            assertThat(plan.toRedrive()).hasSize(1);
            List<Redrive.Result> redriven = Redrive.run(plan, operator, registryClient, PREFIX, think,
                    new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 256 * 1024), 1, "operator", r -> { });
            assertThat(redriven).singleElement().satisfies(r -> assertThat(r.error()).isNull());
            // nothing in any of these processes was refused (e.g. the topology's webhook dispatcher's group)
            assertThat(logs.list.stream().filter(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(
                    ch.qos.logback.classic.Level.WARN)).map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("uthoriz") || m.contains("denied") || m.contains("refused")).toList())
                    .isEmpty();
        } finally {
            root.detachAppender(logs);
            workers.forEach(w -> w.stop(Duration.ofSeconds(20)));
            for (Thread th : threads) {
                th.join(20_000);
            }
            followers.forEach(Cancellations::close);
        }
    }

    @Test
    void aThinkWorkersPrincipalCannotWriteFinalImagesNorReadReflections() {
        Map<String, Object> p = new HashMap<>(scram("irg-think", "think-secret"));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 25_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(PREFIX + "final-images", new byte[]{1}))
                    .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        Map<String, Object> c = new HashMap<>(scram("irg-think", "think-secret"));
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition reflections = new TopicPartition(PREFIX + "reflections", 0);
            consumer.assign(List.of(reflections));
            consumer.seekToBeginning(List.of(reflections));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }).isInstanceOf(TopicAuthorizationException.class).hasMessageContaining(PREFIX + "reflections");
        }
    }

    @Test
    void aWrongPasswordGivesOneClearLineNamingTheSettingAndABackoffNotACrashLoopOrALogFlood() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        List<Logger> watched = List.of((Logger) LoggerFactory.getLogger("io.irgstream"),
                (Logger) LoggerFactory.getLogger("org.apache.kafka"));
        watched.forEach(l -> l.addAppender(logs));
        try {
            // the worker process's cancellation follower: retried with a backoff, then the failure
            Map<String, Object> w = new HashMap<>(thinkWorker("wrong-password", "think-bad").originals());
            w.put(WorkerConfig.RECOVERY_MAX_ATTEMPTS, "2");
            w.put(WorkerConfig.RECOVERY_BACKOFF_MS, "200");
            WorkerConfig bounded = new WorkerConfig(w);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Cancellations.open(bounded))
                    .isInstanceOf(SaslAuthenticationException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            List<String> follower = messages(logs, "cannot follow");
            assertThat(follower).hasSize(2).allSatisfy(m -> assertThat(m)
                    .contains("refused the SASL login of user 'irg-think'", "check the user name and password in "
                            + "sasl.jaas.config").doesNotContain("wrong-password"));
            logs.list.clear();

            // the worker itself: it backs off (1 s, 2 s, ...) and stays up; one line per attempt says what to fix
            WorkerConfig config = thinkWorker("wrong-password", "think-bad");
            try (Cancellations cancellations = Cancellations.open(thinkWorker("think-secret", "think-c"))) {
                StepWorker worker = new StepWorker(config, new DeterministicTestModel(Step.THINK, 0),
                        new HttpSchemaRegistryClient(registry.url()),
                        new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 256 * 1024), cancellations);
                Thread t = new Thread(worker, "think-bad");
                t.start();
                Thread.sleep(4_000);
                assertThat(t.isAlive()).as("the worker backs off instead of exiting").isTrue();
                worker.stop(Duration.ofSeconds(10));
                t.join(15_000);
            }
            List<String> recoveries = messages(logs, "re-creating them in");
            assertThat(recoveries).hasSizeBetween(1, 3).allSatisfy(m -> assertThat(m)
                    .contains("sasl.jaas.config", "user 'irg-think'").doesNotContain("wrong-password"));
            assertThat(recoveries.get(0)).contains("re-creating them in 1000 ms");
            if (recoveries.size() > 1) {
                assertThat(recoveries.get(1)).contains("re-creating them in 2000 ms");
            }
            assertThat(logs.list).as("log lines in 4 s of wrong credentials").hasSizeLessThan(40);
        } finally {
            watched.forEach(l -> l.detachAppender(logs));
        }
    }

    @Test
    void aCliVerbWithAWrongPasswordSaysWhichSettingToFix() throws Exception {
        Path bad = write("bad.properties", scram("irg-submitter", "not-the-password"));
        InProcessCli.Result r = InProcessCli.run("submit", "--config", bad.toString(), "--schema-registry",
                registry.url(), "a red circle");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("refused the SASL login", "sasl.jaas.config").doesNotContain("not-the-password");
    }

    static List<String> messages(ListAppender<ILoggingEvent> logs, String containing) {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(containing)).toList();
    }
}
