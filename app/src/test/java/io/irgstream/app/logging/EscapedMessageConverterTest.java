package io.irgstream.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The shipped logback.xml escapes control characters in messages and exceptions. */
class EscapedMessageConverterTest {

    @Test
    void shouldEscapeAPromptsControlCharactersWhenTheShippedConfigurationLogsIt() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(EscapedMessageConverterTest.class.getResource("/logback.xml"));
            Logger log = context.getLogger("io.irgstream.test");
            String prompt = "a circle\u0007\u001b[2J\r\n12:00:00.000 ERROR forged";

            log.warn("skipping prompt {}", prompt);
            log.error("step failed", new IllegalStateException("bad prompt " + prompt));
        } finally {
            context.stop();
            System.setErr(err);
        }

        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("skipping prompt a circle\\x07\\x1b[2J\\x0d\\x0a12:00:00.000 ERROR forged")
                .contains("IllegalStateException: bad prompt a circle\\x07\\x1b[2J\\x0d\n12:00:00.000 ERROR forged")
                .doesNotContain("\u0007").doesNotContain("\u001b").doesNotContain("\r");
        assertThat(out.lines().filter(l -> l.contains("ERROR forged")).count()).isEqualTo(2);
    }
}
