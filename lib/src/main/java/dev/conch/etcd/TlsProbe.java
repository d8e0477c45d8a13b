package dev.conch.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Why a TLS connection to etcd fails, in one line. jetcd retries a failed handshake like an
 * unreachable server and reports only a timeout, so when a TLS client cannot reach etcd conch
 * shakes hands once itself, with the same files, to tell "refused" (wrong CA, expired or missing
 * certificate) from "unreachable". Only on that failure path: a working connection never pays for
 * it.
 */
final class TlsProbe {
  private TlsProbe() {}

  /**
   * The first endpoint's TLS problem, or null if the handshake works (or nothing answers at all).
   */
  static String problem(Connection c) {
    URI uri = URI.create(c.endpoints().get(0));
    int timeout = (int) Math.min(3000, Math.max(500, c.dialTimeout().toMillis()));
    try (SSLSocket s = (SSLSocket) context(c).getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), timeout);
      s.setSoTimeout(timeout);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // gRPC checks the name too
      p.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(p);
      s.startHandshake();
      // TLS 1.3: a server refuses our certificate only after the handshake, in its first record. It
      // is sent at once, but a loaded host may take a second or more to deliver it; this runs only
      // after a request already failed, so waiting the whole timeout costs a failing run little
      // and keeps a refusal (77) from passing for an unreachable etcd (69).
      s.getInputStream().read();
      return null;
    } catch (SocketTimeoutException e) {
      return null; // the handshake held and the server had nothing to say: not a TLS problem
    } catch (IOException e) {
      return e instanceof javax.net.ssl.SSLException ? describe(e, c) : null;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return "cannot use the TLS files: " + e.getMessage();
    }
  }

  private static String describe(Exception e, Connection c) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateExpiredException
          || t instanceof CertificateNotYetValidException) {
        return "the server's certificate is not valid now (" + t.getMessage() + ")";
      }
      if (t instanceof java.security.cert.CertPathBuilderException
          || t instanceof java.security.cert.CertPathValidatorException) {
        return "the server's certificate is not signed by a CA in "
            + (c.cacert() == null
                ? "the JDK's trust store (give --cacert)"
                : "--cacert " + c.cacert());
      }
      if (t instanceof java.security.cert.CertificateException
          && String.valueOf(t.getMessage()).contains("No subject alternative")) {
        return "the server's certificate does not name "
            + URI.create(c.endpoints().get(0)).getHost()
            + " ("
            + t.getMessage()
            + ")";
      }
    }
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("alert")) {
      String mine =
          c.cert() == null
              ? "we sent no client certificate (give --cert and --key)"
              : clientCertState(c.cert());
      return "etcd rejected the connection (" + msg + "): " + mine;
    }
    return msg.replaceAll("\\s+", " ");
  }

  /** What is wrong with our certificate, as far as we can tell without the server's CA. */
  private static String clientCertState(Path cert) {
    try {
      X509Certificate x = (X509Certificate) certificates(cert).iterator().next();
      Date now = new Date();
      if (now.after(x.getNotAfter()))
        return "the client certificate " + cert + " expired on " + x.getNotAfter().toInstant();
      if (now.before(x.getNotBefore()))
        return "the client certificate "
            + cert
            + " is valid only from "
            + x.getNotBefore().toInstant();
      return "the client certificate " + cert + " is not one etcd trusts (signed by another CA?)";
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return "the client certificate " + cert + " is unreadable";
    }
  }

  private static SSLContext context(Connection c) throws IOException, GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    if (c.cacert() == null) {
      tmf.init((KeyStore) null);
    } else {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate cert : certificates(c.cacert())) trust.setCertificateEntry("ca" + i++, cert);
      tmf.init(trust);
    }
    KeyManagerFactory kmf = null;
    if (c.cert() != null && c.key() != null) {
      KeyStore mine = KeyStore.getInstance("PKCS12");
      mine.load(null, null);
      mine.setKeyEntry(
          "me", key(c.key()), new char[0], certificates(c.cert()).toArray(Certificate[]::new));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(mine, new char[0]);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private static Collection<? extends Certificate> certificates(Path pem)
      throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      return java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
  }

  /** A PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}), the form jetcd takes as well. */
  private static PrivateKey key(Path pem) throws IOException, GeneralSecurityException {
    String b64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64));
    GeneralSecurityException last = null;
    for (String alg : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }
}
