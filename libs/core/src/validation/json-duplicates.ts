/**
 * Duplicate keys in a JSON text, as kube-apiserver's strict decoder (sigs.k8s.io/json
 * `UnmarshalStrict`) reports them: `duplicate field "metadata.labels.app"`, with array items
 * as `spec.containers[0].name`. `JSON.parse` silently keeps the last value.
 *
 * The text must already be valid JSON (call this after `JSON.parse` succeeded): the scan only
 * follows brackets, commas and strings. It is one pass over the text, without recursion (a
 * body may nest as deep as the body depth limit allows) and without building values: a key
 * is sliced out of the text, and decoded only when it has an escape (`"a\u0062"` is `"ab"`).
 */
export function duplicateJsonKeys(text: string): string[] {
  const found: string[] = [];
  // One frame per open object or array: an object's keys seen so far and its current key,
  // an array's current index.
  const frames: Frame[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const top = frames[frames.length - 1] as ObjectFrame;
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) found.push(pathOf(frames, key));
        else top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE) {
      frames.push({ keys: new Set(), key: '' });
      expectKey = true;
    } else if (c === OPEN_BRACKET) {
      frames.push({ index: 0 });
      expectKey = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      frames.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = frames[frames.length - 1];
      if ('keys' in top) expectKey = true;
      else top.index++;
    }
  }
  return found;
}

interface ObjectFrame {
  keys: Set<string>;
  key: string;
}
interface ArrayFrame {
  index: number;
}
type Frame = ObjectFrame | ArrayFrame;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  for (;;) {
    if (j < 0) return text.length; // not valid JSON: the caller parsed it first
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

/** The Kubernetes-style path of `key` in the innermost object: `a.b[0].c`. */
function pathOf(frames: Frame[], key: string): string {
  let path = '';
  // The last frame is the object that holds `key`; the ones before it lead to it.
  for (let f = 0; f < frames.length - 1; f++) {
    const frame = frames[f];
    if ('keys' in frame) path += path ? `.${frame.key}` : frame.key;
    else path += `[${frame.index}]`;
  }
  return path ? `${path}.${key}` : key;
}
