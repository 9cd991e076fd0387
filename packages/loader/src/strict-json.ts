/**
 * A strict RFC 8259 JSON parser for small, security-relevant documents (safetensors headers, shard
 * indexes, config.json). Unlike `JSON.parse` it refuses duplicate object keys (JSON.parse silently
 * keeps the last one, so a header could name one tensor twice with different offsets) and bounds
 * nesting depth so hostile input cannot overflow the stack.
 */

/**
 * Called with a description of the first problem; must throw. `where` is a JSON path like `$["a"][2]`;
 * `duplicateKey` is set when the problem is a repeated key in the object at `where`.
 */
export type JsonFail = (problem: string, where: string, duplicateKey?: string) => never;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseStrictJson(text: string, fail: JsonFail, maxDepth = 64): unknown {
  let i = 0;

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };

  const describe = (): string => (i >= text.length ? 'end of input' : `${JSON.stringify(text[i])} at offset ${i}`);

  const parseString = (path: string): string => {
    // caller has checked text[i] === '"'
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string', path);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail(`unescaped control character 0x${c.toString(16)} in string at offset ${i}`, path);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`invalid \\u escape at offset ${i - 2}`, path);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          fail(`invalid escape sequence at offset ${i - 2}`, path);
      }
      start = i;
    }
  };

  const parseValue = (path: string, depth: number): unknown => {
    skipWs();
    const c = text[i];
    if (c === '{') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`, path);
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      skipWs();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail(`expected a string key, found ${describe()}`, path);
        const key = parseString(path);
        const childPath = `${path}[${JSON.stringify(key)}]`;
        if (seen.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, path, key);
        seen.add(key);
        skipWs();
        if (text[i] !== ':') fail(`expected ':' after key, found ${describe()}`, childPath);
        i++;
        const value = parseValue(childPath, depth + 1);
        // defineProperty, not assignment: a "__proto__" key must stay an ordinary own property.
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}' in object, found ${describe()}`, path);
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`, path);
      i++;
      const arr: unknown[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(`${path}[${arr.length}]`, depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' in array, found ${describe()}`, path);
      }
    }
    if (c === '"') return parseString(path);
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null) {
      i += m[0].length;
      return Number(m[0]);
    }
    return fail(`expected a JSON value, found ${describe()}`, path);
  };

  const value = parseValue('$', 0);
  skipWs();
  if (i !== text.length) fail(`unexpected ${describe()} after the JSON value`, '$');
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
