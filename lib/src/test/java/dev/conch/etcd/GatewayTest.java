package dev.conch.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayTest {
  static Connection plain(List<String> endpoints) {
    return new Connection(endpoints, null, null, null, null, null, Duration.ofSeconds(1));
  }

  @Test
  void prefixEndIsThePrefixWithItsLastByteRaised() {
    assertArrayEquals(
        "/conch/v1/elect/o0".getBytes(StandardCharsets.UTF_8),
        Gateway.prefixEnd("/conch/v1/elect/o/".getBytes(StandardCharsets.UTF_8)));
    assertArrayEquals(
        new byte[] {'a', 'c'},
        Gateway.prefixEnd(new byte[] {'a', 'b', (byte) 0xff}),
        "trailing 0xff bytes carry");
    assertArrayEquals(
        new byte[] {0},
        Gateway.prefixEnd(new byte[] {(byte) 0xff}),
        "all 0xff: to the end of the key space");
  }

  @Test
  void servesPlainHttpOnlyTlsGoesThroughJetcd() {
    assertTrue(Gateway.open(plain(List.of("http://127.0.0.1:2379"))).isPresent());
    assertTrue(
        Gateway.open(plain(List.of("https://127.0.0.1:2379"))).isEmpty(), "an https endpoint");
    assertTrue(
        Gateway.open(
                new Connection(
                    List.of("http://127.0.0.1:2379"),
                    null,
                    null,
                    Path.of("ca.pem"),
                    null,
                    null,
                    Duration.ofSeconds(1)))
            .isEmpty(),
        "a CA file");
  }
}
