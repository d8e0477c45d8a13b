package dev.conch.etcd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where etcd is and how to prove who we are. The password never comes from argv (contract section
 * 2).
 */
public record Connection(
    List<String> endpoints,
    String user,
    String password,
    Path cacert,
    Path cert,
    Path key,
    Duration dialTimeout) {

  /**
   * TLS for https endpoints (the JDK's trust store unless --cacert names a CA); never mixed with
   * plain ones.
   */
  public boolean tls() {
    return endpoints.get(0).startsWith("https://");
  }

  /** Never the password: records print their fields, and this one may reach a log line. */
  @Override
  public String toString() {
    return "Connection" + endpoints + (user == null ? "" : " as " + user);
  }
}
