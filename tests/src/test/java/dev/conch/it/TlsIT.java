package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Pki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS gone wrong, against etcd that serves TLS only and requires client certificates: every mistake
 * an operator can make with the files ends in one line that names it and the documented code, never
 * a stack trace, never the command run, nothing written. 77 when etcd and conch could not agree on
 * who is who (wrong CA, expired or missing certificate), 64 for a file that is not there or a
 * scheme that contradicts the files.
 */
class TlsIT {
  @RegisterExtension static final EtcdFixture etcd = EtcdFixture.secure();

  /**
   * conch elect o -- touch ran, with the fixture's working files changed by {@code adjust}; 1 s
   * dial timeout.
   */
  // these tests are about refusals, not the dial timeout: 1 s was shorter than a TLS handshake plus
  // authentication and a lease grant on a loaded 2-core machine (69 instead of 77); a refusal that
  // only shows after the handshake (TLS 1.3) costs the whole timeout, so not the 5 s default
  static Conch.Run elect(Conch c) {
    return c.run("elect", "o", "--dial-timeout", "3s", "--", "touch", c.file("ran").toString());
  }

  static void assertOneLine(Conch c, Conch.Run r, int code, String expected) {
    assertEquals(code, r.exit(0), r.stderr());
    List<String> lines = r.stderr().lines().toList();
    assertEquals(1, lines.size(), "one line, no stack trace: " + r.stderr());
    assertTrue(
        lines.get(0).matches("\\S+Z conch elect o: error exit=" + code + " host=\\S+ pid=\\d+: .*")
            && lines.get(0).contains(expected),
        lines.get(0));
    assertFalse(Files.exists(c.file("ran")), "the command never ran");
    assertEquals(List.of(), c.keys(), "nothing written");
  }

  @Test
  void theRightFilesWork() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run r = c.run("elect", "o", "--", "sh", "-c", "echo $CONCH_TOOL");
    assertEquals(0, r.exit(0), r.stderr());
    assertEquals("elect\n", r.stdout());
  }

  @Test
  void theRightFilesWorkAsFlags() {
    Pki pki = etcd.server().pki();
    Conch c =
        new Conch(etcd.endpoint())
            .without("CONCH_CACERT")
            .without("CONCH_CERT")
            .without("CONCH_KEY");
    Conch.Run r =
        c.run(
            "elect",
            "o",
            "--cacert",
            pki.ca.toString(),
            "--cert",
            pki.clientCert.toString(),
            "--key",
            pki.clientKey.toString(),
            "--",
            "sh",
            "-c",
            "echo $CONCH_TOOL");
    assertEquals(0, r.exit(0), r.stderr());
    assertEquals("elect\n", r.stdout());
  }

  @Test
  void aServerSignedByAnotherCaIsRefused() {
    Conch c =
        new Conch(etcd.endpoint()).env("CONCH_CACERT", etcd.server().pki().otherCa.toString());
    assertOneLine(c, elect(c), 77, "the server's certificate is not signed by a CA in --cacert");
  }

  @Test
  void withoutCacertTheJdkTrustStoreDoesNotKnowTheServer() {
    Conch c = new Conch(etcd.endpoint()).without("CONCH_CACERT");
    assertOneLine(c, elect(c), 77, "not signed by a CA in the JDK's trust store (give --cacert)");
  }

  @Test
  void noClientCertificateIsRefused() {
    Conch c = new Conch(etcd.endpoint()).without("CONCH_CERT").without("CONCH_KEY");
    assertOneLine(c, elect(c), 77, "we sent no client certificate (give --cert and --key)");
  }

  @Test
  void anExpiredClientCertificateIsRefusedAndNamed() {
    Pki pki = etcd.server().pki();
    Conch c =
        new Conch(etcd.endpoint())
            .env("CONCH_CERT", pki.expiredCert.toString())
            .env("CONCH_KEY", pki.expiredKey.toString());
    assertOneLine(
        c,
        elect(c),
        77,
        "the client certificate " + pki.expiredCert + " expired on 2020-01-02T00:00:00Z");
  }

  @Test
  void aMissingFileIsAUsageError() {
    Conch c = new Conch(etcd.endpoint()).env("CONCH_CERT", "/nonexistent/client.pem");
    assertOneLine(c, elect(c), 64, "cannot read TLS file /nonexistent/client.pem");
  }

  @Test
  void aKeyThatIsNotAKeyIsAUsageError() {
    Conch c =
        new Conch(etcd.endpoint()).env("CONCH_KEY", etcd.server().pki().clientCert.toString());
    assertOneLine(c, elect(c), 64, "cannot use the TLS files");
  }

  @Test
  void tlsFilesWithAPlainEndpointAreAUsageError() {
    Conch c =
        new Conch(etcd.endpoint())
            .env("CONCH_ENDPOINTS", etcd.endpoint().replace("https://", "http://"));
    assertOneLine(c, elect(c), 64, "write https:// for TLS");
  }

  @Test
  void aPrefixOutsideTheRoleIsRefusedOverTls() {
    Conch c = new Conch(etcd.endpoint()).env("CONCH_PREFIX", "/elsewhere");
    Conch.Run r = elect(c);
    assertEquals(77, r.exit(0), r.stderr());
    assertEquals(1, r.stderr().lines().count(), r.stderr());
    assertTrue(
        r.stderr().contains("etcd refused") && r.stderr().contains("permission denied"),
        r.stderr());
    assertEquals(List.of(), Etcdctl.keys(etcd.endpoint(), "/elsewhere"));
  }

  @Test
  void theWrongPasswordOverTlsIsRefusedAndNeverShown() {
    Conch c =
        new Conch(etcd.endpoint()).env("CONCH_PASSWORD", "wrong-" + EtcdServer.CONCH_PASSWORD);
    Conch.Run r = elect(c);
    assertOneLine(c, r, 77, "etcd refused");
    assertFalse(r.stderr().contains(EtcdServer.CONCH_PASSWORD), r.stderr());
  }

  /**
   * The password file is read, and its content shows nowhere: not in the holder record, not in ls.
   */
  @Test
  void passwordFileOverTls() throws Exception {
    Conch c = new Conch(etcd.endpoint()).without("CONCH_PASSWORD");
    Path pw = c.file("pw");
    Files.writeString(pw, EtcdServer.CONCH_PASSWORD + "\n");
    Conch.Run r = c.run("elect", "o", "--password-file", pw.toString(), "--", "sh", "-c", "env");
    assertEquals(0, r.exit(0), r.stderr());
    assertFalse(r.stdout().contains(EtcdServer.CONCH_PASSWORD), "not in the command's environment");
  }
}
