package dev.conch.base;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as ops write them: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, or sums like
 * {@code 1m30s}.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
  private static final Pattern WHOLE = Pattern.compile("(?:\\d{1,9}(?:ms|s|m|h))+");
  private static final long MAX_PART = 999_999_999;
  private static final Duration LONGEST = Duration.ofHours(MAX_PART);

  private Durations() {}

  public static Duration parse(String text) {
    // the length bound keeps every sum far from overflowing a long of milliseconds
    if (text == null || text.length() > 64 || !WHOLE.matcher(text).matches()) {
      throw Failure.badInput(
          "invalid duration " + Text.quote(text) + ": write it like 250ms, 5s, 2m or 1h");
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
    }
    // longer could not be written back in parts of 9 digits (a stored job's timeout must parse
    // again)
    if (total.compareTo(LONGEST) > 0)
      throw Failure.badInput(
          "invalid duration " + Text.quote(text) + ": longer than " + MAX_PART + "h");
    return total;
  }

  /**
   * The shortest faithful spelling, for messages and stored values: {@code parse(format(d))} is
   * {@code d}.
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0 && ms > 0 && ms / 60_000 <= MAX_PART) return ms / 60_000 + "m";
    if (ms % 1000 == 0 && ms / 1000 <= MAX_PART) return ms / 1000 + "s";
    if (ms <= MAX_PART) return ms + "ms";
    StringBuilder b = new StringBuilder(); // too many digits for one unit: a sum of parts
    long[] units = {3_600_000, 60_000, 1000, 1};
    String[] names = {"h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      if (ms / units[i] > 0) b.append(ms / units[i]).append(names[i]);
      ms %= units[i];
    }
    return b.toString();
  }

  /** Seconds with millisecond precision, as bash's read -t and sleep take them. */
  public static String seconds(Duration d) {
    long ms = Math.max(0, d.toMillis());
    return String.format("%d.%03d", ms / 1000, ms % 1000);
  }
}
