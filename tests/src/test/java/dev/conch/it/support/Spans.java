package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Commands that say when they run: {@code start ID REV NANOS} as they start and {@code end ID REV
 * NANOS} on SIGTERM (bash's wall clock, appended to one log), so a test sees who ran beside whom
 * and when each command ended.
 */
public final class Spans {
  private Spans() {}

  /** One run of command {@code id}; {@code end} is Long.MAX_VALUE while it runs. */
  public record Span(String id, long rev, long start, long end) {}

  /** {@code -- bash -c ...}: logs its start, runs until SIGTERM, logs its end and exits 143. */
  public static List<String> command(Path log, String id) {
    String line = " $CONCH_REV $(date +%s%N)\" >> \"" + log + "\"";
    return List.of(
        "--",
        "bash",
        "-c",
        ("echo \"start " + id + line + "; ")
            + ("trap 'echo \"end " + id + line + "; exit 143' TERM; ")
            + "sleep 300 & wait");
  }

  /** The runs logged so far, in the order they started. */
  public static List<Span> read(Path log) {
    List<Span> spans = new ArrayList<>();
    for (String line : Conch.lines(log)) {
      String[] f = line.split(" ");
      long at = Long.parseLong(f[3]);
      if (f[0].equals("start")) {
        spans.add(new Span(f[1], Long.parseLong(f[2]), at, Long.MAX_VALUE));
        continue;
      }
      for (int i = spans.size() - 1; i >= 0; i--) {
        Span s = spans.get(i);
        if (s.id().equals(f[1]) && s.end() == Long.MAX_VALUE) {
          spans.set(i, new Span(s.id(), s.rev(), s.start(), at));
          break;
        }
      }
    }
    spans.sort(Comparator.comparingLong(Span::start));
    return spans;
  }

  /** The runs of the commands {@code ids}, in the order they started. */
  public static List<Span> of(Path log, List<String> ids) {
    return read(log).stream().filter(s -> ids.contains(s.id())).toList();
  }

  /**
   * Each run of {@code ids} started only after every earlier one had ended: never two at once (one
   * office, or a semaphore of one); returns the smallest gap from an end to the next start (ms).
   */
  public static long assertOneAtATime(Path log, List<String> ids) {
    List<Span> spans = of(log, ids);
    long gap = Long.MAX_VALUE;
    for (int i = 1; i < spans.size(); i++) {
      long ended = spans.subList(0, i).stream().mapToLong(Span::end).max().orElseThrow();
      assertTrue(ended <= spans.get(i).start(), "two at once: " + spans);
      gap = Math.min(gap, (spans.get(i).start() - ended) / 1_000_000);
    }
    return gap;
  }
}
