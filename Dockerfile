# syntax=docker/dockerfile:1
# One image per service, from the same file:
#   docker build --build-arg SERVICE=orders -t registry.example.com/commerce/orders:0.1.0 .
# SERVICE is "router" or a subgraph name (identity, catalog, inventory, reviews, orders, payments, notifications).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# Every workspace's package.json and the lockfile, so the dependency layers are cached until one changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' | tar -cf - -T - package-lock.json | tar -xf - -C /manifests

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
ARG SERVICE
COPY . .
# Build the service and the workspaces it depends on, then gather what it runs in /out: its compiled code,
# the shared packages, the migrations (prisma/), the supergraph and persisted-query manifests (schema/),
# and main.js, the entry point that CMD runs.
RUN <<'EOF'
set -eu
case "${SERVICE:-}" in
  router) dir=router ;;
  ?*) dir="subgraphs/$SERVICE" ;;
  *) echo "build with --build-arg SERVICE=<router|subgraph name>" >&2; exit 1 ;;
esac
[ -f "$dir/package.json" ] || { echo "unknown SERVICE: $SERVICE (no $dir/package.json)" >&2; exit 1; }
npm run build -- --filter="@commerce/$SERVICE..."
for ws in packages/* "$dir"; do
  if [ -d "$ws/dist/src" ]; then mkdir -p "/out/$ws/dist" && cp -r "$ws/dist/src" "/out/$ws/dist/"; fi
done
# The router's schema explorer (/explorer): the page, its bundle and Monaco's workers, built by router/scripts/bundle-explorer.mjs.
if [ -d "$dir/dist/explorer" ]; then cp -r "$dir/dist/explorer" "/out/$dir/dist/"; fi
cp -r prisma schema /out/
printf "import './%s/dist/src/main.js';\n" "$dir" > /out/main.js
EOF

# Production dependencies of this service only. --omit=optional as well: the prisma CLI (a development
# dependency) is an optional peer of @prisma/client, so npm marks it "devOptional" and --omit=dev alone would
# install it, and with it PGlite, TypeScript and ~250 MB more. No production dependency needs an optional one.
FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --omit=optional --workspace="@commerce/$SERVICE" --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# The package managers are not needed at run time: less to patch.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production \
    APOLLO_TELEMETRY_DISABLED=true
WORKDIR /app
COPY --from=prod-deps /app/ ./
COPY --from=build /out/ ./
# The image's "node" user, by id so that Kubernetes' runAsNonRoot can verify it. The code stays root-owned.
USER 1000:1000
# Migrations: node packages/kit/dist/src/cli/migrate.js <subgraph>
CMD ["node", "main.js"]
