package dev.conch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conch.base.Failure;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void takesHostOrBracketedIpv6AndAPort() {
    InetSocketAddress a = HostPort.parse("127.0.0.1:9464");
    assertEquals("127.0.0.1", a.getHostString());
    assertEquals(9464, a.getPort());
    assertEquals("::1", HostPort.parse("[::1]:1").getHostString());
    assertEquals("metrics.example", HostPort.parse("metrics.example:65535").getHostString());
  }

  @Test
  void anythingElseIsUsage() {
    for (String bad :
        new String[] {
          "",
          "9464",
          ":9464",
          "127.0.0.1",
          "127.0.0.1:",
          "127.0.0.1:0",
          "127.0.0.1:65536",
          "127.0.0.1:99999",
          "::1:9464",
          "[::1]",
          "host:port",
          "a b:1",
          "http://127.0.0.1:9464",
          null
        }) {
      Failure f = assertThrows(Failure.class, () -> HostPort.parse(bad), String.valueOf(bad));
      assertEquals(Failure.Kind.BAD_INPUT, f.kind);
    }
  }
}
