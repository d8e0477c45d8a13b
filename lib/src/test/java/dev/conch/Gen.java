package dev.conch;

import java.util.List;
import java.util.Random;

/**
 * Seeded hostile strings for property tests: near-misses of valid input (one character inserted, removed
 * or replaced), path tricks, control characters, non-ASCII, whitespace, and lengths around the limits.
 * The seed is fixed unless {@code -Dconch.seed=N} says otherwise, so CI runs the same cases every time
 * and a failure names the seed that replays it.
 */
public final class Gen {
  public static final long SEED = Long.getLong("conch.seed", 20261124L);
  private static final String[] ODD = {"/", "..", "../", "./", "\\", " ", "\t", "\n", "\r", "\u0000", "\u001b[31m", "\u2028", "é", "ß",
      "\u202e", "\uD83D\uDE00", "\uFFFF", "*", "?", "%", "$", "'", "\"", ";", "&&", "|", "{", "}", "@", "#", ":", "=", ",", "-", "_", "."};
  private static final String SAFE = "ABCXYZabcxyz0189._-";

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

  /** {@code valid} with one character inserted, removed or replaced by something odd, or returned as is. */
  public String mutate(String valid) {
    if (valid.isEmpty()) return junk();
    int at = random.nextInt(valid.length() + 1);
    return switch (random.nextInt(5)) {
      case 0 -> valid.substring(0, at) + pick(ODD) + valid.substring(at);
      case 1 -> at < valid.length() ? valid.substring(0, at) + valid.substring(at + 1) : valid;
      case 2 -> at < valid.length() ? valid.substring(0, at) + pick(ODD) + valid.substring(at + 1) : valid + pick(ODD);
      case 3 -> pick(" ", "\t", "\n", "") + valid + pick(" ", "\n", "", "/");
      default -> valid;
    };
  }

  /** A message {@code seed N} so that a failing case can be replayed. */
  public static String replay(Object input) {
    return "input " + Gen.show(input) + " (replay with -Dconch.seed=" + SEED + ")";
  }

  private static String show(Object o) {
    if (o == null) return "null";
    String s = o.toString();
    StringBuilder b = new StringBuilder("\"");
    s.codePoints().limit(120).forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : new String(Character.toChars(c))));
    return b.append(s.length() > 120 ? "…\"" : "\"").toString();
  }
}
