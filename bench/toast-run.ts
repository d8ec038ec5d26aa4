// Child process of the TOAST benchmark, so GNU time measures exactly the tiling: node toast-run.js IMAGE OUT DEPTH
// (PNG level 2: the tiles rule's default.)
import { tileToast } from '../src/toast/toast-tiler.js';

const [image, out, depth] = process.argv.slice(2);
const result = await tileToast(image!, out!, { projection: 'plate-carree', depth: Number(depth), pngCompression: 2, maxPixels: 1e9 });
console.log(`TILES ${result.tiles}`);
