package org.l2cbeam.registry;

/**
 * The registry cannot be used as asked: a missing bucket or directory, missing credentials, a
 * corrupt manifest, a version of another model. The message always starts with the object or
 * location concerned.
 */
public final class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RegistryException(String location, String problem) {
    super(location + ": " + problem);
  }

  public RegistryException(String location, String problem, Throwable cause) {
    super(location + ": " + problem, cause);
  }
}
