// crypto.js — the page's cryptography on WebCrypto: key files, RFC 9421 request signatures, C2SP signed notes, RFC 9162 inclusion proofs.

const enc = new TextEncoder();
const subtle = globalThis.crypto.subtle;

export function b64encode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function b64decode(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function b64urlDecode(text) {
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  return b64decode(std + "=".repeat((4 - (std.length % 4)) % 4));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = hexBytes("302e020100300506032b657004220420");

/*
 * Reads a key file of `custos key generate`: one line
 * PRIVATE+KEY+<name>+<8 hex key id>+<base64 of 0x01 || 32-byte seed>.
 * Returns {name, keyid, hash, privateKey, publicKey (32 bytes), vkey}; the
 * private key is a non-extractable CryptoKey kept in memory only. vkey is the
 * signed-note verifier key name+hash+base64(0x01 || public key), which is
 * also the keyid of the principal's HTTP signatures.
 */
export async function loadKeyFile(text) {
  const line = text.trim();
  // the base64 key may hold '+' itself: split off the first four fields only
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([^+\s]+)\+(\S+)$/.exec(line);
  if (!m) throw new Error("not a custos key file: expected one line PRIVATE+KEY+name+hash+key");
  const [, name, hash, key] = m;
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new Error("key file: the key id must be 8 hexadecimal digits");
  let raw;
  try {
    raw = b64decode(key);
  } catch {
    throw new Error("key file: the key is not base64");
  }
  if (raw.length !== 33 || raw[0] !== 1) throw new Error("key file: not an Ed25519 key (0x01 and 32 bytes)");
  const pkcs8 = concat(PKCS8_PREFIX, raw.subarray(1));
  const extractable = await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await subtle.exportKey("jwk", extractable);
  const publicKey = b64urlDecode(jwk.x);
  const privateKey = await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  pkcs8.fill(0);
  raw.fill(0);
  const vkey = `${name}+${hash}+${b64encode(concat(new Uint8Array([1]), publicKey))}`;
  const expect = await keyHash(name, publicKey);
  if (expect !== hash) throw new Error("key file: the key id does not match the key");
  return { name, hash, keyid: hexBytes(hash), privateKey, publicKey, vkey };
}

// The signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), in hex.
async function keyHash(name, publicKey) {
  const h = await sha256(concat(enc.encode(name + "\n"), new Uint8Array([1]), publicKey));
  return [...h.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sign(key, bytes) {
  return new Uint8Array(await subtle.sign({ name: "Ed25519" }, key.privateKey, bytes));
}

/*
 * RFC 9421 signature of a request, as src/lib/httpsig verifies it: covers
 * @method, @authority, @path, with a query @query, and with content
 * content-digest (RFC 9530), with created, keyid, alg and nonce.
 * Returns the header fields to send. authority is the Host ("127.0.0.1:8080"),
 * target the request target exactly as sent: its path and any "?query".
 */
export async function signRequest(key, method, authority, target, body, created) {
  const headers = {};
  const at = target.indexOf("?");
  const path = at < 0 ? target : target.slice(0, at);
  const query = at < 0 ? "" : target.slice(at + 1);
  const components = ['"@method"', '"@authority"', '"@path"'];
  const lines = [`"@method": ${method}`, `"@authority": ${authority.toLowerCase()}`, `"@path": ${path || "/"}`];
  if (at >= 0) {
    components.push('"@query"');
    lines.push(`"@query": ?${query}`);
  }
  if (body !== undefined && body !== null && body.length) {
    const bytes = typeof body === "string" ? enc.encode(body) : body;
    const digest = `sha-256=:${b64encode(await sha256(bytes))}:`;
    headers["Content-Digest"] = digest;
    components.push('"content-digest"');
    lines.push(`"content-digest": ${digest}`);
  }
  const when = created ?? Math.floor(Date.now() / 1000);
  // Ed25519 is deterministic: two equal requests in one second would sign alike and the second be refused as
  // a replay, so each signature carries a random nonce.
  const nonce = b64encode(globalThis.crypto.getRandomValues(new Uint8Array(12)));
  const params = `(${components.join(" ")});created=${when};keyid="${key.vkey}";alg="ed25519";nonce="${nonce}"`;
  lines.push(`"@signature-params": ${params}`);
  const sig = await sign(key, enc.encode(lines.join("\n")));
  headers["Signature-Input"] = `sig1=${params}`;
  headers["Signature"] = `sig1=:${b64encode(sig)}:`;
  return headers;
}

/*
 * Signs a text as a C2SP signed note: the text (ending in a newline), a
 * blank line, and "— <name> <base64(key id || signature)>".
 */
export async function signNote(key, text) {
  const body = text.endsWith("\n") ? text : text + "\n";
  const sig = await sign(key, enc.encode(body));
  return `${body}\n\u2014 ${key.name} ${b64encode(concat(key.keyid, sig))}\n`;
}

/* Parses a verifier key name+hash+base64(0x01 || public key) and checks its hash. */
export async function parseVerifierKey(vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
  if (!m) throw new Error("verifier key: expected name+hash+key");
  const [, name, hash, key] = m;
  const raw = b64decode(key);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error("verifier key: not an Ed25519 key");
  const publicKey = raw.subarray(1);
  if ((await keyHash(name, publicKey)) !== hash) throw new Error("verifier key: its hash does not match its key");
  return { name, hash, keyid: hexBytes(hash), publicKey };
}

/*
 * Verifies a signed note (a checkpoint) with one verifier key. Returns the
 * text that was signed; throws if no signature line of that key verifies.
 */
export async function verifyNote(note, vkey) {
  const k = await parseVerifierKey(vkey);
  const split = note.indexOf("\n\n");
  if (split < 0) throw new Error("signed note: no blank line between text and signatures");
  const text = note.slice(0, split + 1);
  const key = await subtle.importKey("raw", k.publicKey, { name: "Ed25519" }, false, ["verify"]);
  for (const line of note.slice(split + 2).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== k.name) continue;
    const raw = b64decode(m[2]);
    if (raw.length !== 68 || !equal(raw.subarray(0, 4), k.keyid)) continue;
    if (await subtle.verify({ name: "Ed25519" }, key, raw.subarray(4), enc.encode(text))) return text;
    throw new Error(`signed note: the signature of ${k.name} does not verify`);
  }
  throw new Error(`signed note: no signature by ${k.name}`);
}

/* A C2SP tlog-checkpoint's text: origin, size, root hash. */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Error("checkpoint: malformed");
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error("checkpoint: the root hash is not 32 bytes");
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

export async function leafHash(leaf) {
  return sha256(concat(new Uint8Array([0]), leaf));
}

async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/*
 * RFC 9162 §2.1.3.2: does the audit path prove that the leaf with this hash
 * sits at index in the tree of size leaves whose root is given?
 */
export async function verifyInclusion(index, size, leaf, path, root) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return false;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

export function hex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
