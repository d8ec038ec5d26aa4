// The bundled example: three real images with sky placement, built into a local data repository.
// `npx imgbuild all` reads this file; every setting here can be overridden by a flag (see `imgbuild --help`).
import { defineConfig, wwtStudyRules } from 'imgbuild';

export default defineConfig({
  incoming: 'example/incoming',
  work: 'work',
  cache: 'cache',
  local: 'example/repo',
  // Where example/repo would be served; index.wtml holds absolute URLs under it.
  publishUrlPrefix: 'http://localhost:8080/',
  folderName: 'imgbuild example',
  folderThumbnailUrl: 'http://localhost:8080/orion-vst/thumb.jpg',
  rules: wwtStudyRules(),
});
