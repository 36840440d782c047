package org.l2cbeam.beam;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/**
 * One generated sample. Pixel-space models give {@link #image()}: uint8, HWC, quantised as DiT does
 * ({@code clamp(127.5 x + 128, 0, 255)}); latent models give {@link #latent()}: float32, CHW, for a
 * decoder downstream. Exactly one of the two is non-empty. {@link #scheduleId()} names the cache
 * schedule that made it ("plain" without a router), and {@link #computeMicros()} is this sample's
 * share of its batch's sampling time.
 */
@AutoValue
public abstract class GeneratedSample implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract long id();

  public abstract int label();

  public abstract long seed();

  public abstract int channels();

  public abstract int height();

  public abstract int width();

  /** uint8 pixels, HWC (the layout of an ADM/npz {@code arr_0} row); empty for a latent sample. */
  @SuppressWarnings("mutable")
  public abstract byte[] image();

  /** float32 latent, CHW; empty for an image sample. */
  @SuppressWarnings("mutable")
  public abstract float[] latent();

  public abstract String scheduleId();

  public abstract long computeMicros();

  public boolean isImage() {
    return image().length > 0;
  }

  /** The request this sample answers (id, label, seed). */
  public SampleRequest request() {
    return SampleRequest.of(id(), label(), seed());
  }

  public static GeneratedSample ofImage(
      SampleRequest request,
      int channels,
      int height,
      int width,
      byte[] hwc,
      String scheduleId,
      long computeMicros) {
    checkSize(request, "image", hwc.length, channels, height, width);
    return new AutoValue_GeneratedSample(
        request.id(),
        request.label(),
        request.seed(),
        channels,
        height,
        width,
        hwc,
        new float[0],
        scheduleId,
        computeMicros);
  }

  public static GeneratedSample ofLatent(
      SampleRequest request,
      int channels,
      int height,
      int width,
      float[] chw,
      String scheduleId,
      long computeMicros) {
    checkSize(request, "latent", chw.length, channels, height, width);
    return new AutoValue_GeneratedSample(
        request.id(),
        request.label(),
        request.seed(),
        channels,
        height,
        width,
        new byte[0],
        chw,
        scheduleId,
        computeMicros);
  }

  private static void checkSize(
      SampleRequest request, String what, int length, int c, int h, int w) {
    if (c <= 0 || h <= 0 || w <= 0 || length != c * h * w) {
      throw new IllegalArgumentException(
          "sample "
              + request.id()
              + ": "
              + what
              + " has "
              + length
              + " values, shape "
              + c
              + "x"
              + h
              + "x"
              + w
              + " needs "
              + ((long) c * h * w));
    }
  }
}
