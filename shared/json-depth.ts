/**
 * How deeply JSON text nests, read from the text: arrays and objects open
 * inside each other, brackets in strings not counted. Parsing with a reviver
 * and serializing recurse, so ringkv bounds the depth up front instead of
 * letting the runtime's stack decide (client/json-value.ts: MAX_JSON_DEPTH).
 */
export function jsonTextDepth(text: string): number {
  // Every level takes two characters at least, so short text is shallow.
  if (text.length < 2) return 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) deepest = Math.max(deepest, ++depth);
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return deepest;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
