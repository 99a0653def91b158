package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTextTest {

    @Test
    void shouldEscapeBellEscapeCarriageReturnAndNewlineWhenAPromptCarriesThem() {
        String prompt = "a red circle\u0007\u001b]0;owned\u0007\r\nERROR fake line\u0000";

        String printed = PrintableText.escape(prompt);

        assertThat(printed).isEqualTo("a red circle\\x07\\x1b]0;owned\\x07\\x0d\\x0aERROR fake line\\x00");
        assertThat(printed.chars().noneMatch(Character::isISOControl)).isTrue();
    }

    @Test
    void shouldLeaveOrdinaryTextAloneWhenThereIsNothingToEscape() {
        assertThat(PrintableText.escape("un cercle rouge, 赤い円 🔴")).isEqualTo("un cercle rouge, 赤い円 🔴");
        assertThat(PrintableText.escape(null)).isNull();
    }

    @Test
    void shouldEscapeC1AndBidiOverridesAndKeepLinesOnlyWhenAsked() {
        assertThat(PrintableText.escape("x\u009by\u202ez")).isEqualTo("x\\x9by\\u202ez");
        assertThat(PrintableText.escape("at a\n\tat b\r", true)).isEqualTo("at a\n\tat b\\x0d");
    }
}
