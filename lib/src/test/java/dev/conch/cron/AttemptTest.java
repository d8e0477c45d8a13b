package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttemptTest {
  @Test
  void invalidUtf8IsReplacedAndACharacterCutByTheTailIsDropped() {
    byte[] euro = "€x".getBytes(StandardCharsets.UTF_8); // E2 82 AC 78
    assertEquals("x", Attempt.text(Arrays.copyOfRange(euro, 1, euro.length)));
    assertEquals("a\uFFFDb", Attempt.text(new byte[] {'a', (byte) 0xFF, 'b'}));
    assertEquals("\u001b[31m", Attempt.text("\u001b[31m".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void elevenAttemptsOfTheWorstOutputFitOneRecordTheNewestWhole() {
    String worst = "\u0001".repeat(65536); // six bytes of JSON each
    List<Attempt> all = new ArrayList<>();
    for (int i = 1; i <= 11; i++) all.add(new Attempt(i, "s", "e", 1, null, worst, 65536L));
    List<Attempt> fit = Attempt.fit(all);
    int size =
        fit.stream()
            .mapToInt(a -> Json.write(a.output()).getBytes(StandardCharsets.UTF_8).length)
            .sum();
    assertTrue(size <= Attempt.OUTPUT_BUDGET, "outputs " + size);
    assertEquals(worst, fit.get(10).output(), "the newest attempt's tail is whole");
    assertEquals(11, fit.size());
    assertTrue(
        Json.write(new Run("t", "failed", "h", 1L, "d", "s", "e", 1, null, null, null, null, fit))
                .length()
            < 1024 * 1024);
  }
}
