# syntax=docker/dockerfile:1
# Vigil's container image (docs/deployment.md). Checked by test/deploy/dockerfile.test.ts.
#
#   docker build -t vigil .
#   docker run -p 8000:8000 -v vigil-data:/data vigil
#
# Three stages on the same slim Debian Node.js 20 base: `build` compiles TypeScript and the admin
# console (web/ → dist/web) with the dev dependencies, `deps` installs the production dependencies only (native modules: better-sqlite3,
# @node-rs/argon2, from their prebuilt binaries for glibc), and the final image holds dist/,
# those node_modules and package.json, runs as the unprivileged `node` user (uid 1000) and keeps
# its state (the SQLite database and the signing-key file, when used) in the /data volume.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The admin console (Vite) builds into dist/web, which the final stage copies with the rest of dist/.
COPY web ./web
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Served at /runbooks/<name> and linked from every alert's runbook_url.
COPY docs/runbooks ./docs/runbooks
# The defaults DATABASE_URL=sqlite:./data/vigil.db and SIGNING_KEY_FILE=./data/vigil.key resolve
# to /app/data, which is the volume. Mode 0700: only Vigil's user reads the database and the key.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data && ln -s /data /app/data
VOLUME /data
USER node
EXPOSE 8000
# Vigil drains on SIGTERM (in-flight requests finish, within SHUTDOWN_TIMEOUT_SECONDS): give the
# container a stop timeout longer than that (`docker stop -t 30`, compose `stop_grace_period`).
STOPSIGNAL SIGTERM
# The slim image has no curl: Node's own fetch probes liveness on the port Vigil listens on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.API_PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same Node.js flags as `npm start` (package.json), without npm in the signal path.
CMD ["node", "--max-semi-space-size=8", "dist/main.js"]
