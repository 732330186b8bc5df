import assert from "node:assert/strict";
import { decodeBase32, encodeBase32 } from "./base32.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("base32 matches the RFC 4648 test vectors (padding dropped)", () => {
  const vectors: Array<[string, string]> = [
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ];
  for (const [plain, encoded] of vectors) {
    assert.equal(encodeBase32(bytes(plain)), encoded);
    assert.deepEqual(decodeBase32(encoded), bytes(plain));
    assert.deepEqual(decodeBase32(encoded.toLowerCase()), bytes(plain));
  }
});

Deno.test("base32 round-trips random bytes of every length", () => {
  for (let length = 0; length < 120; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    assert.deepEqual(decodeBase32(encodeBase32(data)), data);
  }
});

Deno.test("base32 rejects foreign characters, bad lengths and non-canonical tails", () => {
  assert.equal(decodeBase32("MY="), undefined);
  assert.equal(decodeBase32("M1"), undefined);
  assert.equal(decodeBase32("MZX"), undefined); // 3 chars is no whole byte count
  assert.equal(decodeBase32("MZ"), undefined); // "f" is MY; MZ leaves a non-zero trailing bit
  assert.equal(decodeBase32("MY "), undefined);
});
