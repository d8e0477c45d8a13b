package dev.conch.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real etcd from PATH (Debian's etcd-server) in a temporary directory on free loopback ports.
 * Never a mock: the client-side recipes are where the bugs live.
 */
public final class EtcdServer implements AutoCloseable {
  private final Process process;
  private final Path dir;
  public final String endpoint;
  public final int clientPort;

  private EtcdServer(Process process, Path dir, int clientPort) {
    this.process = process;
    this.dir = dir;
    this.clientPort = clientPort;
    this.endpoint = "http://127.0.0.1:" + clientPort;
  }

  public static EtcdServer start() {
    try {
      Path dir = Files.createTempDirectory("conch-etcd-");
      int client = freePort();
      int peer = freePort();
      List<String> cmd = new ArrayList<>(List.of("etcd", "--name", "t", "--data-dir", dir.resolve("data").toString(),
          "--listen-client-urls", "http://127.0.0.1:" + client, "--advertise-client-urls", "http://127.0.0.1:" + client,
          "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
          "--initial-cluster", "t=http://127.0.0.1:" + peer, "--log-level", "error", "--logger", "zap"));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
      EtcdServer s = new EtcdServer(p, dir, client);
      s.awaitReady();
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start etcd from PATH (apt-get install etcd-server): " + e.getMessage(), e);
    }
  }

  private void awaitReady() {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) throw new IllegalStateException("etcd exited; see " + dir.resolve("etcd.log"));
      if (Etcdctl.run(endpoint, "endpoint", "health").code() == 0) return;
      Procs.nap(100); // etcd announces readiness nowhere else we can wait on
    }
    throw new IllegalStateException("etcd not healthy within 30s; see " + dir.resolve("etcd.log"));
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** A port nothing listens on, for "etcd unreachable". */
  public static String deadEndpoint() throws IOException {
    int port = freePort();
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      throw new IllegalStateException("port " + port + " unexpectedly open");
    } catch (IOException expected) {
      return "http://127.0.0.1:" + port;
    }
  }

  /** Freezes etcd (SIGSTOP): to every client it is a partition, with connections open but silent. */
  public void freeze() {
    Procs.kill("STOP", process.pid());
  }

  public void thaw() {
    Procs.kill("CONT", process.pid());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Procs.deleteTree(dir);
  }
}
