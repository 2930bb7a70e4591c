import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export type ConfigPath = readonly (string | number)[];

/** A parsed config file: its plain value, syntax problems, and the line of any key or value. */
export interface ConfigDocument {
  value: unknown;
  syntaxErrors: { line: number; message: string }[];
  /** 1-based line of the key (for maps) or item at `path`; the nearest existing parent otherwise. */
  lineOf(path: ConfigPath): number;
}

/** YAML and JSON alike (JSON is YAML 1.2), with line numbers from the parser's node ranges. */
export function parseConfigDocument(text: string): ConfigDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxErrors = doc.errors.map((error) => ({
    line: lineCounter.linePos(error.pos[0]).line,
    // The message repeats the position and quotes the source; the caller names the line itself.
    message: (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, ''),
  }));
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;

  function lineOf(path: ConfigPath): number {
    let node: unknown = doc.contents;
    let line = lineAt((doc.contents as Node | null)?.range?.[0]);
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === part);
        if (!pair) return line;
        line = lineAt((pair.key as Node).range?.[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part] as Node | undefined;
        if (!item) return line;
        line = lineAt(item.range?.[0]);
        node = item;
      } else {
        return line;
      }
    }
    return line;
  }

  let value: unknown;
  try {
    value = syntaxErrors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  } catch (error) {
    syntaxErrors.push({ line: 1, message: error instanceof Error ? error.message : String(error) });
  }
  return { value, syntaxErrors, lineOf };
}
