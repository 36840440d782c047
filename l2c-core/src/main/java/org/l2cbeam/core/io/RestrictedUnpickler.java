package org.l2cbeam.core.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle (protocol 0-4) interpreter that builds only plain data: {@code None}, booleans, ints
 * ({@link Long} or {@link BigInteger}), floats ({@link Double}), strings, bytes, lists, tuples
 * ({@link Tuple}), dicts ({@link LinkedHashMap}) and whatever the allow-listed globals return.
 *
 * <p>Why not a general unpickler: pickle is a program, and {@code GLOBAL}/{@code REDUCE} can call
 * any Python callable (the classic {@code os.system}). Here a global is resolved only through
 * {@link Globals}; anything else stops the load with an error naming the global, before any later
 * opcode runs. Calling ({@code REDUCE}, {@code NEWOBJ}, {@code INST}, {@code OBJ}) is allowed only
 * on a {@link Callable} that the allow-list returned, so an allowed type marker (say {@code
 * torch.FloatStorage}) still cannot be invoked. Nothing is ever executed: the "callables" are small
 * Java functions that build data.
 */
public final class RestrictedUnpickler {
  /** Resolves what a pickle may reference; everything else is a {@link PickleException}. */
  public interface Globals {
    /** The Java stand-in for {@code module.name}, or an exception naming the forbidden global. */
    Object resolve(String module, String name);

    /** Resolves a persistent id (torch uses it for tensor storages). */
    Object persistentLoad(Object pid);
  }

  /** An allow-listed callable: builds a value from the pickled arguments. */
  @FunctionalInterface
  public interface Callable {
    Object call(List<Object> args);
  }

  /**
   * An allow-listed class that pickle instantiates with {@code NEWOBJ} and fills with {@code
   * BUILD}.
   */
  public interface ClassFactory {
    Object newInstance(List<Object> args);
  }

  /** A Python tuple: an immutable list. */
  public static final class Tuple extends java.util.AbstractList<Object> {
    private final Object[] items;

    public Tuple(Object... items) {
      this.items = items.clone();
    }

    @Override
    public Object get(int index) {
      return items[index];
    }

    @Override
    public int size() {
      return items.length;
    }
  }

  /**
   * A Python object of an allow-listed class with its attributes, e.g. an {@code
   * argparse.Namespace}.
   */
  public static final class PyObject {
    public final String className;
    public final Map<String, Object> attributes = new LinkedHashMap<>();

    public PyObject(String className) {
      this.className = className;
    }

    @Override
    public String toString() {
      return className + attributes;
    }
  }

  /** A problem with the pickle stream itself; the caller adds the file name. */
  public static final class PickleException extends RuntimeException {
    public PickleException(String message) {
      super(message);
    }
  }

  private static final Object MARK =
      new Object() {
        @Override
        public String toString() {
          return "MARK";
        }
      };

  private final byte[] data;
  private final Globals globals;
  private int pos;
  private final ArrayList<Object> stack = new ArrayList<>();
  private int[] marks = new int[16];
  private int markCount;
  private final Map<Long, Object> memo = new HashMap<>();

  /** Values built plus memo entries so far; see {@link #MAX_VALUES}. */
  private long built;

  /**
   * How many values (and memo entries) one pickle may build. Each opcode is a byte or a few, but
   * builds an object of tens of bytes: without a cap a few MB of {@code EMPTY_DICT} or {@code
   * MEMOIZE} opcodes fill any heap. Real checkpoints build some thousands (a DiT-XL/2 training
   * checkpoint about 20 000).
   */
  static final long MAX_VALUES = 2_000_000;

  private RestrictedUnpickler(byte[] data, Globals globals) {
    this.data = data;
    this.globals = globals;
  }

  /** Runs the pickle program in {@code data} and returns the object it leaves on the stack. */
  public static Object load(byte[] data, Globals globals) {
    return new RestrictedUnpickler(data, globals).run();
  }

