package io.irgstream.app.logging;

import ch.qos.logback.classic.pattern.ExtendedThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.irgstream.schemas.PrintableText;

/**
 * Logback's {@code %ex} with control characters escaped, keeping the stack trace's line feeds and tabs: an exception
 * message that quotes a prompt cannot drive the terminal. Registered in {@code logback.xml}.
 */
public final class EscapedThrowableConverter extends ExtendedThrowableProxyConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return PrintableText.escape(super.convert(event), true);
    }
}
