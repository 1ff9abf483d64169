# One image for the api, the worker and the emulator; compose picks the command.
# No build step: Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile && chown -R node:node /app
USER node
EXPOSE 3000
CMD ["node", "apps/api/src/server.ts"]
