package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throw-away certificate authority made with openssl at run time, never checked in: a CA, a
 * server certificate for loopback (SAN IP:127.0.0.1, DNS:localhost), a client certificate, one that
 * expired long ago, and a second CA that trusts none of them. Keys are PKCS#8 PEM, as jetcd and
 * etcd read them.
 */
public final class Pki {
  private static Pki shared;

  public final Path dir;
  public final Path ca;
  public final Path serverCert;
  public final Path serverKey;
  public final Path clientCert;
  public final Path clientKey;
  public final Path expiredCert;
  public final Path expiredKey;

  /** A CA that signed nothing here: trusting it instead of {@link #ca} is "the wrong CA". */
  public final Path otherCa;

  private Pki(Path dir) {
    this.dir = dir;
    ca = dir.resolve("ca.pem");
    serverCert = dir.resolve("server.pem");
    serverKey = dir.resolve("server.key");
    clientCert = dir.resolve("client.pem");
    clientKey = dir.resolve("client.key");
    expiredCert = dir.resolve("expired.pem");
    expiredKey = dir.resolve("expired.key");
    otherCa = dir.resolve("other-ca.pem");
  }

  /** One set per test JVM, made on first use (about a second of openssl). */
  public static synchronized Pki shared() {
    if (shared == null) {
      try {
        Pki p = new Pki(Files.createTempDirectory("conch-pki-"));
        p.make();
        shared = p;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  private void make() throws IOException {
    selfSigned("ca", "conch test CA");
    selfSigned("other-ca", "some other CA");
    Path ext = dir.resolve("server.ext");
    Files.writeString(
        ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    signed("server", "localhost", ext);
    Path clientExt = dir.resolve("client.ext");
    Files.writeString(clientExt, "extendedKeyUsage=clientAuth\n");
    signed("client", "conch", clientExt);
    expired();
  }

  private void selfSigned(String name, String cn) {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=" + cn,
        "-keyout",
        dir.resolve(name + ".key").toString(),
        "-out",
        dir.resolve(name + ".pem").toString());
  }

  private void csr(String name, String cn) {
    openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=" + cn,
        "-keyout",
        dir.resolve(name + ".key").toString(),
        "-out",
        dir.resolve(name + ".csr").toString());
  }

  private void signed(String name, String cn, Path ext) {
    csr(name, cn);
    openssl(
        "x509",
        "-req",
        "-in",
        dir.resolve(name + ".csr").toString(),
        "-CA",
        ca.toString(),
        "-CAkey",
        dir.resolve("ca.key").toString(),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        ext.toString(),
        "-out",
        dir.resolve(name + ".pem").toString());
  }

  /**
   * {@code openssl x509} cannot back-date a certificate in every version; {@code openssl ca} can.
   */
  private void expired() throws IOException {
    csr("expired", "conch");
    Path db = dir.resolve("ca-db");
    Files.createDirectories(db.resolve("new"));
    Files.writeString(db.resolve("index.txt"), "");
    Files.writeString(db.resolve("serial"), "1000\n");
    Path cnf = dir.resolve("ca.cnf");
    Files.writeString(
        cnf,
        String.join(
            "\n",
            "[ca]",
            "default_ca = d",
            "[d]",
            "database = " + db.resolve("index.txt"),
            "new_certs_dir = " + db.resolve("new"),
            "serial = " + db.resolve("serial"),
            "default_md = sha256",
            "policy = p",
            "unique_subject = no",
            "[p]",
            "commonName = supplied",
            "[x]",
            "extendedKeyUsage = clientAuth",
            ""));
    openssl(
        "ca",
        "-batch",
        "-config",
        cnf.toString(),
        "-extensions",
        "x",
        "-cert",
        ca.toString(),
        "-keyfile",
        dir.resolve("ca.key").toString(),
        "-in",
        dir.resolve("expired.csr").toString(),
        "-out",
        expiredCert.toString(),
        "-notext",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200102000000Z");
  }

  private static void openssl(String... args) {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Procs.Result r = Procs.run(cmd, Map.of());
    if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.err());
  }
}
