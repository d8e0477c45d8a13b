package dev.conch.it.support;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * etcdctl from PATH (Debian's etcd-client): the test's independent view of etcd; as root on a
 * secure one.
 */
public final class Etcdctl {
  private Etcdctl() {}

  public static Procs.Result run(String endpoint, String... args) {
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoint));
    cmd.addAll(List.of(args));
    Map<String, String> env = new HashMap<>(EtcdServer.ctlEnv(endpoint));
    env.put("ETCDCTL_API", "3");
    return Procs.run(cmd, env);
  }

  /**
   * {@code etcdctl put KEY} with the value read from {@code file}: values too large for a command
   * line.
   */
  public static Procs.Result putFile(String endpoint, String key, java.nio.file.Path file) {
    Map<String, String> env = new HashMap<>(EtcdServer.ctlEnv(endpoint));
    env.put("ETCDCTL_API", "3");
    return Procs.run(List.of("etcdctl", "--endpoints", endpoint, "put", key), env, null, file);
  }

  /** All keys under a prefix, one per element. */
  public static List<String> keys(String endpoint, String prefix) {
    String out = run(endpoint, "get", "--prefix", "--keys-only", prefix).out().strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\\R+"));
  }
}
