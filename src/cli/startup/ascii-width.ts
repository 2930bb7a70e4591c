type Width = (text: string, options?: object) => number;

// Printable ASCII only: no escape codes, no control characters, nothing wide or zero-width.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * string-width for yargs' help layout with a fast path: printable ASCII takes one column per
 * character, which is what string-width returns for it. The full module (an Intl.Segmenter made
 * on load, Unicode property regexes compiled on first use) loads on the first other string.
 * The build puts this in front of every `string-width` import.
 */
export function asciiFastWidth(load: () => Width): Width {
  let full: Width | undefined;
  return (text, options) => {
    if (typeof text === 'string' && PRINTABLE_ASCII.test(text)) return text.length;
    full ??= load();
    return full(text, options);
  };
}
