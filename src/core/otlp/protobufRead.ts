// OTLP protobuf request bodies -> the wire-neutral objects normalize.ts reads, in ONE pass over the
// bytes that checks wire types while it reads (decode.ts' checked decode walks the bytes twice: a wire
// type check, then protobufjs' full decode).
//
// What it builds is what protobufjs would build for the fields normalize reads (READ below), with the
// same presence rules (proto3: a scalar equal to its default is not set; a repeated singular message is
// merged), except that `attributes` lists are flattened to one Attrs object under FLAT_ATTRIBUTES as they
// are read, trace and span ids are read as hex text and fixed64 values as { low, high, unsigned }. Two
// memos keep it fast on what exporters repeat: short ASCII strings (readString) and the attribute runs
// of metric data points (readDataPoint). Every other field of the schema is still checked (wire type,
// bounds, UTF-8 of strings, nested messages) and dropped, so a body refused by the checked decode is
// refused here too. Unknown fields are skipped. test/unit/protobufRead.test.ts compares the records of
// both paths on every fixture, generated edge cases, truncations and corruptions.
import * as protobuf from 'protobufjs';
import type { Attrs, AttrValue, Signal } from './records';
import { MAX_NESTING, requestType, requestMessageName, wrongWire, WIRE_OF, type DecodedRequest } from './decode';
import { OtlpDecodeError } from './responses';
import { anyValue, ATTRIBUTE_RUN, FLAT_ATTRIBUTES, int, type AttributeRun, type Obj } from './normalize';
import { otlpTypes } from './otlpSchema';

/** The fields normalize.ts reads, per message (schema names, camelCase). Every other field is checked and skipped. */
const READ: Readonly<Record<string, readonly string[]>> = {
  ExportLogsServiceRequest: ['resourceLogs'],
  ExportMetricsServiceRequest: ['resourceMetrics'],
  ExportTraceServiceRequest: ['resourceSpans'],
  ResourceLogs: ['resource', 'scopeLogs'],
  ResourceMetrics: ['resource', 'scopeMetrics'],
  ResourceSpans: ['resource', 'scopeSpans'],
  Resource: ['attributes'],
  InstrumentationScope: ['name'],
  ScopeLogs: ['scope', 'logRecords'],
  ScopeMetrics: ['scope', 'metrics'],
  ScopeSpans: ['scope', 'spans'],
  LogRecord: ['timeUnixNano', 'observedTimeUnixNano', 'body', 'attributes', 'traceId', 'spanId', 'eventName'],
  Metric: ['name', 'unit', 'gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'],
  Gauge: ['dataPoints'],
  Sum: ['dataPoints', 'aggregationTemporality', 'isMonotonic'],
  Histogram: ['dataPoints', 'aggregationTemporality'],
  ExponentialHistogram: ['dataPoints', 'aggregationTemporality'],
  Summary: ['dataPoints'],
  NumberDataPoint: ['attributes', 'startTimeUnixNano', 'timeUnixNano', 'asDouble', 'asInt'],
  HistogramDataPoint: ['attributes', 'startTimeUnixNano', 'timeUnixNano', 'count', 'sum'],
  ExponentialHistogramDataPoint: ['attributes', 'startTimeUnixNano', 'timeUnixNano', 'count', 'sum'],
  SummaryDataPoint: ['attributes', 'startTimeUnixNano', 'timeUnixNano', 'count', 'sum'],
  Span: ['traceId', 'spanId', 'parentSpanId', 'name', 'startTimeUnixNano', 'endTimeUnixNano', 'attributes', 'events', 'status'],
  'Span.Event': ['timeUnixNano', 'name', 'attributes'],
  Status: ['message', 'code'],
  AnyValue: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
  ArrayValue: ['values'],
  KeyValueList: ['values'],
  KeyValue: ['key', 'value'],
};

/** How one field is read. */
interface FieldPlan {
  /** Schema name (camelCase), the property it is read into and the name in error messages. */
  name: string;
  id: number;
  repeated: boolean;
  /** The wire type the schema expects (2 for messages). */
  wire: number;
  /** protobufjs' scalar type name ('string', 'fixed64'...); '' for messages. */
  scalar: string;
  /** A message field: the plan of its type (its read plan when this field is read, else its check plan). */
  sub: MessagePlan | undefined;
  /** Read into the result; false: checked and skipped. */
  read: boolean;
  /** A read trace or span id (bytes): read as lowercase hex, the text normalize's idHex makes of it. */
  hexId: boolean;
  /** A read `repeated KeyValue attributes`: flattened into one Attrs object under FLAT_ATTRIBUTES. */
  flatten: boolean;
}

