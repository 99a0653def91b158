package io.irgstream.app.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.irgstream.schemas.PrintableText;

/**
 * Logback's {@code %msg} with control characters escaped ({@link PrintableText}): a prompt or reason with BEL, ESC, CR
 * or LF in it cannot drive the terminal that shows the log or forge a log line. Registered in {@code logback.xml}.
 */
public final class EscapedMessageConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return PrintableText.escape(super.convert(event));
    }
}
