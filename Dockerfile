# Berth's image: the API server (the default command, with the dashboard built in), the
# worker and the node agent, from one build.   docker build -t berth .
# docker-compose.yml runs it; README.md, "Container image and compose", tells how.

# --- build: every dependency, the TypeScript build and the dashboard ------------------
FROM node:20-bookworm-slim AS build
WORKDIR /berth
# The dependency layer changes only with the lock file and the package manifests
# (postinstall applies patches/ and generates the Prisma client from prisma/).
COPY package.json package-lock.json prisma.config.ts ./
COPY patches ./patches
COPY prisma ./prisma
COPY scripts/prisma.js scripts/unref-timers.js ./scripts/
COPY libs/core/package.json ./libs/core/
COPY libs/config/package.json ./libs/config/
COPY libs/store/package.json ./libs/store/
COPY libs/registry/package.json ./libs/registry/
COPY libs/runtime/package.json ./libs/runtime/
COPY apps/api/package.json ./apps/api/
COPY apps/worker/package.json ./apps/worker/
COPY apps/agent/package.json ./apps/agent/
COPY apps/admin/package.json ./apps/admin/
# npm install, not npm ci: the lock file cannot list every platform's optional binaries
# (see README, "Running the tests"); npm install keeps to the lock file all the same.
RUN npm install --no-audit --no-fund
COPY . .
# Build (libs, apps and the dashboard), drop the dev dependencies, and gather what runs
# into /out: manifests, node_modules, the built dist/ folders, the migrations, the scripts.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out/scripts \
 && cp -a package.json package-lock.json node_modules prisma /out/ \
 && cp -a scripts/berth.js scripts/bootstrap-token.js /out/scripts/ \
 && for w in libs/core libs/config libs/store libs/registry libs/runtime apps/api apps/worker apps/agent apps/admin; do \
      mkdir -p "/out/$w" && cp -a "$w/package.json" "$w/dist" "/out/$w/" \
      && if [ -d "$w/node_modules" ]; then cp -a "$w/node_modules" "/out/$w/"; fi; \
    done

# --- runtime: production files only, run as the unprivileged `node` user -----------------
FROM node:20-bookworm-slim AS runtime
# pg_dump, pg_restore and psql (PostgreSQL 15, as in docker-compose.yml) for `berth backup`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /agent \
 && chown node:node /data /agent
ENV NODE_ENV=production \
    BERTH_DATA_DIR=/data \
    BERTH_AGENT_DATA_DIR=/agent \
    BERTH_HTTP_PORT=8080
WORKDIR /berth
COPY --from=build /out ./
USER node
# 6443: the HTTPS API and the dashboard. 10250: a node agent's log port.
EXPOSE 6443 10250
# The API's readiness on its plain-HTTP loopback port (the worker and agent override it).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BERTH_HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/api/dist/main.js"]
