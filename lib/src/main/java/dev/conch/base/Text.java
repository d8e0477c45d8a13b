package dev.conch.base;

/**
 * Text from outside made safe to print as part of one line: someone's input, or what anyone with
 * write access put in etcd (a command, a host, who added a job). A terminal's escape sequences and
 * line breaks among them are shown escaped.
 */
public final class Text {
  private Text() {}

  /**
   * Someone's input as a message shows it: quoted, control characters escaped, at most 64
   * characters of it.
   */
  public static String quote(String input) {
    if (input == null) return "(none)";
    String s =
        input.length() > 64 ? input.substring(0, 64) + "…(" + input.length() + " chars)" : input;
    return "'" + oneLine(s) + "'";
  }

  /** Text from etcd, printable as part of one line. */
  public static String printable(String s) {
    return s == null ? "null" : oneLine(s);
  }

  /**
   * A command's output from etcd, printable as lines: line feeds and tabs kept, every other control
   * character (a terminal's escape sequences, carriage returns) shown escaped.
   */
  public static String lines(String s) {
    return escaped(s, "\n\t");
  }

  static String oneLine(String s) {
    return escaped(s, "");
  }

  private static String escaped(String s, String kept) {
    if (s == null) return null;
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            c -> {
              if (kept.indexOf(c) < 0 && Character.isISOControl(c)
                  || Character.getType(c) == Character.LINE_SEPARATOR
                  || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format("\\u%04x", c));
              } else {
                b.appendCodePoint(c);
              }
            });
    return b.toString();
  }
}