interface MessagePlan {
  /** Field plans by field number. */
  fields: (FieldPlan | undefined)[];
  /** A metric data point: read by readDataPoint (attribute runs). */
  dataPoint: boolean;
  /** The tag of a read `attributes` field (its KeyValues are read without the field plan); -1 for none (0 is a tag: field number 0, refused). */
  attributesTag: number;
  /**
   * The prototype of a new message, for defaults normalize reads through: only KeyValue.key (attrsOf keeps
   * a key-less KeyValue under protobufjs' default ''); null: a plain object.
   */
  defaults: object | null;
}

const ENUM_WIRE = 0;

/** Plans per type: `read` reads READ's fields, `check` reads nothing (every field checked and skipped). */
const PLANS = new Map<protobuf.Type, { read: MessagePlan; check: MessagePlan }>();

function planOf(type: protobuf.Type, reading: boolean): MessagePlan {
  let plans = PLANS.get(type);
  if (!plans) {
    const defaults = type.name === 'KeyValue' ? { key: '' } : null;
    plans = { read: { fields: [], dataPoint: false, attributesTag: -1, defaults }, check: { fields: [], dataPoint: false, attributesTag: -1, defaults } };
    PLANS.set(type, plans); // before the fields: recursive types (AnyValue) find it
    const readNames = READ[type.fullName.replace(/^\.otlp\./, '')] ?? [];
    for (const field of type.fieldsArray) {
      const resolved = field.resolvedType;
      const isMessage = resolved instanceof protobuf.Type;
      const wire = isMessage ? 2 : resolved instanceof protobuf.Enum ? ENUM_WIRE : WIRE_OF[field.type];
      if (wire === undefined) throw new Error(`protobufRead: unsupported type ${field.type} of ${type.name}.${field.name}`);
      const read = readNames.includes(field.name);
      if (read && !isMessage && field.repeated) throw new Error(`protobufRead: repeated scalars are not read (${type.name}.${field.name})`);
      const base = { name: field.name, id: field.id, repeated: field.repeated, wire, scalar: isMessage ? '' : resolved instanceof protobuf.Enum ? 'int32' : field.type };
      const flatten = read && isMessage && field.repeated && field.name === 'attributes' && resolved.name === 'KeyValue';
      const hexId = read && field.type === 'bytes' && /^(trace|span|parentSpan)Id$/.test(field.name);
      plans.read.fields[field.id] = { ...base, sub: isMessage ? planOf(resolved, read) : undefined, read, hexId, flatten };
      if (flatten) plans.read.attributesTag = (field.id << 3) | 2;
      if (flatten && type.name.endsWith('DataPoint')) plans.read.dataPoint = true;
      plans.check.fields[field.id] = { ...base, sub: isMessage ? planOf(resolved, false) : undefined, read: false, hexId: false, flatten: false };
    }
  }
  return reading ? plans.read : plans.check;
}

export function readProtobufRequest(signal: Signal, body: Uint8Array): DecodedRequest {
  const type = requestType(signal);
  // A Buffer view (bodies from a worker message are plain Uint8Arrays): latin1 and hex text are then
  // made straight from it, and protobufjs reads it with its BufferReader.
  const r = protobuf.Reader.create(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  try {
    return readMessage(planOf(type, true), r, body.length, 0, [type.name], {});
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError(`body is not a valid protobuf ${requestMessageName(signal)}: ${(err as Error).message}`);
  }
}

/**
 * Reads one message from r.pos to `end` into `into` (a merge, as protobufjs does for a repeated singular
 * message field). `trail`: the field names from the request type down (joined only for an error message).
 */
function readMessage(plan: MessagePlan, r: protobuf.Reader, end: number, depth: number, trail: string[], into: Obj): Obj {
  if (depth > MAX_DEPTH) throw tooDeep(trail);
  if (plan.dataPoint) return readDataPoint(plan, r, end, depth, trail, into);
  const attributesTag = plan.attributesTag;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === attributesTag) readAttributesField(r, end, depth, trail, into);
    else readField(plan, tag, r, end, depth, trail, into);
  }
  return into;
}

