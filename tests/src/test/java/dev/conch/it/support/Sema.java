package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Contenders on semaphore {@code s}, queued one after the other, and its {@code --who}. */
public final class Sema {
  private Sema() {}

  /** A started contender and its key in the queue. */
  public record Queued(Conch.Run run, String key) {}

  /**
   * A contender on semaphore {@code s} running {@code bash -c script}, once it has queued, so the
   * next contender's create revision is higher.
   */
  public static Queued queueScript(Conch c, String script, String... opts) {
    List<String> args = new ArrayList<>(List.of("sema", "s"));
    args.addAll(List.of(opts));
    args.addAll(List.of("--", "bash", "-c", script));
    List<String> before = c.keys();
    Conch.Run r = c.start(args.toArray(String[]::new));
    c.awaitKeys(before.size() + 1);
    List<String> added = new ArrayList<>(c.keys());
    added.removeAll(before);
    assertEquals(1, added.size(), "one new key: " + added);
    return new Queued(r, added.get(0));
  }

  public static Conch.Run who(Conch c, String... more) {
    List<String> args = new ArrayList<>(List.of("sema", "s", "--who"));
    args.addAll(List.of(more));
    return c.run(args.toArray(String[]::new));
  }

  /** The holders' pids, in rank order, from {@code --who --json}. */
  public static List<Long> holderPids(Conch c) {
    Conch.Run w = who(c, "--json");
    assertEquals(0, w.exit(0), w.stderr());
    List<Long> pids = new ArrayList<>();
    Matcher m = Pattern.compile("\"pid\":(\\d+)").matcher(w.stdout());
    while (m.find()) pids.add(Long.parseLong(m.group(1)));
    return pids;
  }
}
