package dev.conch.it.support;

import static dev.conch.it.support.Shell.quote;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes fenced by the holder's key (contract section 4): an etcd transaction that puts the token
 * into a target key only if {@code create_revision(CONCH_KEY) == CONCH_REV}, by {@code etcdctl
 * txn}. The same bash runs inside a command of conch and, with a holder's saved CONCH_KEY and
 * CONCH_REV, outside it: a stale holder's late write.
 */
public final class Fence {
  private Fence() {}

  private static final Pattern REVISION = Pattern.compile("\"header\":\\{[^}]*\"revision\":(\\d+)");

  /**
   * etcdctl's answer: whether the guard held, and etcd's revision after the transaction (a write
   * that succeeded landed at it).
   */
  public record Outcome(boolean succeeded, long revision) {
    /** From the one line of {@code etcdctl txn -w json}; null if etcdctl answered nothing. */
    public static Outcome parse(String json) {
      Matcher m = REVISION.matcher(json);
      if (!m.find()) return null;
      // the JSON leaves out "succeeded" when it is false
      return new Outcome(json.contains("\"succeeded\":true"), Long.parseLong(m.group(1)));
    }
  }

  /**
   * bash that writes {@code $CONCH_REV} into {@code target}, guarded, and prints etcdctl's JSON
   * line. etcdctl 3.4's txn reads the compares, a blank line, the success ops, a blank line, the
   * failure ops (none) and a blank line: without the last it fails with "Error: EOF".
   */
  public static String shell(String target) {
    return "printf 'c(\"%s\") = \"%s\"\\n\\nput %s \"%s\"\\n\\n\\n'"
        + " \"$CONCH_KEY\" \"$CONCH_REV\" "
        + quote(target)
        + " \"$CONCH_REV\" | etcdctl txn -w json";
  }

  /**
   * What etcdctl needs against {@code endpoints}: the API, the endpoints, root on a secure etcd.
   */
  public static Map<String, String> ctlEnv(String endpoints) {
    Map<String, String> env = new HashMap<>(EtcdServer.ctlEnv(endpoints));
    env.put("ETCDCTL_API", "3");
    env.put("ETCDCTL_ENDPOINTS", endpoints);
    return env;
  }

  /** Commands that {@code c} starts from now on can run etcdctl against {@code endpoints}. */
  public static Conch etcdctl(Conch c, String endpoints) {
    ctlEnv(endpoints).forEach(c::env);
    return c;
  }

  /** The guarded write from outside any command, as the holder of {@code key} at {@code rev}. */
  public static Outcome write(String endpoints, String key, String rev, String target) {
    Map<String, String> env = ctlEnv(endpoints);
    env.put("CONCH_KEY", key);
    env.put("CONCH_REV", rev);
    Procs.Result r = Procs.run(List.of("bash", "-c", shell(target)), env);
    Outcome o = Outcome.parse(r.out());
    if (o == null) throw new IllegalStateException("etcdctl txn answered nothing: " + r.err());
    return o;
  }

  /** {@code target}'s value and the revision that last wrote it, as "VALUE@REV". */
  public static String state(String endpoints, String target) {
    Procs.Result r = Etcdctl.run(endpoints, "get", target, "-w", "fields");
    Matcher rev = Pattern.compile("\"ModRevision\" : (\\d+)").matcher(r.out());
    Matcher value = Pattern.compile("\"Value\" : \"(.*)\"").matcher(r.out());
    return rev.find() && value.find() ? value.group(1) + "@" + rev.group(1) : "absent";
  }
}
