# syntax=docker/dockerfile:1
# The costlens collector as an image; docker-compose.yml builds it (`docker compose up`).
#
#   build      the README's install steps on Node 24: npm ci, npm run build
#   demo       the build plus its SDKs: the demo traffic and the fake provider server
#              (examples/traffic; `target: demo` in docker-compose.yml)
#   prod-deps  the build pruned to production packages
#   runtime    the collector alone on slim Node 24, as user node, its database on /data
#              (the last stage: what `docker build .` gives)
#
# Keys come from the environment (COSTLENS_INGEST_KEYS, COSTLENS_READ_KEYS), never from the
# image: the collector listens on 0.0.0.0 here and refuses to start without them.
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-trixie AS build
WORKDIR /app
# The manifests alone first: npm ci's layer is reused until a dependency changes.
COPY package.json package-lock.json ./
COPY pricing/package.json pricing/
COPY collector/package.json collector/
COPY instrumentation/package.json instrumentation/
COPY test/package.json test/
COPY bench/package.json bench/
COPY bench/instrumentation-peers/package.json bench/instrumentation-peers/
COPY grafana/package.json grafana/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM build AS demo
ENV NODE_ENV=production
USER node
CMD ["node", "--import", "@costlens/instrumentation/register", "examples/traffic/app.mjs"]

FROM build AS prod-deps
# Dev packages go; so do the links to the workspaces the runtime stage does not copy.
RUN npm prune --omit=dev --no-audit --no-fund \
 && find node_modules/@costlens -maxdepth 1 -type l ! -name pricing ! -name collector -delete

FROM node:${NODE_VERSION}-trixie-slim AS runtime
ENV NODE_ENV=production \
    COSTLENS_HOST=0.0.0.0 \
    COSTLENS_PORT=4318 \
    COSTLENS_DB=/data/costlens.db
WORKDIR /app
COPY --from=prod-deps /app/package.json ./
COPY --from=prod-deps /app/node_modules node_modules/
COPY --from=prod-deps /app/pricing/package.json pricing/
COPY --from=prod-deps /app/pricing/dist pricing/dist/
COPY --from=prod-deps /app/pricing/data pricing/data/
COPY --from=prod-deps /app/collector/package.json collector/
COPY --from=prod-deps /app/collector/bin collector/bin/
COPY --from=prod-deps /app/collector/dist collector/dist/
COPY --from=prod-deps /app/collector/page collector/page/
# The database's folder belongs to the user the collector runs as; a named volume
# mounted there starts with this ownership.
RUN mkdir /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4318
# /readyz: 200 once the database is open and migrated. Node's fetch: no curl in a slim image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.COSTLENS_PORT || 4318) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/collector/bin/costlens.js"]
CMD ["start"]
