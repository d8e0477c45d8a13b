package dev.conch.it;

import java.util.ArrayList;
import java.util.List;

/** etcdctl from PATH (Debian's etcd-client): the test's independent view of etcd. */
public final class Etcdctl {
  private Etcdctl() {}

  public static Procs.Result run(String endpoint, String... args) {
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoint));
    cmd.addAll(List.of(args));
    return Procs.run(cmd, java.util.Map.of("ETCDCTL_API", "3"));
  }

  /** All keys under a prefix, one per element. */
  public static List<String> keys(String endpoint, String prefix) {
    String out = run(endpoint, "get", "--prefix", "--keys-only", prefix).out().strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\\R+"));
  }
}
