package dev.conch.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

  @Test
  void anAnswerKeepsTopScalarsAndEachKvsScalarsAndTakesJunkForAnError() {
    Gateway.Answer a =
        Gateway.Answer.read(
            "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"YQ==\","
                + "\"create_revision\":\"5\",\"value\":\"Yg==\",\"x\":[1]},{\"key\":\"Yw==\"}],"
                + "\"count\":\"2\",\"more\":false}");
    assertEquals(Map.of("count", "2", "more", "false"), a.top());
    assertEquals(
        List.of(
            Map.of("key", "YQ==", "create_revision", "5", "value", "Yg=="), Map.of("key", "Yw==")),
        a.kvs());
    Gateway.Answer refused =
        Gateway.Answer.read("{\"error\":\"etcdserver: user name is empty\",\"code\":3}");
    assertEquals("etcdserver: user name is empty", refused.top().get("error"));
    assertEquals(
        Map.of("error", "404 page not found"), Gateway.Answer.read("404 page not found").top());
  }
}
