/**
 * JSON text as Python's `json.dumps(obj)` writes it, which is how Keras writes config.json and metadata.json
 * (keras/src/saving/saving_lib.py `_serialize_model_as_json`): separators ", " and ": ", non-ASCII escaped
 * (ensure_ascii), and floats in Python's repr (1e-05, 0.001, 6.0).
 *
 * JavaScript has one number type, so which numbers were Python floats is said by key: numbers under a key in
 * `floatKeys` (at any depth, including inside lists) are written as floats, other integral numbers as ints.
 */

export function pythonJsonDumps(value: unknown, floatKeys: ReadonlySet<string> = new Set()): string {
  return dump(value, false, floatKeys);
}

function dump(value: unknown, asFloat: boolean, floatKeys: ReadonlySet<string>): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return asFloat || !Number.isInteger(value) ? pythonFloatRepr(value) : String(value);
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map((v) => dump(v, asFloat, floatKeys)).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${items.map(([k, v]) => `${pythonString(k)}: ${dump(v, floatKeys.has(k), floatKeys)}`).join(', ')}}`;
  }
  throw new Error(`pythonJsonDumps: cannot write a ${typeof value}`);
}

/** Python's repr(float): shortest round-trip digits; scientific notation when the exponent is < -4 or >= 16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(x);
  return /[.e]/.test(fixed) ? fixed : `${fixed}.0`;
}

function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
