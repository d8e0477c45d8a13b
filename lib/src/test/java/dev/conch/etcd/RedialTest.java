package dev.conch.etcd;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedialTest {
  /**
   * Redial reaches jetcd's channel by reflection and does nothing if it cannot: a jetcd upgrade
   * that moves the channel must fail here, not silently bring back gRPC's growing backoff
   * (WatchOutageIT measures what that costs).
   */
  @Test
  void reachesJetcdsChannel() {
    try (Client c =
        Etcd.connect(
            new Connection(
                List.of("http://127.0.0.1:1"),
                null,
                null,
                null,
                null,
                null,
                Duration.ofSeconds(1)))) {
      assertNotNull(Redial.channel(c));
    }
  }
}
