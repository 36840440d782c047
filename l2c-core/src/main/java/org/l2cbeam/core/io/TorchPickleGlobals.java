package org.l2cbeam.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.l2cbeam.core.io.RestrictedUnpickler.Callable;
import org.l2cbeam.core.io.RestrictedUnpickler.ClassFactory;
import org.l2cbeam.core.io.RestrictedUnpickler.Named;
import org.l2cbeam.core.io.RestrictedUnpickler.PickleException;
import org.l2cbeam.core.io.RestrictedUnpickler.PyObject;
import org.l2cbeam.core.io.RestrictedUnpickler.Tuple;

/**
 * The allow-list of pickle globals a {@code torch.save} checkpoint may use, and what each one
 * builds. These are the globals real state dicts, DiT/L2C training checkpoints and optimizer states
 * contain; any other global is refused by name. Tensors are rebuilt as contiguous {@link
 * TensorData} from the zip's raw storages.
 */
final class TorchPickleGlobals implements RestrictedUnpickler.Globals {
  /**
   * Reads the raw bytes of storage {@code data/<key>} from the archive, after checking that the
   * record holds exactly {@code expectedBytes} (what data.pkl declares, {@code description}, e.g.
   * "10 x torch.FloatStorage"): a mismatch is an error before anything is read.
   */
  interface StorageSource {
    ByteBuffer read(String key, long expectedBytes, String description);
  }

  /** A torch storage class such as {@code torch.FloatStorage}: a type marker, never callable. */
  static final class StorageType implements Named {
    final String name;
    final DType dtype;

    StorageType(String name, DType dtype) {
      this.name = name;
      this.dtype = dtype;
    }

    @Override
    public String qualifiedName() {
      return "torch." + name;
    }
  }

  /** A loaded storage: a flat little-endian buffer of {@code numel} elements. */
  static final class Storage {
    final String key;
    final DType dtype;
    final long numel;
    final ByteBuffer bytes;

    Storage(String key, DType dtype, long numel, ByteBuffer bytes) {
      this.key = key;
      this.dtype = dtype;
      this.numel = numel;
      this.bytes = bytes;
    }
  }

  /** An allow-listed callable, named for error messages. */
  private static final class Function implements Callable, Named {
    final String name;
    final Callable body;

    Function(String name, Callable body) {
      this.name = name;
      this.body = body;
    }

    @Override
    public Object call(List<Object> args) {
      return body.call(args);
    }

    @Override
    public String qualifiedName() {
      return name;
    }
  }

  /**
   * A global that may be referenced but neither called nor instantiated (e.g. {@code
   * torch.Tensor}).
   */
  private static final class Marker implements Named {
    final String name;

    Marker(String name) {
      this.name = name;
    }

    @Override
    public String qualifiedName() {
      return name;
    }
  }

  /** {@code argparse.Namespace}: instantiated by NEWOBJ, attributes set by BUILD. */
  private static final class PlainClass implements ClassFactory, Named {
    final String name;

    PlainClass(String name) {
      this.name = name;
    }

    @Override
    public Object newInstance(List<Object> args) {
      if (!args.isEmpty()) {
        throw new PickleException(name + " instantiated with arguments " + args);
      }
      return new PyObject(name);
    }

    @Override
    public String qualifiedName() {
      return name;
    }
  }

  private static final Map<String, DType> STORAGE_DTYPES = new LinkedHashMap<>();

  static {
    STORAGE_DTYPES.put("FloatStorage", DType.F32);
    STORAGE_DTYPES.put("DoubleStorage", DType.F64);
    STORAGE_DTYPES.put("HalfStorage", DType.F16);
    STORAGE_DTYPES.put("BFloat16Storage", DType.BF16);
    STORAGE_DTYPES.put("LongStorage", DType.I64);
    STORAGE_DTYPES.put("IntStorage", DType.I32);
    STORAGE_DTYPES.put("ShortStorage", DType.I16);
    STORAGE_DTYPES.put("CharStorage", DType.I8);
    STORAGE_DTYPES.put("ByteStorage", DType.U8);
    STORAGE_DTYPES.put("BoolStorage", DType.BOOL);
  }

  private static final List<String> TORCH_DTYPE_NAMES =
      List.of(
          "float32",
          "float",
          "float64",
          "double",
          "float16",
          "half",
          "bfloat16",
          "int64",
          "long",
          "int32",
          "int",
          "int16",
          "short",
          "int8",
          "uint8",
          "bool");

  private final Map<String, Object> allowed = new HashMap<>();
  private final StorageSource storages;
  private final Map<String, Storage> loaded = new HashMap<>();

