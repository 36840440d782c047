package org.l2cbeam.registry;

/**
 * A conditional write lost: the object already existed ({@link RegistryStore#createIfAbsent}) or
 * had moved on from the expected generation ({@link RegistryStore#replaceIfGeneration}). Cloud
 * Storage reports this as HTTP 412.
 */
public final class PreconditionFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PreconditionFailedException(String location, String problem) {
    super(location + ": " + problem);
  }

  public PreconditionFailedException(String location, String problem, Throwable cause) {
    super(location + ": " + problem, cause);
  }
}
