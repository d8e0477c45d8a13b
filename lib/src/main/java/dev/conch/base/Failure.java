package dev.conch.base;

/**
 * A failure conch foresaw, in the words of what went wrong: one line for stderr and its kind. The
 * recipes raise these; only {@code cli.Exit} turns a kind into an exit code, so that an unforeseen
 * exception (a bug) can never pass for one of them.
 */
public final class Failure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as a caller tells the outcomes apart (contract section 5). */
  public enum Kind {
    /** A bad flag, name, duration or schedule: nothing was written. */
    BAD_INPUT,
    /** etcd did not answer within the dial timeout, or failed while we worked. */
    UNAVAILABLE,
    /** etcd refused: authentication or permission. */
    REFUSED,
    /** --nonblock found no free slot, or --timeout passed. */
    NOT_ACQUIRED,
    /** conchd cannot listen on its --metrics address. */
    CANNOT_LISTEN,
    /** A signal came while waiting: the command never ran ({@link #signal} says which). */
    INTERRUPTED
  }

  public final Kind kind;

  /** The signal's number for {@link Kind#INTERRUPTED}, else 0. */
  public final int signal;

  /**
   * The message is made one line: whatever input it echoes cannot break the "one line on stderr"
   * rule.
   */
  public Failure(Kind kind, String message) {
    this(kind, 0, message);
  }

  private Failure(Kind kind, int signal, String message) {
    super(Text.oneLine(message), null, false, false);
    this.kind = kind;
    this.signal = signal;
  }

  public static Failure badInput(String message) {
    return new Failure(Kind.BAD_INPUT, message);
  }

  public static Failure interrupted(int signal, String message) {
    return new Failure(Kind.INTERRUPTED, signal, message);
  }
}
