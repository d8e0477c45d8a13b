package dev.conch.it.support;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd per test class ({@code @RegisterExtension static final EtcdFixture etcd = new
 * EtcdFixture();}), with the wrapper scripts built before the first test so that no test's timing
 * includes the build. Its topology is the system properties {@code conch.etcd.members}: 1 (default)
 * or a cluster of 3, and {@code conch.etcd.secure}: TLS with client certificates and
 * authentication, conch acting as a user limited to the test prefixes. The build runs the contract
 * suites once per topology, unchanged.
 */
public final class EtcdFixture implements BeforeAllCallback, AfterAllCallback {
  private static final int MEMBERS = Integer.getInteger("conch.etcd.members", 1);
  private static final boolean SECURE = Boolean.getBoolean("conch.etcd.secure");
  private final boolean secure;
  private EtcdServer server;
  private Client client;

  /** The topology the build's system properties name. */
  public EtcdFixture() {
    this(SECURE);
  }

  private EtcdFixture(boolean secure) {
    this.secure = secure;
  }

  /** Always TLS and authentication, for the tests about them. */
  public static EtcdFixture secure() {
    return new EtcdFixture(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = EtcdServer.start(MEMBERS, secure);
    Conch.classpath();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client != null) client.close();
    server.close();
  }

  /** A library-level client on this etcd, made on first use and closed with it. */
  public synchronized Client client() {
    if (client == null) client = server.client();
    return client;
  }

  public String endpoint() {
    return server.endpoint;
  }

  public EtcdServer server() {
    return server;
  }
}
