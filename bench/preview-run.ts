// Child process of the preview benchmark, so GNU time measures exactly our work:
//   node preview-run.js preview FITS OUT_DIR   — asinh 99.5 % preview.jpg + thumb.jpg
//   node preview-run.js decode FITS            — decode every row (a .fz: Rice tiles), print a checksum
import path from 'node:path';
import { renderFitsPreview } from '../src/fits/fits-preview.js';
import { openFitsImage } from '../src/fits/fits-reader.js';

const [mode, file, out] = process.argv.slice(2);
if (mode === 'preview') {
  const result = await renderFitsPreview(file!, {
    scaling: 'asinh',
    percent: 99.5,
    preview: path.join(out!, 'preview.jpg'),
    thumb: path.join(out!, 'thumb.jpg'),
    thumbSize: 128,
    quality: 75,
    maxPixels: 268_435_456,
  });
  console.log(`CUTS ${result.cuts.low} ${result.cuts.high}`);
} else {
  const image = await openFitsImage(file!);
  let sum = 0;
  for await (const row of image.rows()) for (let i = 0; i < row.length; i += 97) sum += row[i]!;
  image.close();
  console.log(`SUM ${sum}`);
}
