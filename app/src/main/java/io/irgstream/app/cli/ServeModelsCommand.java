package io.irgstream.app.cli;

import io.irgstream.app.serve.ModelServer;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code irg serve-models}: the step models of a folder over the OpenAI-compatible APIs. */
@Command(name = "serve-models", mixinStandardHelpOptions = true,
        description = "Serve the step models of a folder (think.pt, draw.pt, reflect.pt, refine.pt) over the "
                + "OpenAI-compatible APIs that model.backend=openai calls: /v1/models, /v1/chat/completions (think, "
                + "reflect), /v1/images/generations (draw), /v1/images/edits (refine). Models are named after their "
                + "file, e.g. shapes-think. Runs until stopped (SIGTERM or Ctrl-C).")
public final class ServeModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "8090", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--models", defaultValue = "${env:IRG_MODELS:-models/shapes}", paramLabel = "DIR",
            description = "Folder with think.pt, draw.pt, reflect.pt and refine.pt (default: $IRG_MODELS, set by ./irg to the repository's models/shapes).")
    Path modelDir;

    @Option(names = "--api-key-env", paramLabel = "NAME",
            description = "Require 'Authorization: Bearer <key>' with the key in this environment variable (default: no key).")
    String apiKeyEnv;

    @Override
    public Integer call() throws Exception {
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("environment variable " + apiKeyEnv + " (--api-key-env) is not set");
            }
        }
        Models.requirePresent(modelDir);
        List<StepModel> models = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        try {
            for (Step s : Step.values()) {
                models.add(Models.loader(modelDir).apply(s));
            }
            try (ModelServer server = new ModelServer(models, key)) {
                int bound = server.start(host, port);
                PrintWriter out = spec.commandLine().getOut();
                out.println("serving " + models.stream().map(m -> m.info().name()).toList() + " at http://" + host + ":"
                        + bound + "/v1");
                out.flush();
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "irg-serve-models-shutdown"));
                stop.await();
            }
        } finally {
            models.forEach(StepModel::close);
        }
        return 0;
    }
}