/**
 * A metric data point. Its attributes are usually one run of KeyValue fields, and an exporter sends the
 * same series again every interval: a run's bytes key a memo of its attributes (RUNS), so a known run is
 * not read again; the point then shares the run's Attrs object (normalize never writes it) and carries the
 * run itself (ATTRIBUTE_RUN), where normalize keeps the series keys of those attributes. Equal bytes are
 * equal attributes, and data points sit at one depth of the request, so the checks a known run passed
 * hold again.
 */
function readDataPoint(plan: MessagePlan, r: protobuf.Reader, end: number, depth: number, trail: string[], into: Obj): Obj {
  const attributesTag = plan.attributesTag;
  let first = -1;
  let last = -1;
  /** End of the run scanned at the first attributes field; -1 when it could not be scanned. */
  let runEnd = -1;
  /** The run's bytes when not known yet (remembered at the end if the point has no other attributes). */
  let runBytes: string | undefined;
  let run: AttributeRun | undefined;
  let oneRun = true;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.tag();
    if (tag === attributesTag) {
      if (first < 0) {
        first = at;
        runEnd = attributeRunEnd(r.buf, at, end, attributesTag);
        // Only runs of a few KB are memoized: the memo holds their bytes (RUNS_MAX x RUN_BYTES_MAX at most).
        if (runEnd > 0 && runEnd - at <= RUN_BYTES_MAX) {
          runBytes = latin1(r.buf, at, runEnd);
          const known = RUNS.get(runBytes);
          if (known !== undefined) {
            run = known;
            setFlatAttributes(into, known.attrs);
            r.pos = last = runEnd;
            continue;
          }
        }
      } else if (at >= runEnd) {
        // Attributes after the run: this point's attributes are not the run's.
        oneRun = false;
        if (run !== undefined) rereadRun(r, first, runEnd, end, depth, trail, into);
        run = undefined;
      }
      readAttributesField(r, end, depth, trail, into);
      last = r.pos;
    } else if (tag === START_TIME_TAG) {
      // start_time_unix_nano and time_unix_nano are fields 2 and 3 (fixed64) of every data point type.
      const t = readFixed64(r, true);
      if (t.low || t.high) into.startTimeUnixNano = t;
      else if (into.startTimeUnixNano !== undefined) delete into.startTimeUnixNano;
      if (r.pos > end) throw pastEnd(trail, 'startTimeUnixNano');
    } else if (tag === TIME_TAG) {
      const t = readFixed64(r, true);
      if (t.low || t.high) into.timeUnixNano = t;
      else if (into.timeUnixNano !== undefined) delete into.timeUnixNano;
      if (r.pos > end) throw pastEnd(trail, 'timeUnixNano');
    } else readField(plan, tag, r, end, depth, trail, into);
  }
  if (first < 0) setRun(into, NO_ATTRIBUTES);
  else if (oneRun && run !== undefined) setRun(into, run);
  else if (oneRun && runBytes !== undefined && last === runEnd) setRun(into, remember(runBytes, flatAttributes(into)));
  return into;
}

interface KnownRun extends AttributeRun {
  attrs: Attrs;
}

/** Attribute runs by their bytes (latin1); cleared when full, like normalize's SERIES_KEYS. */
const RUNS = new Map<string, KnownRun>();
const RUNS_MAX = 4_096;
/** Longest run memoized (bytes): Claude Code's point attributes take a few hundred. */
const RUN_BYTES_MAX = 2_048;

/** The attribute-run memo's bound and fill (tests). */
export const attributeRunMemo = { maxBytes: RUN_BYTES_MAX, size: (): number => RUNS.size };
const NO_ATTRIBUTES: AttributeRun = { seriesKeys: undefined };

function remember(bytes: string, attrs: Attrs): KnownRun {
  if (RUNS.size >= RUNS_MAX) RUNS.clear();
  const run: KnownRun = { attrs, seriesKeys: undefined };
  RUNS.set(bytes, run);
  return run;
}

/**
 * The end of the run of fields with the one-byte tag `tag` from `at` (each: tag, varint length, bytes),
 * -1 when there is none (a longer encoding of the tag) or a length is malformed or runs past `end` (the
 * reader then reads, and refuses, it field by field).
 */
