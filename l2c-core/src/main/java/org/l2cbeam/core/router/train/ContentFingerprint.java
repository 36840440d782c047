package org.l2cbeam.core.router.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Builds the SHA-256 hex that {@link TrainingExamples#fingerprint()} returns. Each example source
 * chooses what it hashes (values, labels, the settings that shaped them); hashing and hex
 * formatting live here so every source's fingerprint has the same form.
 */
final class ContentFingerprint {
  private final MessageDigest sha256;

  ContentFingerprint() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every Java platform must provide SHA-256
    }
  }

  /** The fingerprint of a file's bytes, read in chunks so large files need no heap. */
  static String ofFile(Path file) {
    ContentFingerprint content = new ContentFingerprint();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int r;
      while ((r = in.read(buf)) > 0) content.sha256.update(buf, 0, r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return content.hex();
  }

  ContentFingerprint add(byte[] bytes) {
    sha256.update(bytes);
    return this;
  }

  /** The hex digest of everything added; the fingerprint is finished after this call. */
  String hex() {
    return HexFormat.of().formatHex(sha256.digest());
  }
}
