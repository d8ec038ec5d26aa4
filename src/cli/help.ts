// The text of `imgbuild --help`.
export const HELP = `imgbuild — build WorldWide Telescope data sets from images, incrementally and in parallel

Usage: imgbuild [target…] [options]

Targets are 'all' (the default), a stage, or rule names; a target builds what it needs first.
  process    build everything into the work folder; upload nothing (for review)
  publish    upload what was built and not rejected (work/<id>/rejected)
  reindex    rebuild the repository's root index.wtml from what it holds, from any machine
The built-in rules: place, tiles, thumbnail, wtml, publish, index.

Options:
  --config FILE               pipeline config (default: pipeline.config.ts, if present)
  --local DIR                 the data repository: a local folder (default: repo), or
  --azure-conn-env NAME       … Azure Blob Storage: NAME is the environment variable holding the
                              connection string (never the string itself)
  --azure-container C           with the container
  --azure-path-prefix P         and an optional folder inside it
  --s3-bucket B               … S3 (credentials from the AWS SDK's chain: environment, profile)
  --s3-prefix P                 optional folder inside the bucket
  --s3-endpoint URL             an S3-compatible server (path-style addressing)
  --s3-region R                 region (default: AWS_REGION, else us-east-1)
  --incoming DIR              folder of images to process
  --work DIR                  folder for built outputs before publishing (default: work)
  --publish-url-prefix URL    URL the repository is served under (for index.wtml)
  --cache DIR                 build state folder (default: cache)
  -j, --jobs N                nodes run in parallel (default: number of cores)
  --dry-run                   say what would run and why; change nothing
  --json                      print one JSON object (the plan with --dry-run, the outcome otherwise)
  --keep-going                after a failure, still build everything that does not depend on it
  -v, --verbose               print every node's log lines
  -h, --help                  this text
  --version                   imgbuild's version

Exit status: 0 built (or nothing to do), 1 a node failed, 2 bad usage or configuration.
`;