function attributeRunEnd(buf: Uint8Array, at: number, end: number, tag: number): number {
  if (tag > 0x7f) return -1;
  let p = at;
  while (p < end && buf[p] === tag) {
    p++;
    let len = 0;
    let shift = 0;
    let b: number;
    do {
      if (p >= end || shift > 28) return -1;
      b = buf[p++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    p += len;
    if (p > end) return -1;
  }
  return p > at ? p : -1;
}

/** A known run's attributes read again into the point's own object, before more are added to it. */
function rereadRun(r: protobuf.Reader, first: number, runEnd: number, end: number, depth: number, trail: string[], into: Obj): void {
  const resume = r.pos;
  setFlatAttributes(into, {});
  r.pos = first;
  while (r.pos < runEnd) {
    r.tag();
    readAttributesField(r, end, depth, trail, into);
  }
  r.pos = resume;
}

function setRun(message: Obj, run: AttributeRun): void {
  (message as { [RUN]?: AttributeRun })[RUN] = run;
}

function setFlatAttributes(message: Obj, attrs: Attrs): void {
  (message as { [FLAT]?: Attrs })[FLAT] = attrs;
}

/** Text of the body's bytes, one char per byte (r.buf is a Buffer: readProtobufRequest). */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return (buf as Buffer).toString('latin1', start, end);
}

/** One field of a message, its tag already read. */
function readField(plan: MessagePlan, tag: number, r: protobuf.Reader, end: number, depth: number, trail: string[], into: Obj): void {
  const id = tag >>> 3;
  const wire = tag & 7;
  if (id === 0) throw new OtlpDecodeError(`${trail.join('.')}: field number 0 at byte ${r.pos}`);
  const f = id < plan.fields.length ? plan.fields[id] : undefined;
  if (!f) {
    r.skipType(wire, depth, id);
    if (r.pos > end) throw new OtlpDecodeError(`${trail.join('.')}: field ${id} runs past the end of its message`);
    return;
  }
  if (f.sub) {
    if (wire !== 2) throw wrongWire(trail.join('.'), f, wire, 2);
    const subEnd = subMessageEnd(r, end, trail, f.name);
    trail.push(f.name);
    if (f.flatten) readAttribute(r, subEnd, depth + 1, trail, flatAttributes(into));
    else if (!f.read) readMessage(f.sub, r, subEnd, depth + 1, trail, {});
    else if (f.repeated) {
      const value = readMessage(f.sub, r, subEnd, depth + 1, trail, newMessage(f.sub));
      const values = into[f.name] as Obj[] | undefined;
      if (values) values.push(value);
      else into[f.name] = [value];
    } else into[f.name] = readMessage(f.sub, r, subEnd, depth + 1, trail, (into[f.name] as Obj | undefined) ?? newMessage(f.sub));
    trail.pop();
    r.pos = subEnd;
    return;
  }
  if (wire !== f.wire && !(f.repeated && wire === 2 && f.wire !== 2)) throw wrongWire(trail.join('.'), f, wire, f.wire);
  if (f.read) readScalar(f, r, into);
  else dropScalar(f, wire, r);
  if (r.pos > end) throw pastEnd(trail, f.name);
}

const newMessage = (plan: MessagePlan): Obj => (plan.defaults ? (Object.create(plan.defaults) as Obj) : {});

/**
 * One element of a read `attributes` field (its tag read), as readField reads it without the plan
 * lookups: records are mostly attributes.
 */
function readAttributesField(r: protobuf.Reader, end: number, depth: number, trail: string[], into: Obj): void {
  const subEnd = subMessageEnd(r, end, trail, 'attributes');
  trail.push('attributes');
  readAttribute(r, subEnd, depth + 1, trail, flatAttributes(into));
  trail.pop();
  r.pos = subEnd;
}

/** Reads a length; the end of the message it announces, which must lie within `end`. */
function subMessageEnd(r: protobuf.Reader, end: number, trail: string[], name: string): number {
  const len = r.uint32();
  const subEnd = r.pos + len;
  if (subEnd > end) throw new OtlpDecodeError(`${trail.join('.')}.${name}: length ${len} runs past the end of the body`);
  return subEnd;
}

const tooDeep = (trail: string[]) => new OtlpDecodeError(`${trail.join('.')}: nesting deeper than ${MAX_DEPTH} levels`);
const pastEnd = (trail: string[], name: string) => new OtlpDecodeError(`${trail.join('.')}.${name}: value runs past the end of its message`);

/**
 * A scalar into `into` as protobufjs' proto3 decoder sets it: a value equal to the type's default is not
 * an own property (and clears an earlier one); normalize tells set fields by own properties.
 */
function readScalar(f: FieldPlan, r: protobuf.Reader, into: Obj): void {
  let v: unknown;
  let set: boolean;
  switch (f.scalar) {
    case 'string': {
      const s = readString(r);
      v = s;
      set = s.length > 0;
      break;
    }
    case 'bytes': {
      const b = f.hexId ? readHex(r) : r.bytes();
      v = b;
      set = b.length > 0;
      break;
    }
    case 'double':
    case 'float': {
      const d = f.scalar === 'double' ? r.double() : r.float();
      v = d;
      set = !Object.is(d, 0);
      break;
    }
    case 'fixed64':
    case 'sfixed64': {
      const l = readFixed64(r, f.scalar === 'fixed64');
      v = l;
      set = (l.low || l.high) !== 0;
      break;
    }
    case 'int64':
    case 'uint64':
    case 'sint64': {
      const l = r[f.scalar]() as unknown as { low: number; high: number } | number;
      v = l;
      set = typeof l === 'object' ? (l.low || l.high) !== 0 : l !== 0;
      break;
    }
    case 'bool': {
      const b = r.bool();
      v = b;
      set = b;
      break;
    }
    default: {
      // int32 (and enums, declared int32), uint32, sint32, fixed32, sfixed32
      const n = (r as unknown as Record<string, () => number>)[f.scalar === '' ? 'int32' : f.scalar]();
      v = n;
      set = n !== 0;
    }
  }
  if (set) into[f.name] = v;
  else if (Object.prototype.hasOwnProperty.call(into, f.name)) delete into[f.name];
}

/** r.bytes() as lowercase hex, straight from the body (no Buffer view per id). */
function readHex(r: protobuf.Reader): string {
  const len = (r as unknown as { size(): number }).size();
  const start = r.pos;
  const end = start + len;
  if (end > r.len) throw new RangeError(`index out of range: ${start} + ${len} > ${r.len}`);
  r.pos = end;
  return (r.buf as Buffer).toString('hex', start, end); // a Buffer: readProtobufRequest
}

/**
 * A fixed64 / sfixed64 as the `{ low, high, unsigned }` normalize reads (its Long accessors use nothing
 * else); protobufjs' r.fixed64() builds a LongBits and then a Long, two objects per time.
 */
function readFixed64(r: protobuf.Reader, unsigned: boolean): { low: number; high: number; unsigned: boolean } {
  const b = r.buf;
  const p = r.pos;
  if (p + 8 > r.len) throw new RangeError(`index out of range: ${p} + 8 > ${r.len}`);
  r.pos = p + 8;
  return {
    low: b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24),
    high: b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24),
    unsigned,
  };
}

