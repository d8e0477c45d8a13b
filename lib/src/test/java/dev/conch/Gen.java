package dev.conch;

import java.util.List;
import java.util.Random;

/**
 * Seeded hostile strings for property tests: near-misses of valid input (one character inserted,
 * removed or replaced), path tricks, control characters, non-ASCII, whitespace, and lengths around
 * the limits. The seed is fixed unless {@code -Dconch.seed=N} says otherwise, so CI runs the same
 * cases every time and a failure names the seed that replays it.
 */
public final class Gen {
  public static final long SEED = Long.getLong("conch.seed", 20261124L);
  private static final String[] ODD = {
    "/",
    "..",
    "../",
    "./",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\u0000",
    "\u001b[31m",
    "\u2028",
    "é",
    "ß",
    "\u202e",
    "\uD83D\uDE00",
    "\uFFFF",
    "*",
    "?",
    "%",
    "$",
    "'",
    "\"",
    ";",
    "&&",
    "|",
    "{",
    "}",
    "@",
    "#",
    ":",
    "=",
    ",",
    "-",
    "_",
    "."
  };
  private static final String SAFE = "ABCXYZabcxyz0189._-";
  private static final List<String> ZONES =
      java.time.ZoneId.getAvailableZoneIds().stream().sorted().toList(); // stable for the seed

  private final Random random;

  public Gen(String salt) {
    this.random = new Random(SEED ^ salt.hashCode());
  }

  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  public <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  public String pick(String... from) {
    return from[random.nextInt(from.length)];
  }

  /** A short run of characters that are always fine in names. */
  public String safe(int max) {
    StringBuilder b = new StringBuilder();
    int n = 1 + random.nextInt(max);
    for (int i = 0; i < n; i++) b.append(SAFE.charAt(random.nextInt(SAFE.length())));
    return b.toString();
  }

  /** Anything at all: a mix of safe runs and odd pieces, sometimes long. */
  public String junk() {
    StringBuilder b = new StringBuilder();
    int parts = random.nextInt(6);
    for (int i = 0; i < parts; i++) b.append(random.nextBoolean() ? safe(8) : pick(ODD));
    if (random.nextInt(20) == 0) b.append("x".repeat(100 + random.nextInt(200)));
    return b.toString();
  }

  /**
   * {@code valid} with one character inserted, removed or replaced by something odd, or returned as
   * is.
   */
  public String mutate(String valid) {
    if (valid.isEmpty()) return junk();
    int at = random.nextInt(valid.length() + 1);
    return switch (random.nextInt(5)) {
      case 0 -> valid.substring(0, at) + pick(ODD) + valid.substring(at);
      case 1 -> at < valid.length() ? valid.substring(0, at) + valid.substring(at + 1) : valid;
      case 2 ->
          at < valid.length()
              ? valid.substring(0, at) + pick(ODD) + valid.substring(at + 1)
              : valid + pick(ODD);
      case 3 -> pick(" ", "\t", "\n", "") + valid + pick(" ", "\n", "", "/");
      default -> valid;
    };
  }

  /**
   * A name for an office, semaphore or job: valid, nearly valid, around the length limit, or junk.
   */
  public String name() {
    return switch (nextInt(4)) {
      case 0 -> safe(12);
      case 1 -> mutate(safe(12));
      case 2 -> "x".repeat(126 + nextInt(4));
      default -> junk();
    };
  }

  /** A duration: sums of digits and units, valid and not, or a near-miss of a valid one. */
  public String duration() {
    if (nextInt(3) == 0) return mutate(pick("250ms", "5s", "1m30s", "1h", "0s", "999999999h"));
    StringBuilder b = new StringBuilder();
    for (int p = 1 + nextInt(4); p > 0; p--) {
      for (int n = 1 + nextInt(nextInt(4) == 0 ? 12 : 4); n > 0; n--) b.append(nextInt(10));
      b.append(pick("ms", "s", "m", "h", "d", "S", "", " ", "us", "."));
    }
    return b.toString();
  }

  /**
   * One cron field around its range {@code lo..hi}: stars, steps, ranges, lists, out of range,
   * extensions, junk.
   */
  private String field(int lo, int hi) {
    int span = hi - lo + 3;
    String n = Integer.toString(lo - 1 + nextInt(span));
    String m = Integer.toString(lo - 1 + nextInt(span));
    return switch (nextInt(9)) {
      case 0, 1 -> "*";
      case 2 -> n;
      case 3 -> "*/" + nextInt(hi + 2);
      case 4 -> n + "-" + m;
      case 5 -> n + "," + m;
      case 6 -> pick("L", "W", "?", "#", "MON", "JAN", "sun-sat", "1L", "5#2", "");
      case 7 -> n + "-" + m + "/" + nextInt(5);
      default -> junk();
    };
  }

  /**
   * A schedule: five (or six) generated fields, a nickname, {@code @every D}, or a near-miss of a
   * valid one.
   */
  public String schedule() {
    return switch (nextInt(6)) {
      case 0 ->
          pick(
              "@hourly",
              "@daily",
              "@midnight",
              "@weekly",
              "@monthly",
              "@yearly",
              "@annually",
              "@reboot",
              "@every",
              "@");
      case 1 -> "@every " + pick("1s", "7s", "1m30s", "1500ms", "0s", "1h", "999999999h", junk());
      case 2 ->
          mutate(
              pick(
                  "*/5 * * * *",
                  "0 9 * * 1-5",
                  "30 2 * * *",
                  "0 0 1 1 *",
                  "@every 10s",
                  "0 0 30 2 *"));
      default ->
          String.join(
                  pick(" ", " ", "  ", "\t"),
                  field(0, 59),
                  field(0, 23),
                  field(1, 31),
                  field(1, 12),
                  field(0, 7))
              + (nextInt(10) == 0 ? " " + field(0, 59) : "");
    };
  }

  /** A zone: a real region id, a near-miss of one, offsets written many ways, or junk. */
  public String zone() {
    return switch (nextInt(5)) {
      case 0, 1 -> pick(ZONES);
      case 2 -> mutate(pick(ZONES));
      case 3 ->
          pick(
              "UTC",
              "Z",
              "+05:00",
              "-14:00",
              "+18:01",
              "UTC+5",
              "GMT-3",
              "UT",
              "+5",
              "Etc/GMT+12",
              "../../etc/passwd",
              "");
      default -> junk();
    };
  }

  /** Names the input and the seed that replays it. */
  public static String replay(Object input) {
    return "input " + Gen.show(input) + " (replay with -Dconch.seed=" + SEED + ")";
  }

  private static String show(Object o) {
    if (o == null) return "null";
    String s = o.toString();
    StringBuilder b = new StringBuilder("\"");
    s.codePoints()
        .limit(120)
        .forEach(
            c ->
                b.append(
                    c < 0x20 || c == 0x7f
                        ? String.format("\\u%04x", c)
                        : new String(Character.toChars(c))));
    return b.append(s.length() > 120 ? "…\"" : "\"").toString();
  }
}
