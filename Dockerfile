# Three stages: install everything and build; install production dependencies
# only; then a small runtime image with no compiler, no drizzle-kit, no Vite.
# Nothing about the database is baked in: the SQLite file lives in /app/data,
# a volume, and every setting comes from the environment at run time.

ARG NODE_IMAGE=node:24-bookworm-slim
# Litestream, for continuous off-site copies of the database (off unless
# LITESTREAM_REPLICA_URL is set; docs/operations.md#off-site-replication).
# Pinned: 0.3.13 is the version the tests run, and 0.5's backups are a new
# format (docs/decisions/031-litestream.md).
ARG LITESTREAM_IMAGE=litestream/litestream:0.3.13

# Only its binary is used: one static file.
FROM ${LITESTREAM_IMAGE} AS litestream

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# drizzle-orm (the migrator), better-sqlite3 and sharp (with their prebuilt
# binaries) are production dependencies; drizzle-kit is a dev tool and stays out.
# Not --omit=optional: sharp's libvips for this platform is an optional
# dependency (one per platform, npm installs the matching one). TypeScript and
# @types, which npm keeps as optional peers of @react-router/*, are removed
# by hand instead (27 MB the server never loads), and so is the Litestream npm
# package (the binary comes from the litestream stage below).
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/typescript node_modules/@types node_modules/undici-types node_modules/@flydotio

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
# The code is owned by root and read-only for the app; only /app/data is its.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
# The server is all in build/ (below: server.ts bundled with what it loads).
# The CLI (app/cli/cli.ts: migrate, backup, staff, inventory…) runs from
# source; all of app/ is copied (route sources included, a few hundred kB
# never loaded) rather than a list that breaks at every new import.
COPY app ./app
COPY drizzle ./drizzle
COPY --from=build /app/build ./build
COPY --from=litestream /usr/local/bin/litestream /usr/local/bin/litestream
COPY app/ops/container-entrypoint.sh /usr/local/bin/store-entrypoint
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The entry script runs the command as it is (exec) unless a replica is
# configured: then it restores a missing database first, and runs the server
# beside `litestream replicate` (app/ops/container-entrypoint.sh says how).
ENTRYPOINT ["/usr/local/bin/store-entrypoint"]
# Exec form: node is PID 1's direct child under `init: true` (or PID 1), so it
# receives SIGTERM from `docker stop` and drains. `npm start` would not pass it on.
# build/server/server.js is server.ts bundled with everything it loads
# (vite.config.ts): it starts in a quarter of the time.
CMD ["node", "build/server/server.js"]