/**
 * Reads a scalar normalize does not use with the method protobufjs' decoder calls for it, and drops it:
 * the checked decode's checks (varint length, length of a packed run, UTF-8) apply alike.
 */
function dropScalar(f: FieldPlan, wire: number, r: protobuf.Reader): void {
  if (f.scalar === 'string') checkUtf8(r);
  else (r as unknown as Record<string, () => unknown>)[f.repeated && wire === 2 && f.scalar !== 'bytes' ? `${f.scalar}s` : f.scalar]();
}

/**
 * Short ASCII strings by a hash of their bytes: attribute keys and many values repeat across the records
 * of a body and across bodies ('session.id', the session id, model and tool names). A hit returns the
 * same string object as before, with no new string to build and none to internalize when it becomes a
 * property key. A pure memo over a fixed table (a slot holds the last string that hashed to it).
 */
const STRING_SLOTS = 4096;
const strings: (string | undefined)[] = new Array<string | undefined>(STRING_SLOTS).fill(undefined);
const SHORT_STRING = 96;

/** r.stringVerify(), through `strings` for a short ASCII string. */
function readString(r: protobuf.Reader): string {
  const buf = r.buf;
  const at = r.pos;
  if (at >= r.len) return r.stringVerify(); // throws: nothing left to read
  const len = buf[at];
  const start = at + 1;
  const end = start + len;
  if (len > SHORT_STRING || end > r.len) return r.stringVerify(); // also a multi-byte length (>= 0x80)
  // The slot from the length and a sample of the bytes (a collision only costs a miss).
  let hash = len;
  const step = (len >>> 3) + 1;
  for (let i = start; i < end; i += step) hash = (Math.imul(hash, 31) + buf[i]) | 0;
  if (len > 0) hash = (Math.imul(hash, 31) + buf[end - 1]) | 0;
  const slot = hash & (STRING_SLOTS - 1);
  const known = strings[slot];
  if (known !== undefined && known.length === len) {
    // Slots hold ASCII strings only, so equal char codes mean the bytes are that ASCII text.
    let i = 0;
    while (i < len && known.charCodeAt(i) === buf[start + i]) i++;
    if (i === len) {
      r.pos = end;
      return known;
    }
  }
  const text = r.stringVerify();
  if (text.length === len) strings[slot] = text; // as many chars as bytes: ASCII
  return text;
}

