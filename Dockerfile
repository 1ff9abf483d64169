# One image per process, each built from its own `pnpm deploy` directory: the app's files and
# the production dependencies it declares, nothing else of the repository (no test tooling, no
# other app). compose picks the stage with `target:`. No build step: Node 24 runs the
# TypeScript sources directly; our packages sit under node_modules in a deployed directory,
# where Node will not strip types by itself, so every command preloads
# @imagen-queue/shared/register-types, which does.
FROM node:24-slim AS workspace
WORKDIR /src
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm --filter @imagen-queue/api deploy --prod /out/api \
 && pnpm --filter @imagen-queue/worker deploy --prod /out/worker \
 && pnpm --filter @imagen-queue/imagen deploy --prod /out/emulator

FROM node:24-slim AS api
ENV NODE_ENV=production
WORKDIR /app
COPY --from=workspace --chown=node:node /out/api .
USER node
EXPOSE 3000
CMD ["node", "--import", "@imagen-queue/shared/register-types", "src/server.ts"]

FROM node:24-slim AS worker
ENV NODE_ENV=production
WORKDIR /app
COPY --from=workspace --chown=node:node /out/worker .
USER node
CMD ["node", "--import", "@imagen-queue/shared/register-types", "src/main.ts"]

FROM node:24-slim AS emulator
ENV NODE_ENV=production
WORKDIR /app
COPY --from=workspace --chown=node:node /out/emulator .
USER node
EXPOSE 8090
CMD ["node", "--import", "@imagen-queue/shared/register-types", "src/emulator/main.ts"]
