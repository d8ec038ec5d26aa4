// `npm pack` runs this (prepack/postpack): the tarball carries npm-shrinkwrap.json, a copy of package-lock.json,
// so `npm install -g imgbuild-X.tgz` installs exactly the dependency versions the tests ran with. Without it
// npm resolves the ranges afresh, and a transitive release that drops Node 20 (the AWS SDK's, January 2027)
// would be installed on Node 20. The repository keeps package-lock.json as its only lockfile.
import fs from 'node:fs';

if (process.argv[2] === 'remove') fs.rmSync('npm-shrinkwrap.json', { force: true });
else fs.copyFileSync('package-lock.json', 'npm-shrinkwrap.json');
