package dev.conch.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd per test class ({@code @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();}),
 * with the wrapper scripts built before the first test so that no test's timing includes the build.
 * Its topology is the system property {@code conch.etcd.members}: 1 (default) or a cluster of 3; the
 * build runs the contract suites once per topology, unchanged.
 */
public final class EtcdFixture implements BeforeAllCallback, AfterAllCallback {
  private static final int MEMBERS = Integer.getInteger("conch.etcd.members", 1);
  private EtcdServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = EtcdServer.start(MEMBERS);
    Conch.classpath();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    server.close();
  }

  public String endpoint() {
    return server.endpoint;
  }

  public EtcdServer server() {
    return server;
  }
}
