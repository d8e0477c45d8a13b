package dev.conch.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TlsKeyEnvTest {
  @Test
  void outsideACommandOfConchCONCH_KEYIsTheKeyFile() {
    assertEquals("/etc/k.pem", TlsKeyEnv.file("/etc/k.pem", Map.of("CONCH_KEY", "/etc/k.pem")));
    assertNull(TlsKeyEnv.file(null, Map.of()));
    assertNull(TlsKeyEnv.file("", Map.of("CONCH_KEY", "")));
  }

  @Test
  void insideACommandOfConchCONCH_KEYIsTheHoldersKeyAndTheFileTravelsAsCONCH_TLS_KEY() {
    Map<String, String> child =
        Map.of("CONCH_TOOL", "elect", "CONCH_KEY", "/conch/v1/elect/o/694d");
    assertNull(
        TlsKeyEnv.file("/conch/v1/elect/o/694d", child), "a holder's key is never read as a file");
    assertEquals(
        "/etc/k.pem", TlsKeyEnv.file("/etc/k.pem", child), "--key given inside still wins");
    assertEquals(
        "/etc/k.pem",
        TlsKeyEnv.file(
            "/x", Map.of("CONCH_TOOL", "sema", "CONCH_KEY", "/x", "CONCH_TLS_KEY", "/etc/k.pem")));
  }

  @Test
  void aCommandGetsTheFileItsConchReadsAndNothingWithout() {
    assertEquals(
        Map.of("CONCH_TLS_KEY", "/etc/k.pem"),
        TlsKeyEnv.forCommand(Map.of("CONCH_KEY", "/etc/k.pem")));
    assertEquals(Map.of(), TlsKeyEnv.forCommand(Map.of()));
    assertEquals(
        Map.of("CONCH_TLS_KEY", "/etc/k.pem"),
        TlsKeyEnv.forCommand(Map.of("CONCH_TOOL", "cron", "CONCH_TLS_KEY", "/etc/k.pem")),
        "two levels down, the same file");
  }
}