  private Object run() {
    while (true) {
      int opPos = pos;
      int op = u8();
      switch (op) {
        case 0x80: // PROTO
          int proto = u8();
          if (proto > 4) {
            throw new PickleException("pickle protocol " + proto + " is not supported (0-4 are)");
          }
          break;
        case 0x95: // FRAME: a length hint only
          bytes(8);
          break;
        case '.': // STOP
          if (stack.size() != 1 || markCount > 0) {
            throw new PickleException(
                "malformed pickle: STOP with " + stack.size() + " values on the stack");
          }
          return stack.get(0);
        case '(':
          if (markCount == marks.length) marks = Arrays.copyOf(marks, 2 * marks.length);
          marks[markCount++] = stack.size();
          pushShared(MARK);
          break;
        case '0': // POP
          pop();
          break;
        case '1': // POP_MARK
          popMark();
          break;
        case '2': // DUP
          pushShared(peek());
          break;
        case 'N':
          pushShared(null);
          break;
        case 0x88:
          pushShared(Boolean.TRUE);
          break;
        case 0x89:
          pushShared(Boolean.FALSE);
          break;
        case 'I':
          { // INT (text); "01"/"00" are True/False in protocol 0
            String s = line();
            if (s.equals("01")) push(Boolean.TRUE);
            else if (s.equals("00")) push(Boolean.FALSE);
            else push(parseInt(s));
            break;
          }
        case 'L':
          { // LONG (text)
            String s = line();
            if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
            push(parseInt(s));
            break;
          }
        case 'J': // BININT
          push((long) le(4).getInt());
          break;
        case 'K': // BININT1
          push((long) u8());
          break;
        case 'M': // BININT2
          push((long) (le(2).getShort() & 0xffff));
          break;
        case 0x8a: // LONG1
          push(longFromBytes(bytes(u8())));
          break;
        case 0x8b: // LONG4
          push(longFromBytes(bytes(length(le(4).getInt()))));
          break;
        case 'F': // FLOAT (text)
          try {
            push(Double.parseDouble(line()));
          } catch (NumberFormatException e) {
            throw new PickleException("malformed FLOAT at byte " + opPos);
          }
          break;
        case 'G': // BINFLOAT, big-endian
          push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
          break;
        case 'X': // BINUNICODE
          push(utf8(length(le(4).getInt())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(utf8(u8()));
          break;
        case 0x8d: // BINUNICODE8
          push(utf8(length(le(8).getLong())));
          break;
        case 'V': // UNICODE (protocol 0): raw-unicode-escape text
          push(rawUnicodeEscape(new String(lineBytes(), StandardCharsets.ISO_8859_1)));
          break;
        case 'T': // BINSTRING (Python 2 str)
          push(latin1(length(le(4).getInt())));
          break;
        case 'U': // SHORT_BINSTRING
          push(latin1(u8()));
          break;
        case 'B': // BINBYTES
          push(bytes(length(le(4).getInt())));
          break;
        case 'C': // SHORT_BINBYTES
          push(bytes(u8()));
          break;
        case 0x8e: // BINBYTES8
          push(bytes(length(le(8).getLong())));
          break;
        case ')':
          push(new Tuple());
          break;
        case 't':
          push(new Tuple(popMark().toArray()));
          break;
        case 0x85:
          {
            Object a = pop();
            push(new Tuple(a));
            break;
          }
        case 0x86:
          {
            Object b = pop();
            Object a = pop();
            push(new Tuple(a, b));
            break;
          }
        case 0x87:
          {
            Object c = pop();
            Object b = pop();
            Object a = pop();
            push(new Tuple(a, b, c));
            break;
          }
        case ']':
          push(new ArrayList<>());
          break;
        case 'l':
          push(new ArrayList<>(popMark()));
          break;
        case 'a':
          { // APPEND
            Object v = pop();
            asList(peek(), "APPEND").add(v);
            break;
          }
        case 'e':
          { // APPENDS
            List<Object> items = popMark();
            asList(peek(), "APPENDS").addAll(items);
            break;
          }
        case '}':
          push(new LinkedHashMap<>());
          break;
        case 'd':
          {
            List<Object> items = popMark();
            push(putAll(new LinkedHashMap<>(), items));
            break;
          }
        case 's':
          { // SETITEM
            Object v = pop();
            Object k = pop();
            asMap(peek(), "SETITEM").put(checkKey(k, 0), v);
            break;
          }
        case 'u':
          { // SETITEMS
            List<Object> items = popMark();
            putAll(asMap(peek(), "SETITEMS"), items);
            break;
          }
        case 0x8f: // EMPTY_SET, kept as a list
          push(new ArrayList<>());
          break;
        case 0x90:
          { // ADDITEMS
            List<Object> items = popMark();
            asList(peek(), "ADDITEMS").addAll(items);
            break;
          }
        case 0x91: // FROZENSET
          push(new ArrayList<>(popMark()));
          break;
        case 'g':
          pushShared(memoGet(parseIndex(line())));
          break;
        case 'h':
          pushShared(memoGet(u8()));
          break;
        case 'j':
          pushShared(memoGet(le(4).getInt() & 0xffffffffL));
          break;
        case 'p':
          memoPut(parseIndex(line()), peek());
          break;
        case 'q':
          memoPut(u8(), peek());
          break;
        case 'r':
          memoPut(le(4).getInt() & 0xffffffffL, peek());
          break;
        case 0x94: // MEMOIZE
          memoPut(memo.size(), peek());
          break;
        case 'c':
          { // GLOBAL
            String module = line();
            String name = line();
            push(globals.resolve(module, name));
            break;
          }
        case 0x93:
          { // STACK_GLOBAL
            Object name = pop();
            Object module = pop();
            if (!(module instanceof String) || !(name instanceof String)) {
              throw new PickleException("malformed STACK_GLOBAL: module and name must be strings");
            }
            push(globals.resolve((String) module, (String) name));
            break;
          }
        case 'R':
          { // REDUCE
            Object args = pop();
            Object callable = pop();
            push(call(callable, args, "REDUCE"));
            break;
          }
        case 'i':
          { // INST: a global, called with the items since the mark
            String module = line();
            String name = line();
            Object cls = globals.resolve(module, name);
            push(call(cls, new Tuple(popMark().toArray()), "INST"));
            break;
          }
        case 'o':
          { // OBJ: the class is the first item after the mark
            List<Object> items = popMark();
            if (items.isEmpty()) {
              throw new PickleException("malformed OBJ: no class");
            }
            push(call(items.get(0), new Tuple(items.subList(1, items.size()).toArray()), "OBJ"));
            break;
          }
        case 0x81:
          { // NEWOBJ
            Object args = pop();
            Object cls = pop();
            push(newObject(cls, args));
            break;
          }
        case 0x92:
          { // NEWOBJ_EX
            Object kwargs = pop();
            Object args = pop();
            Object cls = pop();
            if (!(kwargs instanceof Map) || !((Map<?, ?>) kwargs).isEmpty()) {
              throw new PickleException("NEWOBJ_EX with keyword arguments is not supported");
            }
            push(newObject(cls, args));
            break;
          }
        case 'b':
          { // BUILD
            Object state = pop();
            build(peek(), state);
            break;
          }
        case 'Q': // BINPERSID
          push(globals.persistentLoad(pop()));
          break;
        case 'P': // PERSID
          push(globals.persistentLoad(line()));
          break;
        default:
          throw new PickleException(
              String.format(
                  "unsupported pickle opcode 0x%02x at byte %d (only plain-data opcodes are allowed)",
                  op, opPos));
      }
    }
  }

  private Object call(Object callable, Object args, String opcode) {
    if (callable instanceof Callable) {
      return ((Callable) callable).call(asTuple(args, opcode));
    }
    throw new PickleException(
        opcode + " on forbidden callable " + describe(callable) + " (not on the allow-list)");
  }

  private Object newObject(Object cls, Object args) {
    if (cls instanceof ClassFactory) {
      return ((ClassFactory) cls).newInstance(asTuple(args, "NEWOBJ"));
    }
    throw new PickleException(
        "NEWOBJ on forbidden class " + describe(cls) + " (not on the allow-list)");
  }

  private void build(Object target, Object state) {
    if (target instanceof PyObject) {
      PyObject obj = (PyObject) target;
      Object dict = state;
      if (state instanceof Tuple && ((Tuple) state).size() == 2) {
        dict = ((Tuple) state).get(0); // (dict, slotstate)
      }
      if (dict instanceof Map) {
        for (Map.Entry<?, ?> e : ((Map<?, ?>) dict).entrySet()) {
          obj.attributes.put(String.valueOf(e.getKey()), e.getValue());
        }
        return;
      }
      if (dict == null) {
        return;
      }
      throw new PickleException(
          "BUILD on " + obj.className + " with a " + describe(state) + " state");
    }
    if (target instanceof Map) {
      // An OrderedDict state dict carries its instance __dict__ (torch's "_metadata" versions): not
      // weights.
      return;
    }
    throw new PickleException("BUILD on " + describe(target) + " is not allowed");
  }

  private static String describe(Object o) {
    if (o == null) return "None";
    if (o instanceof Named) return "'" + ((Named) o).qualifiedName() + "'";
    if (o instanceof String) return "str";
    if (o instanceof Map) return "dict";
    if (o instanceof Tuple) return "tuple";
    if (o instanceof List) return "list";
    if (o instanceof PyObject) return ((PyObject) o).className + " instance";
    return o.getClass().getSimpleName();
  }

  /** Something an allow-list returned for a global; its name appears in error messages. */
  public interface Named {
    String qualifiedName();
  }

  private Tuple asTuple(Object args, String opcode) {
    if (args instanceof Tuple) return (Tuple) args;
    if (args instanceof List) return new Tuple(((List<?>) args).toArray());
    throw new PickleException(opcode + " arguments must be a tuple, got " + describe(args));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> asList(Object o, String opcode) {
    if (o instanceof List && !(o instanceof Tuple)) return (List<Object>) o;
    throw new PickleException(opcode + " on " + describe(o) + ", not a list");
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> asMap(Object o, String opcode) {
    if (o instanceof Map) return (Map<Object, Object>) o;
    throw new PickleException(opcode + " on " + describe(o) + ", not a dict");
  }

  private static Map<Object, Object> putAll(Map<Object, Object> map, List<Object> items) {
    if (items.size() % 2 != 0) {
      throw new PickleException("malformed pickle: odd number of items for a dict");
    }
    for (int i = 0; i < items.size(); i += 2) {
      map.put(checkKey(items.get(i), 0), items.get(i + 1));
    }
    return map;
  }

  /**
   * Dict keys must be hashable plain values (as in Python): strings, numbers, booleans, None, or
   * tuples of those. A list key could be made to contain itself, and hashing it would never end.
   */
  static Object checkKey(Object key, int depth) {
    if (key == null
        || key instanceof String
        || key instanceof Long
        || key instanceof BigInteger
        || key instanceof Double
        || key instanceof Boolean) {
      return key;
    }
    if (key instanceof Tuple && depth < 8) {
      for (Object item : (Tuple) key) checkKey(item, depth + 1);
      return key;
    }
    throw new PickleException(
        "unsupported dict key of type "
            + describe(key)
            + " (only str, int, float, bool, None"
            + " and tuples of them)");
  }

  private Object memoGet(long index) {
    if (!memo.containsKey(index)) {
      throw new PickleException(
          "malformed pickle: memo entry " + index + " read before it was written");
    }
    return memo.get(index);
  }

  /** Pushes a value this opcode built: counted against {@link #MAX_VALUES}. */
  private void push(Object o) {
    count();
    stack.add(o);
  }

  /**
   * Pushes a value that already exists (DUP, a memo entry, None, True, False): costs one stack slot
   * only.
   */
  private void pushShared(Object o) {
    stack.add(o);
  }

  private void memoPut(long index, Object o) {
    count();
    memo.put(index, o);
  }

  private void count() {
    if (++built > MAX_VALUES) {
      throw new PickleException(
          "pickle builds more than "
              + MAX_VALUES
              + " values (at byte "
              + pos
              + " of "
              + data.length
              + "): not a"
              + " state dict's object graph");
    }
  }

  private Object peek() {
    if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
      throw new PickleException("malformed pickle: stack underflow at byte " + pos);
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop() {
    Object o = peek();
    stack.remove(stack.size() - 1);
    return o;
  }

  private List<Object> popMark() {
    if (markCount == 0) {
      throw new PickleException("malformed pickle: no MARK on the stack at byte " + pos);
    }
    int m = marks[--markCount];
    List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
    stack.subList(m, stack.size()).clear();
    return items;
  }

  private int u8() {
    need(1);
    return data[pos++] & 0xff;
  }

  private byte[] bytes(int n) {
    need(n);
    byte[] b = Arrays.copyOfRange(data, pos, pos + n);
    pos += n;
    return b;
  }

  private ByteBuffer le(int n) {
    return ByteBuffer.wrap(bytes(n)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private int length(long n) {
    if (n < 0 || n > data.length - pos) {
      throw new PickleException(
          "pickle data ends unexpectedly: a "
              + n
              + "-byte item at byte "
              + pos
              + " runs past its end ("
              + data.length
              + " bytes; truncated?)");
    }
    return (int) n;
  }

  private void need(int n) {
    if (n > data.length - pos) {
      throw new PickleException(
          "pickle data ends unexpectedly at byte " + data.length + " (truncated? no STOP opcode)");
    }
  }

  private String utf8(int n) {
    return new String(bytes(n), StandardCharsets.UTF_8);
  }

  private String latin1(int n) {
    return new String(bytes(n), StandardCharsets.ISO_8859_1);
  }

  private String line() {
    return new String(lineBytes(), StandardCharsets.UTF_8);
  }

  /** The bytes up to the next newline (text opcodes of protocol 0), which is consumed. */
  private byte[] lineBytes() {
    int start = pos;
    while (pos < data.length && data[pos] != '\n') pos++;
    if (pos >= data.length) {
      throw new PickleException(
          "pickle data ends unexpectedly inside a text argument (truncated?)");
    }
    byte[] b = Arrays.copyOfRange(data, start, pos);
    pos++;
    return b;
  }

  /** Python's raw-unicode-escape: latin-1 bytes, except \\uXXXX and \\UXXXXXXXX escapes. */
  private static String rawUnicodeEscape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
        int digits = s.charAt(i + 1) == 'u' ? 4 : 8;
        if (i + 2 + digits > s.length())
          throw new PickleException("malformed \\u escape in UNICODE");
        try {
          out.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 2 + digits), 16));
        } catch (IllegalArgumentException e) {
          throw new PickleException("malformed \\u escape in UNICODE");
        }
        i += 1 + digits;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static Object parseInt(String s) {
    try {
      BigInteger b = new BigInteger(s.trim());
      return b.bitLength() < 64 ? (Object) b.longValue() : b;
    } catch (NumberFormatException e) {
      throw new PickleException("malformed integer '" + s + "' in pickle");
    }
  }

  private static long parseIndex(String s) {
    Object v = parseInt(s);
    if (!(v instanceof Long)) throw new PickleException("malformed memo index '" + s + "'");
    return (Long) v;
  }

  private static Object longFromBytes(byte[] le) {
    if (le.length == 0) return 0L;
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
    BigInteger b = new BigInteger(be);
    return b.bitLength() < 64 ? (Object) b.longValue() : b;
  }
}
