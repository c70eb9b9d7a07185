# syntax=docker/dockerfile:1
#
# ConsentLine container image.
#   docker build -t consentline .
#   docker run --init -d --name consentline --network host \
#     -v consentline-data:/var/lib/consentline \
#     -v /etc/consentline/credentials:/run/secrets:ro \
#     -e CONSENTLINE_ARI_PASSWORD_FILE=/run/secrets/ari-password \
#     -e CONSENTLINE_PEPPER_FILE=/run/secrets/pepper consentline
# (--network host when Asterisk listens on the host's loopback; --init forwards signals.
# Secrets as files, never -e NAME=value: docker inspect would show them.)
# Config: mount it as /app/consentline.yaml, or set CONSENTLINE_CONFIG.
# The CLI in the running container: docker exec -it consentline consentline --help

# ---- build: compile TypeScript, build better-sqlite3 for this Node -------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
# Toolchain for native modules (better-sqlite3 falls back to a source build).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "const D=require('better-sqlite3'); new D(':memory:').close()"

# ---- runtime ------------------------------------------------------------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    CONSENTLINE_DATA_DIR=/var/lib/consentline \
    CONSENTLINE_API_HOST=0.0.0.0 \
    CONSENTLINE_API_PORT=8480 \
    CONSENTLINE_API_OPS_HOST=0.0.0.0 \
    CONSENTLINE_PROMPTS_DIR=/app/audio-prompts
RUN groupadd --system --gid 10001 consentline \
 && useradd --system --uid 10001 --gid consentline --home-dir /var/lib/consentline \
      --no-create-home --shell /usr/sbin/nologin consentline \
 && mkdir -p /var/lib/consentline \
 && chown consentline:consentline /var/lib/consentline \
 && chmod 0750 /var/lib/consentline
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The console's CSS, scripts and icon (served under /console/assets; tsc copies no assets).
COPY --from=build --chown=root:root /app/src/console/assets ./dist/console/assets
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root audio-prompts ./audio-prompts
# `consentline` on the PATH runs the CLI (docker exec), as the package's bin would.
RUN printf '#!/bin/sh\nexec node /app/dist/cli/main.js "$@"\n' > /usr/local/bin/consentline \
 && chmod 0755 /usr/local/bin/consentline
# Everything the service may write lives here: database, keys, spool copies.
VOLUME ["/var/lib/consentline"]
USER consentline:consentline
EXPOSE 8480
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8480/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
