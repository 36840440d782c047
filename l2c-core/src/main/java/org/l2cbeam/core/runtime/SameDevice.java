package org.l2cbeam.core.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * The check every model makes on its inputs: they must live on the model's device, and so must the
 * manager that owns them.
 *
 * <p>Why the manager too: a model call creates tensors of its own (timesteps, labels, noise,
 * scratch) in its input's manager, and DJL creates a tensor on its manager's device. An input that
 * was moved to the GPU but still belongs to a CPU manager would pass the first op and then meet a
 * CPU tensor deep inside the call, where libtorch's error names neither the model nor the input.
 * Checked at the door, the message says which input, which device and what to do.
 */
public final class SameDevice {
  private SameDevice() {}

  /**
   * Fails with an {@link IllegalArgumentException} unless {@code input} and its manager are on
   * {@code modelDevice}.
   *
   * @param what the input's name in the message, e.g. {@code "latent x"}
   * @param model the model in the message, e.g. {@code "this DiT"}
   */
  public static void check(String what, NDArray input, Device modelDevice, String model) {
    Device manager = input.getManager().getDevice();
    Device tensor = input.getDevice();
    if (!manager.equals(modelDevice) || !sameHardware(tensor, modelDevice)) {
      throw new IllegalArgumentException(
          what
              + " is on "
              + tensor
              + " in a manager on "
              + manager
              + ", but "
              + model
              + "'s weights are on "
              + modelDevice
              + ": create the inputs in a manager on the model's device"
              + " (Torch.newManager(model.device()))");
    }
  }

  /**
   * True if a tensor that reports {@code tensor} is where {@code device} puts tensors. libtorch
   * reports every CPU tensor as the one CPU device, whatever index its manager named.
   */
  static boolean sameHardware(Device tensor, Device device) {
    if (!tensor.getDeviceType().equals(device.getDeviceType())) return false;
    return Device.Type.CPU.equals(device.getDeviceType())
        || tensor.getDeviceId() == device.getDeviceId();
  }
}