/** Skips a string, refusing invalid UTF-8 as protobufjs' decoder does for every string field. */
function checkUtf8(r: protobuf.Reader): void {
  const at = r.pos;
  const len = (r as unknown as { size(): number }).size(); // the length as stringVerify reads it
  const end = r.pos + len;
  if (end > r.len) throw new RangeError(`index out of range: ${r.pos} + ${len} > ${r.len}`);
  for (let i = r.pos; i < end; i++) {
    if (r.buf[i] & 0x80) {
      r.pos = at;
      r.stringVerify(); // not ASCII: protobufjs' own check (a fatal TextDecoder)
      return;
    }
  }
  r.pos = end;
}

function flatAttributes(message: Obj): Attrs {
  const m = message as { [FLAT]?: Attrs };
  return (m[FLAT] ??= {});
}

/**
 * One KeyValue of an `attributes` list straight into `attrs`, as attrsOf over protobufjs' KeyValue
 * objects gives (an absent or empty key is protobufjs' default ''). Written out for the two fields and
 * the common AnyValue members: attributes are most of an OTLP body.
 */
function readAttribute(r: protobuf.Reader, end: number, depth: number, trail: string[], attrs: Attrs): void {
  if (depth > MAX_DEPTH) throw tooDeep(trail);
  let key = '';
  /** The tag of the value's one member while it has no other (the usual AnyValue): no object for it. 0: none. */
  let member = 0;
  /** That member's value as protobufjs reads it. */
  let raw: unknown;
  /** The value as protobufjs' AnyValue object otherwise (other members, or a value merged from several). */
  let value: Obj | undefined;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === KEY_TAG) {
      key = readString(r);
      if (r.pos > end) throw pastEnd(trail, 'key');
    } else if (tag === VALUE_TAG) {
      const subEnd = subMessageEnd(r, end, trail, 'value');
      const first = r.pos < subEnd ? r.buf[r.pos] : 0;
      if (member === 0 && value === undefined && MEMBER_NAME[first] !== undefined && depth + 1 <= MAX_DEPTH) {
        r.pos++;
        raw = readMember(first, r);
        if (r.pos > subEnd) throw new OtlpDecodeError(`${trail.join('.')}.value.${MEMBER_NAME[first]}: value runs past the end of its message`);
        if (r.pos === subEnd) member = first;
        else {
          trail.push('value');
          value = readAnyValue(r, subEnd, depth + 1, trail, memberObject(first, raw));
          trail.pop();
        }
      } else {
        if (member !== 0) value = memberObject(member, raw);
        member = 0;
        trail.push('value');
        value = readAnyValue(r, subEnd, depth + 1, trail, value ?? {});
        trail.pop();
      }
      r.pos = subEnd;
    } else {
      const kv: Obj = {};
      if (member !== 0) kv.value = memberObject(member, raw);
      else if (value) kv.value = value;
      member = 0;
      readField(KEY_VALUE(), tag, r, end, depth, trail, kv);
      value = kv.value as Obj | undefined;
    }
  }
  attrs[key] = member !== 0 ? memberValue(member, raw) : flatValue(value, 0);
}

/** The AnyValue members read without an object, by their (one-byte) tag. */
const MEMBER_NAME: Readonly<Record<number, string>> = {
  [(1 << 3) | 2]: 'stringValue',
  [(2 << 3) | 0]: 'boolValue',
  [(3 << 3) | 0]: 'intValue',
  [(4 << 3) | 1]: 'doubleValue',
};

