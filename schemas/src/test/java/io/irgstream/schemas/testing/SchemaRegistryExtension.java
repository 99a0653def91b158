package io.irgstream.schemas.testing;

import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryClient;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-memory {@link EmbeddedSchemaRegistry} on a free port for a test class, with a client for it.
 *
 * <p>Registered on a {@code static} field, one registry serves the whole class (started before all tests, closed after
 * them); on an instance field, each test gets a fresh, empty registry:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
 * ...
 * new IrgAvroSerializer<>(registry.client());
 * }</pre>
 */
public final class SchemaRegistryExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;
    /** Whether this registry lives for the class (static field) rather than for one test. */
    private boolean perClass;

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stop();
        }
    }

    /** @return the registry's base URL, e.g. {@code http://127.0.0.1:40745} */
    public String url() {
        return running().url();
    }

    /** @return a client of the running registry */
    public SchemaRegistryClient client() {
        running();
        return client;
    }

    /** @return the running registry */
    public EmbeddedSchemaRegistry registry() {
        return running();
    }

    private EmbeddedSchemaRegistry running() {
        if (registry == null) {
            throw new IllegalStateException("the schema registry is not running: register this extension with"
                    + " @RegisterExtension and use it from a test or a @BeforeEach/@BeforeAll method");
        }
        return registry;
    }

    private void start() {
        registry = EmbeddedSchemaRegistry.builder().port(0).build().start();
        client = new HttpSchemaRegistryClient(registry.url());
    }

    private void stop() {
        if (registry != null) {
            registry.close();
            registry = null;
            client = null;
        }
    }
}
