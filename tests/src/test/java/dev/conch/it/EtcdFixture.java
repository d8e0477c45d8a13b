package dev.conch.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd per test class ({@code @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();}),
 * with the wrapper scripts built before the first test so that no test's timing includes the build.
 */
public final class EtcdFixture implements BeforeAllCallback, AfterAllCallback {
  private EtcdServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = EtcdServer.start();
    Conch.classpath();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    server.close();
  }

  public String endpoint() {
    return server.endpoint;
  }
}
