package dev.conch.base;

/**
 * The exit codes of contract section 5, and 71, conchd's own, and 99 for a bug. Which {@link
 * Failure} exits with which code is decided in one place, {@code cli.Tool}.
 */
public final class ExitCode {
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

  /**
   * An exception conch did not foresee: a bug, to report. Not 70 (sysexits' EX_SOFTWARE), which the
   * contract gives to a lost lease, nor any other sysexits code, so that monitoring can tell a bug
   * from every outcome the contract names.
   */
  public static final int INTERNAL = 99;

  private ExitCode() {}

  /** 128+N for signal N, as a shell reports it. */
  public static int signalled(int signal) {
    return 128 + signal;
  }
}
