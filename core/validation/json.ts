// Where a JSON text goes wrong, as line and column and what was expected there: what a client
// needs to mend its request, without the parser's own message (V8's quotes the text around the
// error, and the text may hold a secret). A scanner with an explicit stack, so any nesting is safe.

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

interface Failure {
  at: number;
  expected: string;
}

/** The first place `text` is not JSON, or undefined when it is. */
function firstError(text: string): Failure | undefined {
  let at = 0;
  const skip = () => {
    while (at < text.length && WHITESPACE.has(text[at]!)) at++;
  };
  const string = (): Failure | undefined => {
    at++; // the opening quote
    while (at < text.length) {
      const char = text[at]!;
      if (char === '"') {
        at++;
        return undefined;
      }
      if (char < ' ') return { at, expected: 'no control character inside a string (escape it)' };
      if (char === '\\') {
        const next = text[at + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) return { at, expected: 'four hex digits after \\u' };
          at += 6;
          continue;
        }
        if (next === undefined || !ESCAPES.has(next)) return { at, expected: 'a valid escape' };
        at += 2;
        continue;
      }
      at++;
    }
    return { at, expected: 'the end of the string (")' };
  };
  // What each open container expects next: `value` (`value-or-close` right after `[`), `key`
  // (`key-or-close` right after `{`), `colon`, `comma-or-close`.
  const stack: Array<{ close: '}' | ']'; next: string }> = [];
  let done = false;
  const ended = () => {
    const top = stack[stack.length - 1];
    if (top) top.next = 'comma-or-close';
    else done = true;
  };
  for (;;) {
    skip();
    const char = text[at];
    const top = stack[stack.length - 1];
    const state = top ? top.next : done ? 'end' : 'value';
    if (state === 'end') return at < text.length ? { at, expected: 'nothing after the value' } : undefined;
    if (state === 'value' || state === 'value-or-close') {
      if (state === 'value-or-close' && char === ']') {
        at++;
        stack.pop();
        ended();
      } else if (char === '{' || char === '[') {
        at++;
        stack.push(char === '{' ? { close: '}', next: 'key-or-close' } : { close: ']', next: 'value-or-close' });
      } else if (char === '"') {
        const failed = string();
        if (failed) return failed;
        ended();
      } else {
        const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, at)) ?? NUMBER.exec(text.slice(at, at + 400))?.[0];
        if (!literal) return { at, expected: char === undefined ? 'a value (the text ends here)' : 'a value (an object, array, string, number, true, false or null)' };
        at += literal.length;
        ended();
      }
    } else if (state === 'key' || state === 'key-or-close') {
      if (state === 'key-or-close' && char === '}') {
        at++;
        stack.pop();
        ended();
      } else if (char === '"') {
        const failed = string();
        if (failed) return failed;
        top!.next = 'colon';
      } else {
        return { at, expected: state === 'key' ? 'a property name in double quotes' : "a property name in double quotes, or '}'" };
      }
    } else if (state === 'colon') {
      if (char !== ':') return { at, expected: "':' after the property name" };
      at++;
      top!.next = 'value';
    } else if (char === ',') {
      at++;
      top!.next = top!.close === '}' ? 'key' : 'value';
    } else if (char === top!.close) {
      at++;
      stack.pop();
      ended();
    } else {
      return { at, expected: `',' or '${top!.close}'` };
    }
  }
}

/** Why `text` is not JSON: what was expected, at which line and column (1-based). */
export function describeJsonError(text: string): string {
  const failure = firstError(text);
  if (!failure) return 'it is not JSON';
  const before = text.slice(0, failure.at);
  const line = before.split('\n').length;
  const column = failure.at - before.lastIndexOf('\n');
  return `expected ${failure.expected} at line ${line} column ${column}`;
}
