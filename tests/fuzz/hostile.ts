/**
 * The adversarial values the fuzzer mixes into every part of a request:
 * control characters and NUL, SQL and HTML metacharacters, huge and odd
 * numbers, long strings, and raw bodies JSON.stringify cannot produce
 * (invalid UTF-8, duplicate keys, deep nesting, numbers past float range).
 */
import fc from "fast-check";

const SQL = [
  "' OR '1'='1",
  "'; drop table public.events; --",
  "\\'; select pg_sleep(5); --",
  "$$",
  "%' and 1=1 --",
  "1) or (1=1",
];
const HTML = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "${7*7}"];
const ODD = [
  "\u0000",
  "a\u0000b",
  "\u0001\u0002\u001f\u007f",
  "\r\n\r\n",
  "\ud800", // a lone surrogate
  "\ufeff",
  "\u202e",
  "../../etc/passwd",
  "%00",
  "%ZZ",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e400",
  "9".repeat(40),
  " ",
  "",
];

/** A short string that is trouble somewhere: SQL, HTML, control characters, encodings. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL, ...HTML, ...ODD) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 70_000 }).map((n) => "x".repeat(n)) },
);

/** Any JSON value, with hostile strings and extreme numbers at the leaves. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    fc.constantFrom(
      0,
      -1,
      2 ** 31,
      2 ** 53 + 1,
      -(2 ** 63),
      1e308,
      Number.MIN_VALUE,
      0.5,
      true,
      false,
      null,
    ),
    fc.integer(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), hostileString), tie("value"), {
      maxKeys: 4,
    }),
  ),
})).value;

const encode = (text: string) => new TextEncoder().encode(text);

/** Raw body bytes no serializer would write. */
export const hostileRawBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }), // arbitrary bytes, usually not UTF-8
  fc.constantFrom(
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // {"a":"\xc3("}
    new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16 with a BOM
    encode('{"a":1,"a":2,"event_id":"x","event_id":null}'),
    encode("[".repeat(5000) + "]".repeat(5000)),
    encode('{"a":'.repeat(2000) + "1" + "}".repeat(2000)),
    encode('{"quantity":1e999999,"price":-1e999999,"limit":123456789012345678901234567890}'),
    encode('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}'),
    encode("{"),
    encode(""),
    encode("null"),
    encode('"\\u0000"'),
  ),
  fc.string({ maxLength: 80 }).map(encode),
);