  TorchPickleGlobals(StorageSource storages) {
    this.storages = storages;
    STORAGE_DTYPES.forEach(
        (name, dtype) -> allowed.put("torch." + name, new StorageType(name, dtype)));
    allow("collections.OrderedDict", TorchPickleGlobals::orderedDict);
    allow("torch._utils._rebuild_tensor_v2", this::rebuildTensor);
    allow("torch._utils._rebuild_parameter", args -> args.get(0));
    allow("torch._utils._rebuild_parameter_with_state", args -> args.get(0));
    allow("torch._tensor._rebuild_from_type_v2", TorchPickleGlobals::rebuildFromType);
    allow(
        "torch.device",
        args -> args.size() == 1 ? String.valueOf(args.get(0)) : args.get(0) + ":" + args.get(1));
    // Pure data builders that protocol-2 pickles use for sets and bytes.
    allow("builtins.set", TorchPickleGlobals::firstAsList);
    allow("builtins.frozenset", TorchPickleGlobals::firstAsList);
    allow("__builtin__.set", TorchPickleGlobals::firstAsList);
    allow("__builtin__.frozenset", TorchPickleGlobals::firstAsList);
    allow("_codecs.encode", TorchPickleGlobals::codecsEncode);
    allowed.put("argparse.Namespace", new PlainClass("argparse.Namespace"));
    allowed.put("torch.Tensor", new Marker("torch.Tensor"));
    allowed.put("torch.nn.parameter.Parameter", new Marker("torch.nn.parameter.Parameter"));
    for (String d : TORCH_DTYPE_NAMES) {
      allowed.put("torch." + d, new Marker("torch." + d));
    }
  }

  /** Every allow-listed global, for documentation and error messages. */
  static Set<String> allowList() {
    return Collections.unmodifiableSet(
        new TreeSet<>(new TorchPickleGlobals((key, bytes, what) -> null).allowed.keySet()));
  }

  private void allow(String name, Callable body) {
    allowed.put(name, new Function(name, body));
  }

  @Override
  public Object resolve(String module, String name) {
    String qualified = module + "." + name;
    Object v = allowed.get(qualified);
    if (v == null) {
      throw new PickleException(
          "pickle global '"
              + qualified
              + "' is not on the allow-list of torch checkpoint globals; refusing to load"
              + " (nothing was executed)");
    }
    if (v instanceof Marker && TORCH_DTYPE_NAMES.contains(name)) {
      return qualified; // a torch.dtype value stored in, e.g., args: keep its name
    }
    return v;
  }

