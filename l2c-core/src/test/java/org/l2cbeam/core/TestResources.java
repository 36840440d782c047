package org.l2cbeam.core;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * Locates files under src/test/resources (copied from ../shared so that a fresh clone is
 * self-contained).
 */
public final class TestResources {
  private TestResources() {}

  public static Path path(String resource) {
    URL url = TestResources.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalArgumentException("missing test resource " + resource);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Path vector(String name) {
    return path("vectors/" + name);
  }
}