function readMember(tag: number, r: protobuf.Reader): unknown {
  if (tag === STRING_VALUE_TAG) return readString(r);
  if (tag === BOOL_VALUE_TAG) return r.bool();
  if (tag === INT_VALUE_TAG) return r.int64();
  return r.double();
}

/** Whether protobufjs' proto3 decoder sets the member (a default value is no own property). */
function memberSet(tag: number, raw: unknown): boolean {
  if (tag === STRING_VALUE_TAG) return (raw as string).length > 0;
  if (tag === BOOL_VALUE_TAG) return raw === true;
  if (tag === INT_VALUE_TAG) return ((raw as { low: number; high: number }).low || (raw as { low: number; high: number }).high) !== 0;
  return !Object.is(raw, 0);
}

/** The AnyValue object protobufjs builds for one member. */
function memberObject(tag: number, raw: unknown): Obj {
  return memberSet(tag, raw) ? { [MEMBER_NAME[tag]]: raw } : {};
}

/** anyValue(memberObject(tag, raw)) without the object. */
function memberValue(tag: number, raw: unknown): AttrValue {
  if (!memberSet(tag, raw)) return null;
  return tag === INT_VALUE_TAG ? (intOf(raw) ?? null) : (raw as AttrValue);
}

/** An AnyValue as protobufjs' decoder leaves it (own properties for set members), merged into `m`. */
function readAnyValue(r: protobuf.Reader, end: number, depth: number, trail: string[], m: Obj): Obj {
  if (depth > MAX_DEPTH) throw tooDeep(trail);
  while (r.pos < end) {
    const tag = r.tag();
    let name: string;
    switch (tag) {
      case STRING_VALUE_TAG: {
        name = 'stringValue';
        const s = readString(r);
        if (s.length > 0) m.stringValue = s;
        else if (m.stringValue !== undefined) delete m.stringValue;
        break;
      }
      case BOOL_VALUE_TAG: {
        name = 'boolValue';
        const b = r.bool();
        if (b) m.boolValue = b;
        else if (m.boolValue !== undefined) delete m.boolValue;
        break;
      }
      case INT_VALUE_TAG: {
        name = 'intValue';
        const l = r.int64() as unknown as { low: number; high: number };
        if (l.low || l.high) m.intValue = l;
        else if (m.intValue !== undefined) delete m.intValue;
        break;
      }
      case DOUBLE_VALUE_TAG: {
        name = 'doubleValue';
        const d = r.double();
        if (!Object.is(d, 0)) m.doubleValue = d;
        else if (m.doubleValue !== undefined) delete m.doubleValue;
        break;
      }
      default:
        readField(ANY_VALUE(), tag, r, end, depth, trail, m); // arrays, kvlists, bytes, unknown fields, errors
        continue;
    }
    if (r.pos > end) throw pastEnd(trail, name);
  }
  return m;
}

// Tags (field number << 3 | wire type) of the fields read by hand above.
const KEY_TAG = (1 << 3) | 2;
const VALUE_TAG = (2 << 3) | 2;
const STRING_VALUE_TAG = (1 << 3) | 2;
const BOOL_VALUE_TAG = (2 << 3) | 0;
const INT_VALUE_TAG = (3 << 3) | 0;
const DOUBLE_VALUE_TAG = (4 << 3) | 1;
const START_TIME_TAG = (2 << 3) | 1;
const TIME_TAG = (3 << 3) | 1;

let keyValuePlan: MessagePlan | undefined;
let anyValuePlan: MessagePlan | undefined;
const KEY_VALUE = () => (keyValuePlan ??= planOf(otlpTypes().root.lookupType('otlp.KeyValue'), true));
const ANY_VALUE = () => (anyValuePlan ??= planOf(otlpTypes().root.lookupType('otlp.AnyValue'), true));

// Module-local copies of imported bindings used per field: under tsx (tests, bench) an imported binding
// is a getter call each time it is read.
const MAX_DEPTH = MAX_NESTING;
const flatValue = anyValue;
const intOf = int;
const FLAT: typeof FLAT_ATTRIBUTES = FLAT_ATTRIBUTES;
const RUN: typeof ATTRIBUTE_RUN = ATTRIBUTE_RUN;
