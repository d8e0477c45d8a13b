package dev.conch.cli;

/**
 * The exit codes of contract section 5 (and 71, conchd's own), and the exception that carries one
 * to the top.
 */
public final class Exit {
  public static final int OK = 0;
  public static final int NOTHING = 1;
  public static final int USAGE = 64;
  public static final int UNAVAILABLE = 69;
  public static final int LEASE_LOST = 70;

  /**
   * conchd cannot listen on its {@code --metrics} address (in use, not this host's, not permitted):
   * sysexits' EX_OSERR.
   */
  public static final int CANNOT_LISTEN = 71;

  public static final int NOT_ACQUIRED = 75;
  public static final int REFUSED = 77;

  private Exit() {}

  /** 128+N for signal N, as a shell reports it. */
  public static int signalled(int signal) {
    return 128 + signal;
  }

  /** A conch-made failure: one line for stderr and the code to exit with. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int code;

    /**
     * The message is made one line: whatever input it echoes cannot break the "one line on stderr"
     * rule.
     */
    public Failure(int code, String message) {
      super(oneLine(message), null, false, false);
      this.code = code;
    }
  }

  public static Failure usage(String message) {
    return new Failure(USAGE, message);
  }

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

  /**
   * Text from etcd (a command, a host, who added a job) made safe to print as part of one line:
   * control characters, a terminal's escape sequences among them, are shown escaped.
   */
  public static String printable(String s) {
    return s == null ? "null" : oneLine(s);
  }

  private static String oneLine(String s) {
    if (s == null) return null;
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            c -> {
              if (Character.isISOControl(c)
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
