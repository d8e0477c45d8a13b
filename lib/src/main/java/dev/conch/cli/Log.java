package dev.conch.cli;

import java.util.regex.Pattern;

/** conch's own lines on stderr: one line per event, naming the tool and the name it acts on. */
public final class Log {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private Log() {}

  /** A name that is not a valid one (it is being rejected) is quoted, so that it cannot break the line. */
  public static void line(String tool, String name, String message) {
    System.err.println("conch " + tool + " " + (name != null && PLAIN.matcher(name).matches() ? name : Exit.quote(name)) + ": " + message);
    System.err.flush();
  }
}