  @Override
  public Object persistentLoad(Object pid) {
    if (!(pid instanceof Tuple)
        || ((Tuple) pid).size() != 5
        || !"storage".equals(((Tuple) pid).get(0))) {
      throw new PickleException(
          "unsupported persistent id "
              + pid
              + " (expected ('storage', type, key, location, numel))");
    }
    Tuple t = (Tuple) pid;
    if (!(t.get(1) instanceof StorageType)) {
      throw new PickleException("persistent id names a non-storage type: " + t.get(1));
    }
    StorageType type = (StorageType) t.get(1);
    String key = String.valueOf(t.get(2));
    long numel = asLong(t.get(4), "storage numel");
    Storage s = loaded.get(key);
    if (s != null) {
      if (s.dtype != type.dtype) {
        throw new PickleException(
            "storage data/" + key + " is used as both " + s.dtype + " and " + type.dtype);
      }
      return s;
    }
    if (numel < 0) {
      throw new PickleException("storage data/" + key + ": negative element count " + numel);
    }
    long expected;
    try {
      expected = Math.multiplyExact(numel, (long) type.dtype.bytes());
    } catch (ArithmeticException e) {
      throw new PickleException("storage data/" + key + ": element count " + numel + " overflows");
    }
    String description = numel + " x " + type.qualifiedName();
    ByteBuffer bytes = storages.read(key, expected, description).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.remaining() != expected) {
      throw new PickleException(
          "storage data/"
              + key
              + " holds "
              + bytes.remaining()
              + " bytes, but data.pkl declares "
              + description
              + " = "
              + expected
              + " bytes");
    }
    s = new Storage(key, type.dtype, numel, bytes);
    loaded.put(key, s);
    return s;
  }

  private static Object orderedDict(List<Object> args) {
    Map<Object, Object> m = new LinkedHashMap<>();
    if (!args.isEmpty() && args.get(0) instanceof List) {
      for (Object item : (List<?>) args.get(0)) {
        if (!(item instanceof List) || ((List<?>) item).size() != 2) {
          throw new PickleException("OrderedDict item is not a (key, value) pair");
        }
        m.put(RestrictedUnpickler.checkKey(((List<?>) item).get(0), 0), ((List<?>) item).get(1));
      }
    }
    return m;
  }

  private static Object firstAsList(List<Object> args) {
    return args.isEmpty()
        ? new java.util.ArrayList<>()
        : new java.util.ArrayList<>((List<?>) args.get(0));
  }

  private static Object codecsEncode(List<Object> args) {
    if (args.size() != 2 || !(args.get(0) instanceof String) || !"latin1".equals(args.get(1))) {
      throw new PickleException(
          "_codecs.encode is allowed only as protocol 2's (str, 'latin1') bytes encoding");
    }
    return ((String) args.get(0)).getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code _rebuild_from_type_v2(func, type, args, state)}: plain tensors and parameters only. */
  private static Object rebuildFromType(List<Object> args) {
    if (args.size() < 3 || !(args.get(0) instanceof Callable) || !(args.get(1) instanceof Marker)) {
      throw new PickleException(
          "_rebuild_from_type_v2 is allowed only for torch.Tensor and Parameter");
    }
    Object inner = args.get(2);
    return ((Callable) args.get(0))
        .call(inner instanceof List ? new Tuple(((List<?>) inner).toArray()) : new Tuple(inner));
  }

  /**
   * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
   * backward_hooks[, metadata])}: the view is materialised as a contiguous tensor. A contiguous
   * view shares the storage's bytes (no copy); a strided one (e.g. a saved transpose) is gathered
   * element by element.
   */
  private Object rebuildTensor(List<Object> args) {
    if (args.size() < 4 || !(args.get(0) instanceof Storage)) {
      throw new PickleException("_rebuild_tensor_v2 called without a storage");
    }
    Storage storage = (Storage) args.get(0);
    long offset = asLong(args.get(1), "storage offset");
    long[] size = asLongs(args.get(2), "size");
    long[] stride = asLongs(args.get(3), "stride");
    if (size.length != stride.length) {
      throw new PickleException(
          "tensor on storage data/"
              + storage.key
              + ": size "
              + Arrays.toString(size)
              + " and stride "
              + Arrays.toString(stride)
              + " differ in rank");
    }
    long numel;
    try {
      numel = TensorData.numel(size);
    } catch (RuntimeException e) {
      throw new PickleException(
          "tensor on storage data/" + storage.key + ": invalid size " + Arrays.toString(size));
    }
    int width = storage.dtype.bytes();
    if (numel == 0) {
      return new TensorData(storage.dtype, size, ByteBuffer.allocate(0));
    }
    long last = offset;
    for (int i = 0; i < size.length; i++) {
      if (stride[i] < 0) {
        throw new PickleException(
            "tensor on storage data/"
                + storage.key
                + ": negative stride "
                + Arrays.toString(stride));
      }
      last += (size[i] - 1) * stride[i];
    }
    if (offset < 0 || last >= storage.numel) {
      throw new PickleException(
          "tensor view out of range: offset "
              + offset
              + ", size "
              + Arrays.toString(size)
              + ", stride "
              + Arrays.toString(stride)
              + " reaches element "
              + last
              + " of storage data/"
              + storage.key
              + " with "
              + storage.numel
              + " elements");
    }
    if (isContiguous(size, stride)) {
      ByteBuffer view = storage.bytes.duplicate();
      view.position(Math.toIntExact(offset * width));
      view.limit(Math.toIntExact((offset + numel) * width));
      return new TensorData(storage.dtype, size, view.slice());
    }
    ByteBuffer out =
        ByteBuffer.allocate(Math.toIntExact(numel * width)).order(ByteOrder.LITTLE_ENDIAN);
    long[] index = new long[size.length];
    ByteBuffer src = storage.bytes;
    for (long n = 0; n < numel; n++) {
      long element = offset;
      for (int i = 0; i < size.length; i++) element += index[i] * stride[i];
      int from = Math.toIntExact(element * width);
      for (int b = 0; b < width; b++) out.put(src.get(from + b));
      for (int i = size.length - 1; i >= 0; i--) {
        if (++index[i] < size[i]) break;
        index[i] = 0;
      }
    }
    out.flip();
    return new TensorData(storage.dtype, size, out);
  }

  private static boolean isContiguous(long[] size, long[] stride) {
    long expected = 1;
    for (int i = size.length - 1; i >= 0; i--) {
      if (size[i] != 1 && stride[i] != expected) return false;
      expected *= size[i];
    }
    return true;
  }

  private static long asLong(Object o, String what) {
    if (o instanceof Long) return (Long) o;
    throw new PickleException(what + " is not an int: " + o);
  }

  private static long[] asLongs(Object o, String what) {
    if (!(o instanceof List)) throw new PickleException("tensor " + what + " is not a tuple: " + o);
    List<?> l = (List<?>) o;
    long[] out = new long[l.size()];
    for (int i = 0; i < out.length; i++) out[i] = asLong(l.get(i), "tensor " + what + " entry");
    return out;
  }
}
