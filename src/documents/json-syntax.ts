/**
 * Finds the first JSON syntax error with its offset, so every Node version gives the same position and
 * message (JSON.parse messages differ between versions and sometimes carry no position).
 * Only called after JSON.parse failed; nesting is already capped by the caller.
 */
export interface JsonSyntaxError {
  offset: number;
  message: string;
  hint?: string;
}

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  let lastComma = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (message: string, hint?: string): never => {
    throw { offset: i, message, ...(hint ? { hint } : {}) } satisfies JsonSyntaxError;
  };
  const describe = () => (i >= n ? 'the end of the file' : `\`${text[i]}\``);
  const str = () => {
    i++; // opening quote
    while (i < n) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`invalid escape \\${e ?? ''} in a string`);
        continue;
      }
      if (c.charCodeAt(0) < 0x20)
        fail('a control character (such as a raw newline or tab) inside a string', 'escape it as \\n or \\t');
      i++;
    }
    fail('a string is not closed', 'add the closing double quote');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === '}') {
          i = lastComma;
          fail('a trailing comma before `}`', 'remove the trailing comma');
        }
        if (text[i] !== '"')
          fail(
            `expected a double-quoted key, found ${describe()}`,
            text[i] === "'" ? 'JSON keys use double quotes' : undefined,
          );
        str();
        ws();
        if (text[i] !== ':') fail(`expected \`:\` after a key, found ${describe()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          lastComma = i;
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(
          `expected \`,\` or \`}\`, found ${describe()}`,
          i >= n ? 'a closing brace is missing' : 'is a comma missing?',
        );
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') {
          i = lastComma;
          fail('a trailing comma before `]`', 'remove the trailing comma');
        }
        value();
        ws();
        if (text[i] === ',') {
          lastComma = i;
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(
          `expected \`,\` or \`]\`, found ${describe()}`,
          i >= n ? 'a closing bracket is missing' : 'is a comma missing?',
        );
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(
      `unexpected ${describe()}: expected a value (string, number, object, array, true, false or null)`,
      c === "'" ? 'JSON strings use double quotes' : undefined,
    );
  };
  try {
    ws();
    value();
    ws();
    if (i < n)
      fail(
        `unexpected ${describe()} after the end of the JSON value`,
        'the file holds more than one value: are the outer braces missing?',
      );
    return undefined;
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'offset' in err) return err as JsonSyntaxError;
    return { offset: 0, message: String(err) };
  }
}

/**
 * Offsets of object keys that repeat an earlier key of the same object (JSON.parse silently keeps the
 * last). A single pass over valid JSON text.
 */
export function findDuplicateJsonKeys(text: string): number[] {
  const found: number[] = [];
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = text.slice(start + 1, i);
        if (top.keys.has(key)) found.push(start);
        else top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === 123) stack.push({ keys: new Set(), expectKey: true });
    else if (c === 91) stack.push({ keys: undefined, expectKey: false });
    else if (c === 125 || c === 93) stack.pop();
    else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return found;
}
