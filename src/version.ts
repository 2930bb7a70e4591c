// Replaced at build time by esbuild's define with package.json's version; the fallback serves tests run from source.
declare const __VERSION__: string | undefined;
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
