# App image: every worker, the migrate one-shot and tradectl run from it (docker-compose.temporal.yml).
# TypeScript runs through tsx, so there is no build step: the image is sources + production node_modules.
FROM node:20-bookworm-slim AS app

# openssl: Prisma's tooling probes libssl on Debian slim; ca-certificates: TLS for tools outside Node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install script (run by `npm rebuild` below) would download CUDA
# binaries; the CPU build ships inside the npm package. (npm 11 does not run it at all: package.json's allowScripts.)
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    ONNXRUNTIME_NODE_INSTALL=skip

# Dependencies first, so source edits do not reinstall them; .npmrc (fund, audit) is read by `npm ci`. Scripts wait
# for the sources: the project's postinstall needs scripts/ and prisma/.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY . .
# Now the install scripts `npm ci` skipped: the dependencies' (npm rebuild), then the project's
# postinstall (Temporal CLI, optional here since TEMPORAL_ADDRESS names a server; Prisma client
# generation into prisma/generated, which .dockerignore keeps out of the context).
RUN npm rebuild && npm run postinstall && npm cache clean --force

# data/ is where the app writes local files; owned by the unprivileged user the processes run as.
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node

# 9464: /metrics and /health (METRICS_PORT); 9465: Temporal runtime metrics (TEMPORAL_METRICS_PORT).
EXPOSE 9464 9465
# Without arguments the worker serves every queue; compose passes `-- --queues <key>` per service.
CMD ["npm", "run", "worker"]

# The training worker (docker-compose service worker-training, queue `training`): the app image plus Python and
# the pinned training environment of models/requirements.txt, installed at build time so a retrain downloads
# nothing at run time. Every other service builds the `app` target above and carries no Python.
FROM app AS training
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN bash models/venv.sh && chown -R node:node models/.venv /app/data
USER node
CMD ["npm", "run", "worker"]
