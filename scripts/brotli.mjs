// Writes `<file>.br` (brotli, quality 11) next to each file given: what sso-server sends to a
// browser that accepts br, which browsers offer only over https. Node's zlib, so no package.
//   node scripts/brotli.mjs dist/*.wasm …
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const input = readFileSync(file);
  const output = brotliCompressSync(input, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: input.length,
    },
  });
  writeFileSync(`${file}.br`, output);
}
