package dev.conch.etcd;

import java.util.Map;

/**
 * Where the environment names the TLS client key. Contract section 2 names it {@code CONCH_KEY};
 * section 4 gives every command conch runs its holder's key under the same name. So inside such a
 * command ({@code CONCH_TOOL} is set) {@code CONCH_KEY} is never read as a file, and the key file
 * travels as {@code CONCH_TLS_KEY}: a conch run by a command of conch (a cron job that takes a
 * semaphore, say) connects as its parent did.
 */
public final class TlsKeyEnv {
  public static final String KEY = "CONCH_KEY", NESTED = "CONCH_TLS_KEY";
  private static final String INSIDE = "CONCH_TOOL";

  private TlsKeyEnv() {}

  /**
   * The key file: {@code given} ({@code --key}, whose default is {@code CONCH_KEY}) unless it is
   * the holder's key of the command we run in; else {@code CONCH_TLS_KEY}; else null.
   */
  public static String file(String given, Map<String, String> env) {
    boolean holders = env.containsKey(INSIDE) && given != null && given.equals(env.get(KEY));
    if (given != null && !given.isEmpty() && !holders) return given;
    String nested = env.get(NESTED);
    return nested == null || nested.isEmpty() ? null : nested;
  }

  /** What a command's environment adds so that a conch inside it finds the same key file. */
  public static Map<String, String> forCommand(Map<String, String> env) {
    String file = file(env.get(KEY), env);
    return file == null ? Map.of() : Map.of(NESTED, file);
  }
}
