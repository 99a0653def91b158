package io.irgstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.schemas.AvroJson;
import org.junit.jupiter.api.Test;

class WatchCommandTest {

    @Test
    void shouldEscapeTerminalControlsWhenAFailureReasonQuotesThePrompt() throws Exception {
        JsonNode t = AvroJson.MAPPER.readTree("{\"status\": \"FAILED\", \"currentRound\": 0, "
                + "\"failureReason\": \"think: bad prompt 'x\\u0007\\u001b]0;pwned\\u0007\\r\\nCOMPLETED'\"}");

        String line = WatchCommand.describe(t);

        assertThat(line).endsWith("FAILED     failed: think: bad prompt 'x\\x07\\x1b]0;pwned\\x07\\x0d\\x0aCOMPLETED'");
        assertThat(line.chars().noneMatch(Character::isISOControl)).isTrue();
    }
}
