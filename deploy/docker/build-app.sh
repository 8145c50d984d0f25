#!/bin/sh
# The image's application layer: the server and lockctl with production dependencies only.
# The Dockerfile runs it, and so does the production-deps test (tests/src/prod-deploy.test.ts)
# without Docker, so a missing runtime dependency fails CI before any image is built.
# Run from the repository root after `pnpm install --frozen-lockfile && pnpm build`.
set -eu
dest=${1:?usage: deploy/docker/build-app.sh DEST}
pnpm --filter @quorumlock/coordinator deploy --legacy --prod --offline "$dest/server"
pnpm --filter @quorumlock/client deploy --legacy --prod --offline "$dest/lockctl"
# Sources, tests and build info are not needed at run time.
for app in server lockctl; do
  rm -rf "$dest/$app/src" "$dest/$app/test" "$dest/$app/tsconfig.json" "$dest/$app/dist/tsconfig.tsbuildinfo"
done
