package dev.conch.cli;

/** The exit codes of contract section 5 (and 71, conchd's own), and the exception that carries one to the top. */
public final class Exit {
  public static final int OK = 0;
  public static final int NOTHING = 1;
  public static final int USAGE = 64;
  public static final int UNAVAILABLE = 69;
  public static final int LEASE_LOST = 70;
  /** conchd cannot listen on its {@code --metrics} address (in use, not this host's, not permitted): sysexits' EX_OSERR. */
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

    public Failure(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  public static Failure usage(String message) {
    return new Failure(USAGE, message);
  }
}
